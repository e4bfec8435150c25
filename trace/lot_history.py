"""A lot's history as plain data: what the exports and the certificate read.

Pure: loaders in ``trace.exports`` fill these from the database; the EPCIS and
FSMA builders and the certificate layout read them and touch nothing else.
Dates without a time of day are local dates of ``APPLETRACE_TIMEZONE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Party:
    """An organization or a consignee: who it is and how to reach it."""

    name: str
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Place:
    """An orchard: code, names of its place, WGS 84 degrees, metres above sea."""

    code: str
    name: str
    county_code: str
    county: str
    township: str
    village: str
    latitude: float
    longitude: float
    altitude_m: float

    def address(self) -> str:
        """The orchard's place in Chinese, province first."""
        return "云南省昭通市" + self.county + self.township + self.village


@dataclass(frozen=True)
class InspectionRecord:
    """A lab's test of the lot."""

    id: int
    lab: str
    inspected_on: date
    passed: bool


@dataclass(frozen=True)
class LabelRunRecord:
    """One printing of labels for the lot: the packing event."""

    id: int
    packing_house: Party
    gtin: str
    count: int
    packed_at: datetime


@dataclass(frozen=True)
class ShipmentRecord:
    """The lot (or ``quantity_kg`` of it; None for all) sent to a consignee."""

    id: int
    shipper: Party
    consignee: str
    destination: str
    shipped_on: date
    quantity_kg: float | None


@dataclass(frozen=True)
class RecallRecord:
    """The lot, or one label run of it, withdrawn; ``lifted_at`` ends it."""

    id: int
    label_run_id: int | None
    reason: str
    recalled_at: datetime
    lifted_at: datetime | None = None


@dataclass(frozen=True)
class LotHistory:
    """A lot with its orchard, producer and every recorded event.

    ``season`` is the lot's provenance as ``LotProvenance.as_dict()`` gives it
    (altitude, PM2.5 mean, per-day ``days``), or None when nothing was measured.
    """

    code: str
    gtin: str
    variety: str
    window_start: date
    harvested_on: date
    quantity_kg: float | None
    grade: str
    producer: Party
    orchard: Place
    inspections: tuple[InspectionRecord, ...] = ()
    label_runs: tuple[LabelRunRecord, ...] = ()
    shipments: tuple[ShipmentRecord, ...] = ()
    recalls: tuple[RecallRecord, ...] = ()
    season: Mapping[str, Any] | None = field(default=None, compare=False)

    def label_run(self, label_run_id: int) -> LabelRunRecord | None:
        """The lot's label run with this id, if it has one."""
        return next((r for r in self.label_runs if r.id == label_run_id), None)
