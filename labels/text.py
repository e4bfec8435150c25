"""What a label says besides its QR: lot, orchard, county, altitude, a call to scan."""

from __future__ import annotations

from dataclasses import dataclass

SLOGAN_ZH = "扫码查看产地"
SLOGAN_EN = "scan for origin"
# The widest label number a run can print: run id and index.
WIDEST_NUMBER = "No. 9999999/1048575"


@dataclass(frozen=True)
class LabelText:
    """The words one run's labels carry; the same on every label of the run."""

    lot: str
    orchard: str
    county: str
    altitude_m: float | None

    def field(self, name: str) -> str:
        """The text of one template field (``number`` is per label: see number)."""
        altitude = "" if self.altitude_m is None else f"海拔 {self.altitude_m:.0f} m"
        values = {
            "lot": f"批次 {self.lot}",
            "place": f"{self.county} {self.orchard}",
            "altitude": altitude,
            "origin": f"{self.county} {self.orchard} {altitude}".strip(),
            "slogan": f"{SLOGAN_ZH} / {SLOGAN_EN}",
            "slogan_zh": SLOGAN_ZH,
            "slogan_en": SLOGAN_EN,
            "number": WIDEST_NUMBER,
        }

        return values[name]

    def characters(self) -> str:
        """Every character any field can print, for a font subset."""
        static = "".join(self.field(name) for name in FIELD_NAMES)

        return "".join(sorted(set(static + "No. 0123456789/…")))


FIELD_NAMES = ("lot", "place", "altitude", "origin", "slogan", "number")


def number(run_id: int, index: int) -> str:
    """The label's number as printed: run and index, what 'labels void' takes."""
    return f"No. {run_id}/{index}"
