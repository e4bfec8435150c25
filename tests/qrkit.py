"""Helpers for tests of printed codes: pure label jobs, rasterizing PDFs, decoding
with zbar. Label tests reach them through the ``kit`` fixture.

The encoder is libzint (through zxing-cpp); every decode here uses zbar, a
different implementation, on one cropped label at a time.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from appletrace.labels.job import LabelJob
from appletrace.labels.layout import label_origins
from appletrace.labels.templates import Template, load_template
from appletrace.labels.text import LabelText
from appletrace.trace import serials

SECRET = "test-secret-key"
PREFIX = "https://trace.example.cn/01/06901234567892/10/ZY25-FJ-001/21/"
TEXT = LabelText("ZY25-FJ-001", "洒渔示范果园", "昭阳区", 1935.0)


def pure_job(
    template: str = "a4-rect",
    start: int = 0,
    stop: int = 40,
    dpi: int | None = None,
    run_id: int = 12,
) -> LabelJob:
    """A job on a made-up run, without a database."""
    chosen = load_template(template)
    key = serials.run_key(SECRET, run_id, "a1" * 16)

    return LabelJob(key, PREFIX, start, stop, chosen, dpi or chosen.dpi, TEXT)


def rasterize(pdf: Path, dpi: int, first: int = 1, last: int = 1) -> list[Image.Image]:
    """Pages of a PDF as grey images, by poppler's pdftoppm."""
    stem = pdf.with_suffix("")
    result = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(first), "-l", str(last)]
        + [str(pdf), str(stem)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""

    pages = sorted(stem.parent.glob(stem.name + "-*.pgm"))
    images = [Image.open(p).copy() for p in pages]
    for page in pages:
        page.unlink()

    return images


def decode_one(image: Image.Image) -> list[str]:
    """Every QR zbar finds in an image."""
    found = zbar_decode(image, symbols=[ZBarSymbol.QRCODE])

    return [symbol.data.decode() for symbol in found]


def decode_page(
    page: Image.Image, template: Template, dpi: int, count: int
) -> list[str]:
    """Decode the first ``count`` labels of a page, cropping each one."""
    scale = dpi / 25.4
    width, height = template.label_mm
    found = []
    for left, top in label_origins(template)[:count]:
        box = (left, top, left + width, top + height)
        crop = page.crop(tuple(round(v * scale) for v in box))
        decoded = decode_one(crop)
        assert len(decoded) == 1, f"label at {left}, {top} mm gave {decoded}"
        found.append(decoded[0])

    return found


class Kit:
    """The helpers above, for tests (conftest modules cannot be imported)."""

    prefix = PREFIX
    secret = SECRET
    pure_job = staticmethod(pure_job)
    rasterize = staticmethod(rasterize)
    decode_one = staticmethod(decode_one)
    decode_page = staticmethod(decode_page)
