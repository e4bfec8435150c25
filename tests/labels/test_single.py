import io
import re
import xml.etree.ElementTree as ET
from typing import Any

from PIL import Image

from appletrace.labels import qr
from appletrace.labels.render import render
from appletrace.trace import serials


def only_uri(kit: Any, job: Any) -> str:
    return kit.prefix + serials.make_serials(job.key, job.start, job.stop)[0]


def dark_cells_of_path(d: str) -> set[tuple[int, int]]:
    cells = set()
    for column, row, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", d):
        cells |= {(int(row), int(column) + i) for i in range(int(length))}
    return cells


def dark_cells(matrix: qr.Matrix) -> set[tuple[int, int]]:
    width = matrix.width
    return {(r, c) for r in range(width) for c in range(width) if matrix.dark(r, c)}


def test_png_is_one_label_at_the_printer_resolution(kit: Any) -> None:
    job = kit.pure_job("roll-50x30", start=3, stop=4, dpi=300)

    image = Image.open(io.BytesIO(b"".join(render(job, "png"))))

    assert image.size == (591, 354)  # 50 × 30 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    assert kit.decode_one(image) == [only_uri(kit, job)]


def test_svg_draws_the_matrix_as_one_path_and_the_text_as_text(kit: Any) -> None:
    job = kit.pure_job("a4-rect", start=5, stop=6)

    root = ET.fromstring(b"".join(render(job, "svg")))

    ns = {"s": "http://www.w3.org/2000/svg"}
    path = root.find("s:path", ns)
    assert path is not None
    assert root.get("width") == "52.5mm"
    texts = [t.text for t in root.findall("s:text", ns)]
    assert "昭阳区 洒渔示范果园" in texts and "No. 12/5" in texts
    assert dark_cells_of_path(path.get("d", "")) == dark_cells(
        qr.encode(only_uri(kit, job))
    )


def test_text_output_draws_the_matrix_in_half_blocks(kit: Any) -> None:
    job = kit.pure_job("a4-rect", start=0, stop=1)

    lines = b"".join(render(job, "text")).decode().splitlines()

    matrix = qr.encode(only_uri(kit, job))
    assert lines[-1] == only_uri(kit, job)
    dark = set()
    for pair, line in enumerate(lines[:-1]):
        for column, glyph in enumerate(line):
            # Light modules are blocks: "▀" is light above, "▄" light below.
            if glyph in " ▄":
                dark.add((2 * pair, column))
            if glyph in " ▀":
                dark.add((2 * pair + 1, column))
    dark = {(r, c) for r, c in dark if r < matrix.width}
    assert dark == dark_cells(matrix)
