"""GS1 identifiers: GTIN check digits and the characters AI 10 and AI 21 allow."""

from __future__ import annotations

import re

from appletrace.trace.errors import InvalidInput

# GS1 General Specifications, figure 7.11-1: the 82 characters of "CSET 82".
GS1_CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    "abcdefghijklmnopqrstuvwxyz"
)
# China's GB/T 33993 excludes these from codes that travel in URLs.
GB_T_33993_EXCLUDED = frozenset("%&/<>?")
AI_TEXT_CHARS = GS1_CSET82 - GB_T_33993_EXCLUDED

_DIGITS = re.compile(r"\d+")


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for the digits before it (General Specs §7.9.1).

    Weights 3, 1, 3, 1 … run from the rightmost digit of ``body`` leftwards.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body[::-1]))

    return (10 - total % 10) % 10


def normalize_gtin(value: str, field: str = "gtin") -> str:
    """A GTIN-8/12/13/14 with a correct check digit, returned as 14 digits."""
    value = value.strip()
    if not _DIGITS.fullmatch(value) or len(value) not in (8, 12, 13, 14):
        raise InvalidInput(
            field,
            f"GTIN {value!r} is not 8, 12, 13 or 14 digits; "
            "give the number printed under the product's barcode",
        )

    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise InvalidInput(
            field,
            f"GTIN {value!r} has check digit {value[-1]}, but its digits give "
            f"{expected}; check for a mistyped digit",
        )

    return value.zfill(14)


def check_ai_text(value: str, field: str, what: str) -> str:
    """Check a lot code (AI 10) or serial (AI 21): 1–20 allowed characters."""
    if not 1 <= len(value) <= 20:
        raise InvalidInput(
            field, f"{what} {value!r} must be 1 to 20 characters (GS1 AI 10/21)"
        )

    bad = sorted({c for c in value if c not in AI_TEXT_CHARS})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InvalidInput(
            field,
            f"{what} {value!r} has characters GS1 does not allow in a code: {shown}; "
            "use letters A-Z, digits and '-'",
        )

    return value
