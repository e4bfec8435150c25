"""China's air quality index from PM2.5, with breakpoint tables kept as data.

HJ 633-2012 (环境空气质量指数（AQI）技术规定) turns a pollutant's 24-hour mean
into an individual index (IAQI) by linear interpolation between breakpoints, and
names six categories. Each table is versioned by the standard's name so a revised
standard is added beside it, never edited in; pages say which one applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from appletrace.trace.errors import InvalidInput


@dataclass(frozen=True)
class Category:
    """One AQI category: its upper IAQI, level, names and display colour."""

    upper: int
    level: str
    zh: str
    en: str
    color: str


@dataclass(frozen=True)
class AqiStandard:
    """A standard's PM2.5 24-hour breakpoints (µg/m³ to IAQI) and categories."""

    name: str
    pm25_breakpoints: tuple[tuple[float, int], ...]
    categories: tuple[Category, ...]


# HJ 633-2012 Table 1 (PM2.5 24-hour mean) and Table 2 (categories); colours are
# the RGB values of its Appendix A.
HJ_633_2012 = AqiStandard(
    name="HJ 633-2012",
    pm25_breakpoints=(
        (0.0, 0),
        (35.0, 50),
        (75.0, 100),
        (115.0, 150),
        (150.0, 200),
        (250.0, 300),
        (350.0, 400),
        (500.0, 500),
    ),
    categories=(
        Category(50, "一级", "优", "Excellent", "#00E400"),
        Category(100, "二级", "良", "Good", "#FFFF00"),
        Category(150, "三级", "轻度污染", "Lightly polluted", "#FF7E00"),
        Category(200, "四级", "中度污染", "Moderately polluted", "#FF0000"),
        Category(300, "五级", "重度污染", "Heavily polluted", "#99004C"),
        Category(500, "六级", "严重污染", "Severely polluted", "#7E0023"),
    ),
)

STANDARDS: dict[str, AqiStandard] = {HJ_633_2012.name: HJ_633_2012}
DEFAULT_STANDARD = HJ_633_2012.name


def get_standard(name: str = DEFAULT_STANDARD) -> AqiStandard:
    """The breakpoint table of a named standard."""
    standard = STANDARDS.get(name)
    if standard is None:
        known = ", ".join(STANDARDS)
        raise InvalidInput("aqi_standard", f"no AQI standard {name!r}; use {known}")

    return standard


def pm25_iaqi(concentration: float, standard: str = DEFAULT_STANDARD) -> int:
    """The IAQI of a PM2.5 24-hour mean in µg/m³, rounded up as HJ 633 asks.

    Above the last breakpoint the standard computes no index: the result is the
    top of the scale.
    """
    if not math.isfinite(concentration) or concentration < 0:
        raise InvalidInput(
            "pm25", f"PM2.5 {concentration!r} µg/m³ must be a number of 0 or more"
        )

    points = get_standard(standard).pm25_breakpoints
    for (c_lo, i_lo), (c_hi, i_hi) in zip(points, points[1:], strict=False):
        if concentration <= c_hi:
            index = (i_hi - i_lo) / (c_hi - c_lo) * (concentration - c_lo) + i_lo
            return math.ceil(round(index, 9))

    return points[-1][1]


def category(iaqi: int, standard: str = DEFAULT_STANDARD) -> Category:
    """The category an index falls in (the last one for anything above)."""
    categories = get_standard(standard).categories
    for candidate in categories:
        if iaqi <= candidate.upper:
            return candidate

    return categories[-1]
