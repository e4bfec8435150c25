"""Where things go on a label and on a page: pure geometry in millimetres.

The QR is sized in whole modules and each module in whole printer dots, so a
thermal or laser printer draws every module the same width (GS1 General
Specifications §5.12.3: X at least 0.396 mm for consumer items, where the label
allows; a quiet zone of 4 modules on each side).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from appletrace.labels.qr import QUIET_ZONE
from appletrace.labels.templates import Template
from appletrace.labels.text import LabelText
from appletrace.trace.errors import InvalidInput

log = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH
MIN_MODULE_MM = 0.396
MIN_TEXT_PT = 3.5
LINE_SPACING = 1.25
# Share of a glyph's size above the baseline in the CJK fonts we use.
ASCENT = 0.8
ELLIPSIS = "…"

Measure = Callable[[str, float], float]
"""Width in mm of a text at a size in points."""


@dataclass(frozen=True)
class TextLine:
    """One line of a label: text, size, baseline and where it starts (mm)."""

    field: str
    text: str
    size_pt: float
    x_mm: float
    baseline_mm: float
    width_mm: float


@dataclass(frozen=True)
class QrPlacement:
    """A QR symbol on a label: modules in dots and mm, top-left from the label's."""

    size: int
    module_dots: int
    module_mm: float
    x_mm: float
    y_mm: float

    @property
    def symbol_mm(self) -> float:
        """Side of the symbol without its quiet zone."""
        return self.size * self.module_mm


def dot_mm(dpi: int) -> float:
    """The width of one printer dot in mm."""
    return MM_PER_INCH / dpi


def snap(value_mm: float, dpi: int) -> float:
    """The nearest whole-dot position."""
    return round(value_mm / dot_mm(dpi)) * dot_mm(dpi)


def module_dots(box_mm: float, size: int, dpi: int) -> int:
    """The most whole dots per module for a symbol and quiet zone within box_mm."""
    return int(box_mm / (size + 2 * QUIET_ZONE) / dot_mm(dpi) + 1e-9)


def qr_box(template: Template) -> tuple[float, float, float]:
    """The square kept for the QR and its quiet zone: left, top, side (mm).

    The text is laid out around this box, whatever version a QR turns out to be.
    """
    width, height = template.label_mm
    pad = template.padding_mm
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    if template.text == "right":
        return pad, pad, min(inner_h, inner_w * 0.6)

    text_h = sum(x.size_pt for x in template.lines) * LINE_SPACING / PT_PER_MM
    side = min(inner_w, inner_h - text_h)

    return pad + (inner_w - side) / 2, pad, side


@lru_cache(maxsize=64)
def place_qr(template: Template, size: int, dpi: int) -> QrPlacement:
    """Centre a ``size``-module QR in the template's box, modules in whole dots."""
    left, top, side = qr_box(template)
    dots = module_dots(side, size, dpi)
    if dots < 1:
        raise InvalidInput(
            "template",
            f"template {template.name!r} has no room for a {size}-module QR at "
            f"{dpi} dpi; use a larger label or a shorter address (--short)",
        )

    module = dots * dot_mm(dpi)
    if module < MIN_MODULE_MM:
        log.warning(
            "template %s at %s dpi: QR module %.3f mm is below GS1's 0.396 mm",
            template.name,
            dpi,
            module,
        )

    offset = (side - size * module) / 2

    return QrPlacement(size, dots, module, left + offset, top + offset)


def layout_text(
    template: Template, text: LabelText, measure: Measure
) -> tuple[TextLine, ...]:
    """Fit and place the template's lines beside or below the QR box."""
    left, top, side = qr_box(template)
    if template.text == "right":
        return tuple(_lines_right(template, text, measure, left + side, top))

    return tuple(_lines_below(template, text, measure, top + side))


def _lines_right(
    template: Template, text: LabelText, measure: Measure, left: float, pad: float
) -> list[TextLine]:
    width = template.label_mm[0] - pad - left
    height = template.label_mm[1] - 2 * pad
    fitted = [
        fit(x.field, text.field(x.field), x.size_pt, width, measure)
        for x in template.lines
    ]
    block = sum(size for _, _, size in fitted) * LINE_SPACING / PT_PER_MM
    top = pad + max(0.0, (height - block) / 2)

    return _stack(fitted, top, lambda _w: left, width)


def _lines_below(
    template: Template, text: LabelText, measure: Measure, top: float
) -> list[TextLine]:
    pad = template.padding_mm
    width = template.label_mm[0] - 2 * pad
    fitted = [
        fit(x.field, text.field(x.field), x.size_pt, width, measure)
        for x in template.lines
    ]

    return _stack(fitted, top, lambda w: pad + (width - w) / 2, width, measure)


def _stack(
    fitted: list[tuple[str, str, float]],
    top: float,
    left: Callable[[float], float],
    width: float,
    measure: Measure | None = None,
) -> list[TextLine]:
    lines = []
    for field, value, size in fitted:
        step = size * LINE_SPACING / PT_PER_MM
        baseline = top + (step + size * ASCENT / PT_PER_MM) / 2
        used = measure(value, size) if measure else 0.0
        lines.append(TextLine(field, value, size, left(used), baseline, width))
        top += step

    return lines


def fit(
    field: str, value: str, size: float, width: float, measure: Measure
) -> tuple[str, str, float]:
    """Shrink a line to fit ``width`` (not below 3.5 pt), then cut it with '…'."""
    used = measure(value, size)
    if used > width:
        size = max(MIN_TEXT_PT, size * width / used)

    while value and measure(value, size) > width:
        value = value[:-2] + ELLIPSIS if len(value) > 1 else ""

    return field, value, size


def label_origins(template: Template) -> list[tuple[float, float]]:
    """Top-left corners of the labels on a page, row by row, in mm."""
    (x0, y0), (dx, dy) = template.first_mm, template.pitch_mm

    return [
        (x0 + column * dx, y0 + row * dy)
        for row in range(template.rows)
        for column in range(template.columns)
    ]
