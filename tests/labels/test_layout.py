from dataclasses import replace
from typing import Any

import pytest

from appletrace.labels import qr
from appletrace.labels.fonts import label_font
from appletrace.labels.layout import (
    MIN_MODULE_MM,
    QUIET_ZONE,
    fit,
    label_origins,
    layout_text,
    place_qr,
    qr_box,
)
from appletrace.labels.templates import load_template, parse_template, template_names
from appletrace.labels.text import LabelText
from appletrace.trace.errors import InvalidInput

TEXT = LabelText("ZY25-FJ-001", "洒渔示范果园", "昭阳区", 1935.0)
ADDRESS = "https://trace.example.cn/01/06901234567892/10/ZY25-FJ-001/21/5841PT8D1F7Y14"


def test_a_segmented_address_of_69_or_more_characters_is_version_4() -> None:
    assert len(ADDRESS) >= 69
    assert qr.encode(ADDRESS).version == 4
    # In byte mode alone this address needs version 5.
    assert qr.encode(ADDRESS.lower()).version == 5


def test_pdf_runs_redraw_exactly_the_dark_modules() -> None:
    matrix = qr.encode(ADDRESS)
    drawn = set()
    for line in matrix.pdf_runs().decode().splitlines():
        column, row, length, _one, _op = line.split()
        drawn |= {(int(row), int(column) + i) for i in range(int(length))}

    width = matrix.width
    assert drawn == {
        (r, c) for r in range(width) for c in range(width) if matrix.dark(r, c)
    }


@pytest.mark.parametrize("name", template_names())
@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_the_qr_keeps_its_quiet_zone_inside_the_label_in_whole_dots(
    name: str, dpi: int
) -> None:
    template = load_template(name)
    place = place_qr(template, 33, dpi)
    quiet = QUIET_ZONE * place.module_mm
    width, height = template.label_mm

    assert place.module_mm == pytest.approx(place.module_dots * 25.4 / dpi)
    assert place.x_mm - quiet >= 0 and place.y_mm - quiet >= 0
    assert place.x_mm + place.symbol_mm + quiet <= width
    assert place.y_mm + place.symbol_mm + quiet <= height
    if dpi >= 300:
        assert place.module_mm >= MIN_MODULE_MM


@pytest.mark.parametrize("name", template_names())
def test_text_lines_stay_on_the_label_and_off_the_qr(name: str) -> None:
    template = load_template(name)
    font = label_font(TEXT.characters())
    lines = layout_text(template, TEXT, font.width_mm)
    left, top, side = qr_box(template)

    assert [x.field for x in lines] == [x.field for x in template.lines]
    for line in lines:
        right = line.x_mm + font.width_mm(line.text, line.size_pt)
        assert right <= template.label_mm[0] - template.padding_mm + 1e-6
        assert line.baseline_mm <= template.label_mm[1] - template.padding_mm
        if template.text == "right":
            assert line.x_mm >= left + side
        else:
            assert line.baseline_mm - line.size_pt * 0.8 / 2.835 >= top + side - 1e-6


def test_a_long_line_shrinks_then_is_cut() -> None:
    def measure(text: str, size: float) -> float:
        return len(text) * size / 10

    assert fit("place", "x" * 10, 5.0, 4.0, measure) == ("place", "x" * 10, 4.0)
    field, text, size = fit("place", "x" * 40, 5.0, 4.0, measure)
    assert size == 3.5 and text.endswith("…") and measure(text, size) <= 4.0


def test_sheets_fit_their_pages() -> None:
    for name in template_names():
        template = load_template(name)
        origins = label_origins(template)
        assert len(origins) == template.per_page
        far_x = max(x for x, _ in origins) + template.label_mm[0]
        far_y = max(y for _, y in origins) + template.label_mm[1]
        assert far_x <= template.page_mm[0] and far_y <= template.page_mm[1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": "left"}, "text must be one of right, below"),
        ({"dpi": 100}, "dpi must be one of"),
        ({"columns": 5}, "the labels run off the page"),
        ({"pitch_mm": [50.0, 29.7]}, "labels overlap"),
        ({"lines": [{"field": "weather", "size_pt": 5}]}, "unknown field 'weather'"),
        ({"page_mm": "A4"}, "bad or missing"),
    ],
)
def test_a_bad_template_file_is_refused(changes: dict[str, Any], message: str) -> None:
    import tomllib
    from importlib.resources import files

    path = files("appletrace.labels") / "templates" / "a4-rect.toml"
    data = {**tomllib.loads(path.read_text(encoding="utf-8")), **changes}

    with pytest.raises(InvalidInput, match=message):
        parse_template("broken", data)


def test_an_unknown_template_name_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="choose one of a4-rect, fruit-a4"):
        load_template("a5-round")


def test_a_template_too_small_for_the_qr_is_refused() -> None:
    tiny = replace(load_template("roll-25x25"), label_mm=(5.0, 5.0))

    with pytest.raises(InvalidInput, match="no room for a 33-module QR"):
        place_qr(tiny, 33, 203)
