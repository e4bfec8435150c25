"""The season chart is plain SVG drawn from the provenance's day records."""

import xml.etree.ElementTree as ET

from appletrace.web.coop.chart import season_svg


def day(iso: str, tmin, tmax, sun=None) -> dict:
    return {
        "day": iso,
        "temperature_min_c": tmin,
        "temperature_max_c": tmax,
        "sunshine_hours": sun,
    }


def test_one_bar_per_day_with_a_known_range_and_sunshine_below() -> None:
    days = [
        day("2025-06-01", 12.0, 26.0, 8.5),
        day("2025-06-02", None, None, 3.0),
        day("2025-06-03", 10.0, 24.0, None),
    ]

    svg = season_svg(days, "昼夜温差 <chart>")

    root = ET.fromstring(svg)
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert [r.get("fill") for r in rects] == [
        "#b22222",
        "#e0a800",
        "#e0a800",
        "#b22222",
    ]
    heights = [float(r.get("height")) for r in rects if r.get("fill") == "#b22222"]
    assert heights[0] == heights[1]  # both days span 14 °C
    assert "&lt;chart&gt;" in svg and "2025-06-01" in svg and "2025-06-03" in svg
    assert "26°" in svg and "10°" in svg


def test_no_chart_without_temperatures() -> None:
    assert season_svg([day("2025-06-01", None, None, 5.0)], "x") is None
    assert season_svg([], "x") is None
