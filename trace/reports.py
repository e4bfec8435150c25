"""Plain-dict views of domain rows, for the CLI's --json, the API and exports."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.models import Lot, Orchard
from appletrace.trace.provenance import lot_provenance


def orchard_row(orchard: Orchard) -> dict[str, Any]:
    """An orchard with its county named."""
    return {
        "code": orchard.code,
        "name": orchard.name,
        "county_code": orchard.county_code,
        "county": ZHAOTONG_COUNTIES.get(orchard.county_code, orchard.county_code),
        "township": orchard.township,
        "village": orchard.village,
        "latitude": orchard.latitude,
        "longitude": orchard.longitude,
        "altitude_m": orchard.altitude_m,
        "variety": orchard.variety,
    }


def lot_report(session: Session, lot: Lot) -> dict[str, Any]:
    """A lot with its orchard and provenance: what 'lots show' prints."""
    orchard = session.get(Orchard, lot.orchard_id)
    assert orchard is not None

    return {
        "code": lot.code,
        "variety": lot.variety,
        "window_start": lot.window_start,
        "harvested_on": lot.harvested_on,
        "quantity_kg": lot.quantity_kg,
        "grade": lot.grade,
        "status": lot.status,
        "orchard": orchard_row(orchard),
        "provenance": lot_provenance(session, lot).as_dict(),
    }
