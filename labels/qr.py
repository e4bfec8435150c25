"""QR matrices: libzint through zxing-cpp's writer, error correction level M.

libzint splits an address into segments by itself: byte mode for the lower-case
``https://host``, alphanumeric mode for the upper-case path, which keeps a
69-character Digital Link address at version 4 instead of 5 (ISO/IEC 18004 §7.4).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import zxingcpp

QUIET_ZONE = 4  # modules on each side, ISO/IEC 18004 §6.3.8
_DARK_RUN = re.compile(b"\x00+")


@dataclass(frozen=True)
class Matrix:
    """A QR symbol with its quiet zone: ``width`` rows of ``width`` modules.

    ``cells`` holds one byte per module, row by row from the top, 0 for dark and
    255 for light; the symbol itself is ``size`` modules wide, inside a quiet zone
    of QUIET_ZONE modules on each side.
    """

    size: int
    cells: bytes

    @property
    def width(self) -> int:
        """Modules across, quiet zone included."""
        return self.size + 2 * QUIET_ZONE

    @property
    def version(self) -> int:
        """The QR version (1 to 40)."""
        return (self.size - 17) // 4

    def dark(self, row: int, column: int) -> bool:
        """Whether the module at ``row``, ``column`` (quiet zone included) is dark."""
        return self.cells[row * self.width + column] == 0

    def rows(self) -> list[bytes]:
        """The rows from the top, quiet zone included."""
        width = self.width

        return [self.cells[i : i + width] for i in range(0, len(self.cells), width)]

    def pdf_runs(self) -> bytes:
        """Dark runs as ``column row length 1 re`` lines, one module a unit.

        Coordinates count the quiet zone. Rows are cut into segments of
        SEGMENT modules whose runs are made once per process and cached; a run
        crossing a segment's edge becomes two touching rectangles of one fill.
        """
        width, size = self.width, self.size
        cells = self.cells
        starts = range(QUIET_ZONE, QUIET_ZONE + size, SEGMENT)
        lines = []
        for row in range(QUIET_ZONE, QUIET_ZONE + size):
            base = row * width
            text = b"".join(
                [
                    _segment(start, cells[base + start : base + start + SEGMENT])
                    for start in starts
                ]
            )
            lines.append(text.replace(b"@", b"%d" % row))

        return b"".join(lines)


SEGMENT = 11
_segments: dict[tuple[int, bytes], bytes] = {}


def _segment(start: int, cells: bytes) -> bytes:
    key = (start, cells)
    text = _segments.get(key)
    if text is None:
        runs = [
            b"%d @ %d 1 re\n" % (start + m.start(), m.end() - m.start())
            for m in _DARK_RUN.finditer(cells)
        ]
        text = _segments[key] = b"".join(runs)

    return text


def encode(text: str) -> Matrix:
    """The QR symbol of ``text`` at error correction level M."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image: Any = symbol.to_image(scale=1, add_quiet_zones=True)
    cells = bytes(image)

    return Matrix(math.isqrt(len(cells)) - 2 * QUIET_ZONE, cells)
