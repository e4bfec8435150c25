"""The season chart and the page's words: pure functions, no server."""

from __future__ import annotations

import re

from appletrace.web import chart
from appletrace.web.consumer_text import growing_lines


def points(path: str) -> list[list[tuple[int, int]]]:
    """Absolute points of each subpath in our path data (M, l, h, V, z only)."""
    shapes: list[list[tuple[int, int]]] = []
    x = y = 0
    for command, args in re.findall(r"([MlhVz])([^MlhVz]*)", path):
        numbers = [int(n) for n in re.findall(r"-?\d+", args)]
        if command == "M":
            x, y = numbers
            shapes.append([(x, y)])
        elif command == "l":
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = x + dx, y + dy
                shapes[-1].append((x, y))
        elif command == "h":
            x += numbers[0]
            shapes[-1].append((x, y))
        elif command == "V":
            y = numbers[0]
            shapes[-1].append((x, y))

    return shapes


def day(t_min: float | None, t_max: float | None, sun: float | None) -> dict:
    return {
        "temperature_min_c": t_min,
        "temperature_max_c": t_max,
        "sunshine_hours": sun,
    }


def test_band_follows_the_daily_max_and_min_with_gaps() -> None:
    days = [day(5, 20, 6), day(10, 15, 7), day(None, None, None), day(0, 10, 14)]

    cols = chart.columns(days)
    (first, second) = points(chart.band_path(cols))

    # 0 °C is the bottom of the band (y 62), 20 °C the top (y 2): 3 units a degree.
    assert first[:2] == [(0, 2), (1, 17)]  # the max line: 20 °C then 15 °C
    assert (2, 32) in first  # the min line comes back: 10 °C at the right edge
    assert first[-1] == (0, 47)  # back to the first day's 5 °C
    assert second[0] == (3, 32)  # after the gap: the 10 °C max of the last day
    assert (4, 62) in second
    sun = points(chart.sun_path(cols))
    assert len(sun) == 2
    assert sun[1][0] == (3, chart.SUN_TOP)  # 14 h fills the strip


def test_long_windows_are_drawn_in_wider_columns() -> None:
    days = [day(n % 9, 20 + n % 7, 5) for n in range(400)]

    cols = chart.columns(days)
    svg = chart.season_svg(days, "季节")

    assert len(cols) == 200
    assert cols[0].t_min == 0 and cols[0].t_max == 21
    assert 'viewBox="0 0 200 100"' in svg
    assert len(svg) < 4000


def test_no_data_draws_nothing_and_says_so() -> None:
    assert chart.season_svg([day(None, None, None)], "x") == ""
    lines = dict(growing_lines({}, "zh"))
    assert set(lines.values()) == {"暂无数据"}
    assert dict(growing_lines({}, "en"))["Altitude"] == "no data yet"


def test_growing_lines_in_plain_words() -> None:
    prov = {
        "altitude_m": 1935.0,
        "diurnal_range_mean_c": 13.24,
        "diurnal_range_days": 183,
        "diurnal_range_last30_c": 14.0,
        "aqi": 31,
        "aqi_category_zh": "优",
        "aqi_category_en": "Excellent",
        "pm25_mean_ugm3": 12.3,
        "aqi_standard": "HJ 633-2012",
        "sunshine_hours": 1120.4,
        "sunshine_hours_per_day": 6.12,
    }

    zh = dict(growing_lines(prov, "zh"))
    en = dict(growing_lines(prov, "en"))

    assert zh["海拔"] == "1,935 米"
    assert zh["昼夜温差"] == "13.2 °C，采收前 183 天的平均值；最后 30 天 14.0 °C"
    assert zh["空气质量"] == "优（AQI 31，PM2.5 平均 12.3 µg/m³，HJ 633-2012）"
    assert en["Sunshine"] == "1,120 hours, 6.1 hours a day on average"
