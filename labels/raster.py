"""Labels as pixels at a printer's resolution: for PNG files and ZPL bitmaps."""

from __future__ import annotations

import logging
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from appletrace.labels.fonts import FontFile
from appletrace.labels.layout import MM_PER_INCH, PT_PER_MM, QrPlacement, TextLine
from appletrace.labels.qr import QUIET_ZONE, Matrix

log = logging.getLogger(__name__)


def dots(mm: float, dpi: int) -> int:
    """A length in mm as whole printer dots."""
    return round(mm / MM_PER_INCH * dpi)


def qr_image(matrix: Matrix, module_dots: int) -> Image.Image:
    """The symbol with its quiet zone, ``module_dots`` pixels per module (L mode)."""
    image = Image.frombytes("L", (matrix.width, matrix.width), matrix.cells)
    side = matrix.width * module_dots

    return image.resize((side, side), Image.Resampling.NEAREST)


@lru_cache(maxsize=16)
def _pil_font(path: str, index: int, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, pixels, index=index)


def draw_lines(
    image: Image.Image,
    lines: tuple[TextLine, ...],
    dpi: int,
    font: FontFile | None,
    number: str | None = None,
) -> None:
    """Draw text lines (baselines in mm from the top-left) onto ``image``."""
    if font is None:
        log.warning("no TrueType CJK font found: raster labels carry no text")
        return

    draw = ImageDraw.Draw(image)
    for line in lines:
        text = number if line.field == "number" else line.text
        if not text:
            continue

        pixels = max(1, round(line.size_pt / PT_PER_MM / MM_PER_INCH * dpi))
        face = _pil_font(font.path, font.index, pixels)
        position = (dots(line.x_mm, dpi), dots(line.baseline_mm, dpi))
        draw.text(position, text, fill=0, font=face, anchor="ls")


def label_image(
    matrix: Matrix,
    place: QrPlacement,
    lines: tuple[TextLine, ...],
    label_mm: tuple[float, float],
    dpi: int,
    font: FontFile | None,
    number: str | None,
) -> Image.Image:
    """One whole label: QR, text and number, white background (L mode)."""
    size = (dots(label_mm[0], dpi), dots(label_mm[1], dpi))
    image = Image.new("L", size, 255)
    quiet = QUIET_ZONE * place.module_dots
    corner = (dots(place.x_mm, dpi) - quiet, dots(place.y_mm, dpi) - quiet)
    image.paste(qr_image(matrix, place.module_dots), corner)
    draw_lines(image, lines, dpi, font, number)

    return image


_INVERT = bytes(255 - b for b in range(256))


def zebra_bits(image: Image.Image) -> tuple[int, bytes]:
    """Bytes per row and the packed rows of a 1-bit image, 1 for a black dot.

    Pillow packs mode "1" rows MSB first with 1 for white; ZPL ``^GF`` wants 1
    for black, so every byte is inverted.
    """
    packed = image.convert("1", dither=Image.Dither.NONE).tobytes()

    return (image.width + 7) // 8, packed.translate(_INVERT)
