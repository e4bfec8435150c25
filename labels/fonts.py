"""Fonts for Chinese text on labels: an embedded TrueType subset, or a fallback.

A print shop may have no Chinese fonts, so a PDF embeds the glyphs it uses from a
TrueType CJK font (Debian's fonts-wqy-microhei). Without one, reportlab's
STSong-Light CID font is named instead: a viewer substitutes a font of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from appletrace.labels.layout import PT_PER_MM

log = logging.getLogger(__name__)

# (path, index in a TrueType collection); outlines must be TrueType, not CFF.
CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
FALLBACK = "STSong-Light"


@dataclass(frozen=True)
class FontFile:
    """A TrueType font file and its index within a collection."""

    path: str
    index: int


def find_cjk_font() -> FontFile | None:
    """The first installed candidate CJK TrueType font, or None."""
    for path, index in CANDIDATES:
        if Path(path).is_file():
            return FontFile(path, index)

    return None


class LabelFont:
    """Widths and PDF encoding of one font, with the characters of one run."""

    name: str
    embedded: bool

    def width_mm(self, text: str, size_pt: float) -> float:
        """Width of ``text`` at ``size_pt`` in mm."""
        raise NotImplementedError

    def encode(self, text: str) -> bytes:
        """The bytes of a PDF string showing ``text`` (hex, with angle brackets)."""
        raise NotImplementedError


class TrueTypeSubset(LabelFont):
    """A subset of a TrueType font holding only ``characters``: one code each."""

    embedded = True

    def __init__(self, font: FontFile, characters: str) -> None:
        self.file = _parsed(font.path, font.index)
        chars = sorted(set(characters) | {" "})
        if len(chars) > 255:
            raise ValueError(f"{len(chars)} characters do not fit one font subset")

        self.characters = chars
        self.codes = {c: f"{i:02X}" for i, c in enumerate(chars)}
        self._missing = self.codes[" "]
        self.name = self.file.name.decode("ascii", "replace")
        widths = self.file.charWidths
        self.widths = [widths.get(ord(c), self.file.defaultWidth) for c in chars]
        self._width = dict(zip(chars, self.widths, strict=True))

    def width_mm(self, text: str, size_pt: float) -> float:
        """Width from the font's advance widths (1/1000 em)."""
        units = sum(self._width.get(c, self.file.defaultWidth) for c in text)

        return units * size_pt / 1000 / PT_PER_MM

    def encode(self, text: str) -> bytes:
        """One hex byte per character; a character outside the subset is a space."""
        codes = (self.codes.get(c, self._missing) for c in text)

        return ("<" + "".join(codes) + ">").encode()

    def subset(self) -> bytes:
        """The TrueType file of the subset: character code i draws characters[i]."""
        data: bytes = self.file.makeSubset([ord(c) for c in self.characters])

        return data


class CidFallback(LabelFont):
    """reportlab's STSong-Light, not embedded: UCS-2 text, widths from its metrics."""

    embedded = False
    name = FALLBACK

    def __init__(self) -> None:
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        self.font = UnicodeCIDFont(FALLBACK)
        log.warning(
            "no TrueType CJK font found (install fonts-wqy-microhei); labels name "
            "the %s font without embedding it",
            FALLBACK,
        )

    def width_mm(self, text: str, size_pt: float) -> float:
        """Width from reportlab's metrics for the CID font."""
        return float(self.font.stringWidth(text, size_pt)) / PT_PER_MM

    def encode(self, text: str) -> bytes:
        """UCS-2 big-endian, as the UniGB-UCS2-H encoding reads it."""
        return ("<" + text.encode("utf-16-be").hex().upper() + ">").encode()


@lru_cache(maxsize=4)
def _parsed(path: str, index: int) -> Any:
    from reportlab.pdfbase.ttfonts import TTFontFile

    return TTFontFile(path, subfontIndex=index)


def label_font(characters: str, font: FontFile | None = None) -> LabelFont:
    """The embedded subset of an installed CJK font, or the CID fallback."""
    font = font or find_cjk_font()
    if font is None:
        return CidFallback()

    return TrueTypeSubset(font, characters)
