"""Loaders: a lot's history from the database, for EPCIS, FSMA and certificates.

The thin edge of the pure builders in ``trace.epcis``, ``trace.fsma`` and
``trace.certificate``: queries here, arithmetic and layout there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.digital_link import build_uri
from appletrace.trace.errors import InvalidInput
from appletrace.trace.lot_history import (
    InspectionRecord,
    LabelRunRecord,
    LotHistory,
    Party,
    Place,
    RecallRecord,
    ShipmentRecord,
)
from appletrace.trace.lots import get_lot
from appletrace.trace.models import (
    Inspection,
    LabelRun,
    Lot,
    Orchard,
    Organization,
    Recall,
    Shipment,
    ShipmentLot,
)
from appletrace.trace.provenance import lot_provenance
from appletrace.trace.types import row_id


def lot_gtin(session: Session, lot: Lot) -> str:
    """The lot's GTIN: its own, else its co-op's, else its first label run's."""
    if lot.gtin:
        return lot.gtin

    organization = session.get(Organization, lot.organization_id)
    if organization is not None and organization.gtin:
        return organization.gtin

    run = session.exec(
        select(LabelRun).where(LabelRun.lot_id == lot.id).order_by(LabelRun.id)  # type: ignore[arg-type]
    ).first()
    if run is not None:
        return run.gtin

    raise InvalidInput(
        "gtin",
        f"lot {lot.code} has no GTIN, so it has no GS1 address; give its co-op one "
        "('appletrace orgs add NAME --gtin GTIN') or print a label run first",
    )


def lot_address(session: Session, lot: Lot, base_url: str) -> str:
    """The lot's Digital Link address on our domain: what its QR codes carry."""
    return build_uri(base_url, lot_gtin(session, lot), lot.code)


def load_history(session: Session, lot: Lot) -> LotHistory:
    """Everything recorded about one lot, as plain data."""
    orchard = session.get(Orchard, lot.orchard_id)
    producer = session.get(Organization, lot.organization_id)
    assert orchard is not None and producer is not None

    return LotHistory(
        code=lot.code,
        gtin=lot_gtin(session, lot),
        variety=lot.variety,
        window_start=lot.window_start,
        harvested_on=lot.harvested_on,
        quantity_kg=lot.quantity_kg,
        grade=lot.grade,
        producer=party(producer),
        orchard=place(orchard),
        inspections=_inspections(session, lot),
        label_runs=_label_runs(session, lot),
        shipments=_shipments(session, lot),
        recalls=_recalls(session, lot),
        season=lot_provenance(session, lot).as_dict(),
    )


def party(organization: Organization) -> Party:
    """An organization as a party of an event."""
    return Party(organization.name, organization.phone, organization.address)


def place(orchard: Orchard) -> Place:
    """An orchard as a place, its county named."""
    return Place(
        code=orchard.code,
        name=orchard.name,
        county_code=orchard.county_code,
        county=ZHAOTONG_COUNTIES.get(orchard.county_code, orchard.county_code),
        township=orchard.township,
        village=orchard.village,
        latitude=orchard.latitude,
        longitude=orchard.longitude,
        altitude_m=orchard.altitude_m,
    )


def _inspections(session: Session, lot: Lot) -> tuple[InspectionRecord, ...]:
    rows = session.exec(
        select(Inspection)
        .where(Inspection.lot_id == lot.id)
        .order_by(Inspection.inspected_on, Inspection.id)  # type: ignore[arg-type]
    )
    return tuple(
        InspectionRecord(row_id(i), i.lab, i.inspected_on, i.passed) for i in rows
    )


def _label_runs(session: Session, lot: Lot) -> tuple[LabelRunRecord, ...]:
    rows = session.exec(
        select(LabelRun, Organization)
        .join(Organization, LabelRun.organization_id == Organization.id)  # type: ignore[arg-type]
        .where(LabelRun.lot_id == lot.id)
        .order_by(LabelRun.id)  # type: ignore[arg-type]
    )
    return tuple(
        LabelRunRecord(row_id(run), party(house), run.gtin, run.count, run.created_at)
        for run, house in rows
    )


def _shipments(session: Session, lot: Lot) -> tuple[ShipmentRecord, ...]:
    rows = session.exec(
        select(Shipment, ShipmentLot.quantity_kg, Organization)
        .join(ShipmentLot, ShipmentLot.shipment_id == Shipment.id)  # type: ignore[arg-type]
        .join(Organization, Organization.id == Shipment.organization_id)  # type: ignore[arg-type]
        .where(ShipmentLot.lot_id == lot.id)
        .order_by(Shipment.shipped_on, Shipment.id)  # type: ignore[arg-type]
    )
    return tuple(
        ShipmentRecord(
            row_id(shipment),
            party(shipper),
            shipment.consignee,
            shipment.destination,
            shipment.shipped_on,
            kg,
        )
        for shipment, kg, shipper in rows
    )


def _recalls(session: Session, lot: Lot) -> tuple[RecallRecord, ...]:
    rows = session.exec(
        select(Recall).where(Recall.lot_id == lot.id).order_by(Recall.id)  # type: ignore[arg-type]
    )
    return tuple(
        RecallRecord(row_id(r), r.label_run_id, r.reason, r.recalled_at, r.lifted_at)
        for r in rows
    )


def histories_for(session: Session, codes: Sequence[str]) -> list[LotHistory]:
    """The histories of the named lots, in the order named."""
    return [load_history(session, get_lot(session, code)) for code in codes]


def histories_between(
    session: Session, start: date, end: date, zone: tzinfo
) -> list[LotHistory]:
    """The histories of every lot with an event from start to end, by code.

    A lot harvested earlier but shipped in the range is included; the builders
    then keep only the events in the range.
    """
    if end < start:
        raise InvalidInput(
            "to", f"--to {end} is before --from {start}; give the earlier date first"
        )

    lots = session.exec(
        select(Lot).where(_event_between(start, end, zone)).order_by(Lot.code)
    )
    return [load_history(session, lot) for lot in lots]


def _event_between(start: date, end: date, zone: tzinfo) -> Any:
    # Label runs and recalls carry a time: compare it with the range's local days.
    first = datetime.combine(start, time(0), zone)
    after = datetime.combine(end + timedelta(days=1), time(0), zone)
    inspected = select(Inspection.lot_id).where(
        Inspection.inspected_on.between(start, end)  # type: ignore[attr-defined]
    )
    shipped = (
        select(ShipmentLot.lot_id)
        .join(Shipment, Shipment.id == ShipmentLot.shipment_id)  # type: ignore[arg-type]
        .where(Shipment.shipped_on.between(start, end))  # type: ignore[attr-defined]
    )
    packed = select(LabelRun.lot_id).where(
        LabelRun.created_at >= first,
        LabelRun.created_at < after,
    )
    recalled = select(Recall.lot_id).where(
        or_(
            Recall.recalled_at.between(first, after),  # type: ignore[attr-defined]
            Recall.lifted_at.between(first, after),  # type: ignore[union-attr]
        )
    )

    return or_(
        Lot.harvested_on.between(start, end),  # type: ignore[attr-defined]
        Lot.id.in_(inspected),  # type: ignore[union-attr]
        Lot.id.in_(shipped),  # type: ignore[union-attr]
        Lot.id.in_(packed),  # type: ignore[union-attr]
        Lot.id.in_(recalled),  # type: ignore[union-attr]
    )
