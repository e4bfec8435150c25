import re
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from appletrace.labels.fonts import find_cjk_font, label_font
from appletrace.labels.job import LabelJob
from appletrace.labels.layout import layout_text
from appletrace.labels.raster import dots
from appletrace.labels.templates import load_template
from appletrace.labels.zpl import module_dots, zpl_stream
from appletrace.trace import serials
from appletrace.trace.errors import InvalidInput

FORMAT = re.compile(r"\^XA(.*?)\^XZ", re.S)


def zpl(job: LabelJob, bitmap: bool = False) -> str:
    lines = layout_text(
        job.template, job.text, label_font(job.text.characters()).width_mm
    )
    return b"".join(zpl_stream(job, lines, find_cjk_font(), bitmap)).decode()


def graphic(hex_data: str, row_bytes: int) -> Image.Image:
    """A ^GF/~DG payload back as an image (1 = black dot)."""
    data = bytes.fromhex(hex_data)
    inverted = bytes(255 - b for b in data)
    return Image.frombytes("1", (row_bytes * 8, len(data) // row_bytes), inverted)


@pytest.mark.parametrize(("dpi", "least"), [(203, 3), (300, 4)])
def test_native_qr_fields_carry_each_address_in_whole_dots(
    dpi: int, least: int, kit: Any
) -> None:
    job = kit.pure_job("roll-50x30", start=7, stop=12, dpi=dpi)
    text = zpl(job)
    formats = FORMAT.findall(text)
    expected = [kit.prefix + s for s in serials.make_serials(job.key, 7, 12)]

    assert text.count("~DG") == 1 and text.startswith("~DGR:APLTEXT.GRF,")
    assert len(formats) == 5
    width, height = (dots(v, dpi) for v in job.template.label_mm)
    for body, uri in zip(formats, expected, strict=True):
        qr = re.search(r"\^FO(\d+),(\d+)\^BQN,2,(\d+),M\^FDMA,([^^]+)\^FS", body)
        assert qr is not None
        assert qr.group(4) == uri
        assert least <= int(qr.group(3)) <= 10
        assert f"^PW{width}^LL{height}" in body
        assert "^XGR:APLTEXT.GRF,1,1^FS" in body
        assert "^FDNo. 12/" in body


def test_the_text_graphic_holds_the_run_text(kit: Any) -> None:
    job = kit.pure_job("roll-50x30", stop=1, dpi=203)
    header = zpl(job).split("\n", 1)[0]
    _name, total, row_bytes, hex_data = header.split(",")

    image = graphic(hex_data, int(row_bytes))

    assert len(hex_data) == 2 * int(total)
    assert image.size[0] >= dots(50, 203) and image.size[1] == dots(30, 203)
    assert image.convert("L").getextrema()[0] == 0  # some black dots: the text


@pytest.mark.parametrize("dpi", [203, 300])
def test_a_bitmap_qr_decodes_back_to_its_address(dpi: int, kit: Any) -> None:
    job = kit.pure_job("roll-25x25", stop=2, dpi=dpi)
    bodies = FORMAT.findall(zpl(job, bitmap=True))
    expected = [kit.prefix + s for s in serials.make_serials(job.key, 0, 2)]

    for body, uri in zip(bodies, expected, strict=True):
        field = re.search(r"\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS", body)
        assert field is not None and "^BQ" not in body
        image = graphic(field.group(4), int(field.group(3)))
        assert kit.decode_one(image.convert("L")) == [uri]


def test_a_label_too_small_for_thermal_modules_is_refused(kit: Any) -> None:
    template = replace(load_template("roll-25x25"), label_mm=(16.0, 16.0), lines=())
    job = replace(kit.pure_job("roll-25x25", stop=1, dpi=203), template=template)

    with pytest.raises(InvalidInput, match="thermal printers need 3"):
        module_dots(job, 33)
    with pytest.raises(InvalidInput, match="203 or 300 dpi"):
        module_dots(replace(job, dpi=600), 33)
