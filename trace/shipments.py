"""Shipments: lots sent to a consignee, so a recall can say where a lot went."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.errors import InvalidInput, NotFound
from appletrace.trace.models import Lot, Organization, Shipment, ShipmentLot
from appletrace.trace.types import check_lengths, row_id


def check_shipment(
    consignee: str,
    shipped_on: Any,
    today: date,
    lots: list[tuple[Lot, float | None]],
) -> None:
    """A shipment needs a consignee, a date that has come and distinct lots."""
    if not consignee:
        raise InvalidInput("consignee", "say who receives the shipment")

    if not isinstance(shipped_on, date) or shipped_on > today:
        raise InvalidInput(
            "shipped_on", f"shipping date {shipped_on} must not be in the future"
        )

    if not lots:
        raise InvalidInput("lots", "a shipment carries at least one lot")

    codes = [lot.code for lot, _ in lots]
    if len(set(codes)) != len(codes):
        raise InvalidInput("lots", "each lot appears once in a shipment")

    for lot, kg in lots:
        if kg is not None and not kg > 0:
            raise InvalidInput(
                "lots", f"quantity {kg} kg of lot {lot.code} must be above 0"
            )

        if shipped_on < lot.harvested_on:
            raise InvalidInput(
                "shipped_on",
                f"shipping date {shipped_on} is before lot {lot.code} was harvested "
                f"({lot.harvested_on}); a lot ships after its harvest",
            )


def add_shipment(
    session: Session,
    organization: Organization,
    actor: str,
    today: date,
    lots: list[tuple[Lot, float | None]],
    **values: Any,
) -> Shipment:
    """Record lots (each with kg, or None for all of it) sent to a consignee."""
    consignee = str(values.get("consignee", "")).strip()
    shipped_on: date = values.get("shipped_on")  # type: ignore[assignment]
    check_shipment(consignee, shipped_on, today, lots)
    check_lengths(
        Shipment,
        {"consignee": consignee, "destination": str(values.get("destination") or "")},
    )

    shipment = Shipment(
        organization_id=row_id(organization),
        consignee=consignee,
        destination=str(values.get("destination") or "").strip(),
        shipped_on=shipped_on,
    )
    session.add(shipment)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "shipment",
        shipment.id,
        None,
        audit.snapshot(shipment),
    )
    for lot, kg in lots:
        line = ShipmentLot(
            shipment_id=row_id(shipment), lot_id=row_id(lot), quantity_kg=kg
        )
        session.add(line)
        after = {"shipment_id": shipment.id, "lot": lot.code, "quantity_kg": kg}
        audit.record(
            session,
            actor,
            "create",
            "shipment_lot",
            f"{shipment.id}/{lot.code}",
            None,
            after,
        )

    return shipment


def list_shipments(session: Session, organization_id: int) -> list[Shipment]:
    """An organization's shipments, newest first."""
    query = (
        select(Shipment)
        .where(Shipment.organization_id == organization_id)
        .order_by(Shipment.shipped_on.desc(), Shipment.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    return list(session.exec(query))


def get_shipment(session: Session, organization_id: int, shipment_id: int) -> Shipment:
    """One of the organization's shipments."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or shipment.organization_id != organization_id:
        raise NotFound("shipment", shipment_id)

    return shipment


def shipment_lots(
    session: Session, shipment: Shipment
) -> list[tuple[Lot, float | None]]:
    """The lots on a shipment with their kilograms."""
    query = (
        select(Lot, ShipmentLot.quantity_kg)
        .join(ShipmentLot, ShipmentLot.lot_id == Lot.id)  # type: ignore[arg-type]
        .where(ShipmentLot.shipment_id == shipment.id)
        .order_by(Lot.code)
    )
    return [(lot, kg) for lot, kg in session.exec(query)]


def where_it_went(session: Session, lot: Lot) -> list[dict[str, Any]]:
    """Every shipment that carried the lot, by any organization, oldest first."""
    query = (
        select(Shipment, ShipmentLot.quantity_kg, Organization.name)
        .join(ShipmentLot, ShipmentLot.shipment_id == Shipment.id)  # type: ignore[arg-type]
        .join(Organization, Organization.id == Shipment.organization_id)  # type: ignore[arg-type]
        .where(ShipmentLot.lot_id == lot.id)
        .order_by(Shipment.shipped_on, Shipment.id)  # type: ignore[arg-type]
    )
    return [
        {
            "shipment_id": shipment.id,
            "shipped_by": name,
            "consignee": shipment.consignee,
            "destination": shipment.destination,
            "shipped_on": shipment.shipped_on.isoformat(),
            "quantity_kg": kg,
        }
        for shipment, kg, name in session.exec(query)
    ]


def shipment_row(session: Session, shipment: Shipment) -> dict[str, Any]:
    """A shipment as plain values with its lots."""
    return {
        "id": shipment.id,
        "consignee": shipment.consignee,
        "destination": shipment.destination,
        "shipped_on": shipment.shipped_on.isoformat(),
        "lots": [
            {"code": lot.code, "quantity_kg": kg}
            for lot, kg in shipment_lots(session, shipment)
        ],
    }
