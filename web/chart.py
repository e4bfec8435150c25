"""The season chart: a small inline SVG of daily max/min temperature and sunshine.

Pure layout, no I/O. Each day is one unit wide; the temperature band is drawn as
closed polygons (the max line out, the min line back) and sunshine as a filled
area along the bottom. Paths use relative moves with integer steps, which keeps
a 183-day season near 2 KB and lets gzip do the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

BAND_TOP = 2
BAND_BOTTOM = 62
SUN_TOP = 70
SUN_BOTTOM = 100
SUN_FULL_H = 14.0  # hours of sunshine that fill the strip (Zhaotong's long days)
MAX_COLUMNS = 240  # longer windows are drawn two (or more) days per column


@dataclass(frozen=True)
class Column:
    """One column of the chart: the days it covers and their extremes."""

    t_min: float | None
    t_max: float | None
    sunshine_h: float | None


def columns(days: Sequence[dict[str, Any]]) -> list[Column]:
    """Group daily records into at most MAX_COLUMNS columns (min, max, mean sun)."""
    width = max(1, math.ceil(len(days) / MAX_COLUMNS))
    result = []
    for start in range(0, len(days), width):
        group = days[start : start + width]
        mins = _values(group, "temperature_min_c")
        maxs = _values(group, "temperature_max_c")
        suns = _values(group, "sunshine_hours")
        result.append(
            Column(
                min(mins) if mins and maxs else None,
                max(maxs) if mins and maxs else None,
                sum(suns) / len(suns) if suns else None,
            )
        )

    return result


def _values(days: Sequence[dict[str, Any]], key: str) -> list[float]:
    return [float(d[key]) for d in days if d.get(key) is not None]


def _scale(low: float, high: float, top: int, bottom: int) -> Callable[[float], int]:
    span = (high - low) or 1.0

    def y(value: float) -> int:
        return round(bottom - (value - low) / span * (bottom - top))

    return y


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, end) of each run of True values, end exclusive."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None

    return runs


def _polygon(x0: int, upper: Sequence[int], lower: Sequence[int]) -> str:
    """A closed path along ``upper`` left to right, back along ``lower``."""
    parts = [f"M{x0} {upper[0]}"]
    steps = [f"1{_signed(b - a)}" for a, b in zip(upper, upper[1:], strict=False)]
    parts.append("l" + " ".join(steps) if steps else "")
    parts.append(f"h1V{lower[-1]}")
    back = [
        f"-1{_signed(b - a)}" for a, b in zip(lower[::-1], lower[-2::-1], strict=False)
    ]
    parts.append("l" + "".join(back) if back else "")
    parts.append("h-1z")

    return "".join(parts)


def _signed(value: int) -> str:
    # In SVG path data a minus sign separates numbers by itself; a plus needs a space.
    return str(value) if value < 0 else f" {value}"


def band_path(cols: Sequence[Column]) -> str:
    """Path data of the max/min band, with gaps on days without both values."""
    pairs: list[tuple[float, float] | None] = [
        (c.t_min, c.t_max) if c.t_min is not None and c.t_max is not None else None
        for c in cols
    ]
    known = [p is not None for p in pairs]
    if not any(known):
        return ""

    low = min(p[0] for p in pairs if p)
    high = max(p[1] for p in pairs if p)
    y = _scale(low, high, BAND_TOP, BAND_BOTTOM)
    paths = []
    for start, end in _runs(known):
        run = [p for p in pairs[start:end] if p]
        paths.append(
            _polygon(start, [y(hi) for _, hi in run], [y(lo) for lo, _ in run])
        )

    return "".join(paths)


def sun_path(cols: Sequence[Column]) -> str:
    """Path data of the sunshine area along the bottom strip."""
    y = _scale(0.0, SUN_FULL_H, SUN_TOP, SUN_BOTTOM)
    hours = [c.sunshine_h for c in cols]
    paths = []
    for start, end in _runs([h is not None for h in hours]):
        tops = [y(min(h, SUN_FULL_H)) for h in hours[start:end] if h is not None]
        paths.append(_polygon(start, tops, [SUN_BOTTOM] * len(tops)))

    return "".join(paths)


def season_svg(days: Sequence[dict[str, Any]], label: str) -> str:
    """The whole inline SVG, or an empty string when no day has data."""
    cols = columns(days)
    band, sun = band_path(cols), sun_path(cols)
    if not band and not sun:
        return ""

    return (
        f'<svg viewBox="0 0 {len(cols)} {SUN_BOTTOM}" preserveAspectRatio="none" '
        f'role="img" aria-label="{label}">'
        f'<path fill="#f3a08a" d="{band}"/><path fill="#f2c94c" d="{sun}"/></svg>'
    )
