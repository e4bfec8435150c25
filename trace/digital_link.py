"""GS1 Digital Link URIs: build the address printed in a QR, parse one back.

Form: ``{base}/01/{GTIN-14}[/10/{lot}][/21/{serial}]`` (GS1 Digital Link 1.x,
section 4: qualifiers follow the GTIN in the order 22, 10, 21). Lot codes and
serials are upper case in this system, so a path may arrive in either case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from appletrace.trace.errors import InvalidInput
from appletrace.trace.identifiers import check_ai_text, normalize_gtin

_SEGMENT = re.compile(r"[^/]+")


class MalformedLink(InvalidInput):
    """A path that is not a Digital Link URI of ours (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__("path", message)


@dataclass(frozen=True)
class DigitalLink:
    """The identifiers in one address; lot and serial in upper case."""

    gtin: str
    lot: str | None = None
    serial: str | None = None

    def path(self, short: bool = False) -> str:
        """The path part; ``short`` drops the lot when a serial is present."""
        parts = ["", "01", self.gtin]
        if self.lot and not (short and self.serial):
            parts += ["10", self.lot]

        if self.serial:
            parts += ["21", self.serial]

        return "/".join(parts)


def build_uri(
    base_url: str,
    gtin: str,
    lot: str | None = None,
    serial: str | None = None,
    short: bool = False,
) -> str:
    """The address for a QR: host as configured (lower case), path upper case."""
    link = DigitalLink(
        normalize_gtin(gtin),
        None if lot is None else check_ai_text(lot.upper(), "lot", "lot code"),
        None if serial is None else check_ai_text(serial.upper(), "serial", "serial"),
    )

    return base_url.rstrip("/") + link.path(short=short)


def parse_path(path: str) -> DigitalLink:
    """Parse ``/01/{gtin}[/10/{lot}][/21/{serial}]``; MalformedLink if it is not."""
    segments = [unquote(s) for s in _SEGMENT.findall(path)]
    if len(segments) < 2 or len(segments) % 2 or segments[0] != "01":
        raise MalformedLink(
            f"{path!r} is not a GS1 Digital Link path; expected "
            "/01/{GTIN}/10/{lot}/21/{serial}"
        )

    try:
        gtin = normalize_gtin(segments[1])
    except InvalidInput as error:
        raise MalformedLink(error.message) from None

    qualifiers = dict(zip(segments[2::2], segments[3::2], strict=True))
    order = segments[2::2]
    if any(key not in ("10", "21") for key in order) or order not in (
        [],
        ["10"],
        ["21"],
        ["10", "21"],
    ):
        raise MalformedLink(
            f"{path!r}: after the GTIN only /10/{{lot}} then /21/{{serial}} are "
            "understood, in that order"
        )

    try:
        lot = _text(qualifiers.get("10"), "lot", "lot code")
        serial = _text(qualifiers.get("21"), "serial", "serial")
    except InvalidInput as error:
        raise MalformedLink(error.message) from None

    return DigitalLink(gtin, lot, serial)


def _text(value: str | None, field: str, what: str) -> str | None:
    if value is None:
        return None

    return check_ai_text(value.upper(), field, what)
