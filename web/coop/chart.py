"""The season chart on the lot page: each day's low-to-high temperature as a bar.

Pure: a list of day records (as in the provenance's ``days``) in, SVG text out,
so the page needs no script and no other site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

WIDTH = 340
HEIGHT = 170
LEFT = 30
TOP = 10
PLOT_H = 120
SUN_H = 20


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return TOP + PLOT_H * (high - value) / span


def season_svg(days: Sequence[dict[str, Any]], title: str) -> str | None:
    """An SVG of daily temperature ranges and sunshine, or None without data."""
    known = [
        d
        for d in days
        if d.get("temperature_min_c") is not None
        and d.get("temperature_max_c") is not None
    ]
    if not known:
        return None

    first = date.fromisoformat(str(days[0]["day"]))
    last = date.fromisoformat(str(days[-1]["day"]))
    span_days = max((last - first).days, 1)
    low = min(float(d["temperature_min_c"]) for d in known)
    high = max(float(d["temperature_max_c"]) for d in known)
    step = (WIDTH - LEFT - 4) / (span_days + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{_text(title)}"><title>{_text(title)}</title>',
        _axis(low, high),
    ]
    for record in days:
        x = LEFT + (date.fromisoformat(str(record["day"])) - first).days * step
        parts.append(_day(record, x, max(step * 0.8, 0.6), low, high))

    bottom = TOP + PLOT_H + SUN_H + 14
    parts.append(
        f'<text x="{LEFT}" y="{bottom}" font-size="10">{first.isoformat()}</text>'
        f'<text x="{WIDTH - 4}" y="{bottom}" font-size="10" text-anchor="end">'
        f"{last.isoformat()}</text></svg>"
    )

    return "".join(parts)


def _axis(low: float, high: float) -> str:
    return (
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="#999"/>'
        f'<text x="{LEFT - 3}" y="{TOP + 8}" font-size="10" text-anchor="end">'
        f"{high:.0f}°</text>"
        f'<text x="{LEFT - 3}" y="{TOP + PLOT_H}" font-size="10" text-anchor="end">'
        f"{low:.0f}°</text>"
    )


def _day(
    record: dict[str, Any], x: float, width: float, low: float, high: float
) -> str:
    shapes = []
    tmin, tmax = record.get("temperature_min_c"), record.get("temperature_max_c")
    if tmin is not None and tmax is not None:
        top, bottom = _y(float(tmax), low, high), _y(float(tmin), low, high)
        shapes.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{max(bottom - top, 0.5):.1f}" fill="#b22222"/>'
        )

    sun = record.get("sunshine_hours")
    if sun is not None:
        h = SUN_H * min(float(sun), 14.0) / 14.0
        base = TOP + PLOT_H + SUN_H + 2
        shapes.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}" fill="#e0a800"/>'
        )

    return "".join(shapes)


def _text(value: str) -> str:
    from markupsafe import escape

    return str(escape(value))
