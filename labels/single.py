"""One label as a PNG, an SVG, or a QR drawn in the terminal."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from appletrace.labels.fonts import FontFile
from appletrace.labels.layout import PT_PER_MM, QrPlacement, TextLine
from appletrace.labels.qr import QUIET_ZONE, Matrix
from appletrace.labels.raster import label_image

SVG_FONTS = (
    "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif"
)


def png(
    matrix: Matrix,
    place: QrPlacement,
    lines: tuple[TextLine, ...],
    label_mm: tuple[float, float],
    dpi: int,
    font: FontFile | None,
    number: str,
) -> bytes:
    """A PNG of one label at ``dpi``, with its resolution recorded."""
    image = label_image(matrix, place, lines, label_mm, dpi, font, number)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi), optimize=True)

    return out.getvalue()


def svg_path(matrix: Matrix) -> str:
    """The dark modules as one SVG path, one module a unit, quiet zone counted."""
    steps = []
    for row, line in enumerate(matrix.rows()):
        column = 0
        while column < matrix.width:
            if line[column] == 0:
                end = column
                while end < matrix.width and line[end] == 0:
                    end += 1

                steps.append(f"M{column} {row}h{end - column}v1h{column - end}z")
                column = end
            else:
                column += 1

    return "".join(steps)


def svg(
    matrix: Matrix,
    place: QrPlacement,
    lines: tuple[TextLine, ...],
    label_mm: tuple[float, float],
    number: str,
) -> bytes:
    """An SVG of one label in mm: the QR as a path, the text as text."""
    width, height = label_mm
    quiet = QUIET_ZONE * place.module_mm
    x, y = place.x_mm - quiet, place.y_mm - quiet
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<path transform="translate({x:.3f} {y:.3f}) scale({place.module_mm:.4f})" '
        f'fill="#000" shape-rendering="crispEdges" d="{svg_path(matrix)}"/>',
    ]
    for line in lines:
        text = number if line.field == "number" else line.text
        size = line.size_pt / PT_PER_MM
        parts.append(
            f'<text x="{line.x_mm:.2f}" y="{line.baseline_mm:.2f}" '
            f'font-size="{size:.2f}" font-family="{SVG_FONTS}">{escape(text)}</text>'
        )

    parts.append("</svg>\n")

    return "\n".join(parts).encode()


def terminal(matrix: Matrix, uri: str) -> bytes:
    """The QR in half-block characters, two rows a line, and its address.

    Light modules are drawn as blocks and dark ones left blank, which suits the
    light-on-dark text of most terminals.
    """
    rows = matrix.rows()
    if len(rows) % 2:
        rows.append(bytes([255]) * matrix.width)

    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄"}
    glyphs[(True, True)] = "█"
    lines = []
    for upper, lower in zip(rows[::2], rows[1::2], strict=True):
        pairs = zip(upper, lower, strict=True)
        lines.append("".join(glyphs[(a != 0, b != 0)] for a, b in pairs))

    return ("\n".join(lines) + "\n" + uri + "\n").encode()
