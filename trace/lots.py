"""Lots: harvests of an orchard over a growing window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.models import (
    Inspection,
    LabelRun,
    Lot,
    LotShare,
    Orchard,
    Organization,
    Shipment,
    ShipmentLot,
)
from appletrace.trace.orchards import check_code
from appletrace.trace.types import check_lengths, row_id, utcnow

STATUSES = ("growing", "harvested", "packed", "shipped", "recalled")
MAX_WINDOW_DAYS = 400


def check_dates(window_start: date, harvested_on: date, today: date) -> None:
    """A window must start before harvest, be under a year long and not be future."""
    if harvested_on < window_start:
        raise InvalidInput(
            "harvested_on",
            f"harvest date {harvested_on} is before the growing window starts "
            f"({window_start}); give the window's first day as --from",
        )

    if (harvested_on - window_start).days > MAX_WINDOW_DAYS:
        raise InvalidInput(
            "window_start",
            f"growing window {window_start} to {harvested_on} is longer than "
            f"{MAX_WINDOW_DAYS} days; one lot is one season's harvest",
        )

    if harvested_on > today:
        raise InvalidInput(
            "harvested_on",
            f"harvest date {harvested_on} is in the future; register the lot once "
            "it is picked",
        )


def check_after_harvest(session: Session, lot: Lot, harvested_on: date) -> None:
    """Nothing recorded of a lot (inspection, packing, shipping) precedes harvest."""
    tested = session.exec(
        select(func.min(Inspection.inspected_on)).where(Inspection.lot_id == lot.id)
    ).one()
    shipped = session.exec(
        select(func.min(Shipment.shipped_on))
        .join(ShipmentLot, ShipmentLot.shipment_id == Shipment.id)  # type: ignore[arg-type]
        .where(ShipmentLot.lot_id == lot.id)
    ).one()
    packed = session.exec(
        select(func.min(LabelRun.created_at)).where(LabelRun.lot_id == lot.id)
    ).one()
    for what, day in (("inspected", tested), ("shipped", shipped)):
        if day is not None and day < harvested_on:
            _refuse_harvest(lot, harvested_on, f"was {what} on {day}")

    # Label runs carry a UTC time; the harvest a local date. Refuse only a run
    # that is before the harvest day in every time zone (UTC+14 starts first).
    if packed is not None and _utc(packed) < _earliest_start(harvested_on):
        _refuse_harvest(
            lot, harvested_on, f"was packed at {_utc(packed):%Y-%m-%d %H:%M} UTC"
        )


def _utc(value: datetime) -> datetime:
    # SQLite gives back naive UTC from an aggregate, bypassing the column type.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _earliest_start(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC) - timedelta(hours=14)


def _refuse_harvest(lot: Lot, harvested_on: date, fact: str) -> None:
    raise InvalidInput(
        "harvested_on",
        f"harvest date {harvested_on} is after lot {lot.code} {fact}; "
        "a lot is harvested before it is inspected, packed or shipped",
    )


def add_lot(
    session: Session,
    organization: Organization,
    orchard: Orchard,
    actor: str,
    today: date,
    **values: Any,
) -> Lot:
    """Register a lot of an organization's orchard; the code must be new."""
    values["code"] = check_code(values.get("code", ""), what="lot code")
    check_dates(values["window_start"], values["harvested_on"], today)
    quantity = values.get("quantity_kg")
    if quantity is not None and not quantity > 0:
        raise InvalidInput("quantity_kg", f"quantity {quantity} kg must be above 0")

    if not str(values.get("variety", "")).strip():
        raise InvalidInput("variety", "a lot needs a variety, e.g. 富士 (Fuji)")

    check_lengths(Lot, values)
    if orchard.organization_id != organization.id:
        raise NotFound("orchard", orchard.code)

    if session.exec(select(Lot).where(Lot.code == values["code"])).first():
        raise Conflict("code", f"lot code {values['code']!r} is taken already")

    lot = Lot(
        organization_id=row_id(organization), orchard_id=row_id(orchard), **values
    )
    session.add(lot)
    session.flush()
    audit.record(session, actor, "create", "lot", lot.code, None, audit.snapshot(lot))

    return lot


def update_lot(
    session: Session, lot: Lot, actor: str, today: date, **changes: Any
) -> Lot:
    """Change a lot's fields (not its code), checking the dates again."""
    before = audit.snapshot(lot)
    merged = {**lot.model_dump(), **changes}
    check_dates(merged["window_start"], merged["harvested_on"], today)
    check_lengths(Lot, changes)
    quantity = changes.get("quantity_kg")
    if quantity is not None and not quantity > 0:
        raise InvalidInput("quantity_kg", f"quantity {quantity} kg must be above 0")

    if "harvested_on" in changes:
        check_after_harvest(session, lot, merged["harvested_on"])

    for key, value in changes.items():
        setattr(lot, key, value)

    lot.updated_at = utcnow()
    session.add(lot)
    session.flush()
    audit.record(session, actor, "update", "lot", lot.code, before, audit.snapshot(lot))

    return lot


def get_lot(session: Session, code: str, organization_id: int | None = None) -> Lot:
    """The lot with this code (any case), within one organization if given."""
    query = select(Lot).where(Lot.code == code.strip().upper())
    if organization_id is not None:
        query = query.where(Lot.organization_id == organization_id)

    lot = session.exec(query).first()
    if lot is None:
        raise NotFound("lot", code)

    return lot


def list_lots(
    session: Session, organization_id: int | None = None
) -> list[tuple[Lot, Orchard]]:
    """Lots with their orchards, newest harvest first."""
    query = (
        select(Lot, Orchard)
        .join(Orchard, Lot.orchard_id == Orchard.id)  # type: ignore[arg-type]
        .order_by(Lot.harvested_on.desc(), Lot.code)  # type: ignore[attr-defined]
    )
    if organization_id is not None:
        query = query.where(Lot.organization_id == organization_id)

    return [(lot, orchard) for lot, orchard in session.exec(query)]


def visible_to(organization_id: int) -> Any:
    """A condition on Lot: owned by the organization or shared with it."""
    shared = select(LotShare.lot_id).where(LotShare.organization_id == organization_id)

    return or_(
        Lot.organization_id == organization_id,  # type: ignore[arg-type]
        Lot.id.in_(shared),  # type: ignore[union-attr]
    )


def get_visible_lot(session: Session, code: str, organization_id: int) -> Lot:
    """A lot the organization owns or that a co-op shared with it."""
    query = select(Lot).where(
        Lot.code == code.strip().upper(), visible_to(organization_id)
    )
    lot = session.exec(query).first()
    if lot is None:
        raise NotFound("lot", code)

    return lot


def list_visible_lots(
    session: Session, organization_id: int
) -> list[tuple[Lot, Orchard]]:
    """Lots owned by or shared with the organization, newest harvest first."""
    query = (
        select(Lot, Orchard)
        .join(Orchard, Lot.orchard_id == Orchard.id)  # type: ignore[arg-type]
        .where(visible_to(organization_id))
        .order_by(Lot.harvested_on.desc(), Lot.code)  # type: ignore[attr-defined]
    )
    return [(lot, orchard) for lot, orchard in session.exec(query)]


def share_lot(
    session: Session, lot: Lot, packing_house: Organization, actor: str
) -> LotShare:
    """Let a packing house print labels for a lot; sharing twice changes nothing."""
    if packing_house.kind != "packing_house":
        raise InvalidInput(
            "packing_house", f"{packing_house.name!r} is not a packing house"
        )

    existing = session.get(LotShare, (lot.id, packing_house.id))
    if existing is not None:
        return existing

    share = LotShare(lot_id=row_id(lot), organization_id=row_id(packing_house))
    session.add(share)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "lot_share",
        f"{lot.code}/{packing_house.id}",
        None,
        {"lot": lot.code, "packing_house": packing_house.name},
    )

    return share


def unshare_lot(
    session: Session, lot: Lot, packing_house: Organization, actor: str
) -> None:
    """Stop sharing a lot with a packing house; its printed labels stay valid."""
    share = session.get(LotShare, (lot.id, packing_house.id))
    if share is None:
        raise NotFound("share", packing_house.name)

    session.delete(share)
    session.flush()
    audit.record(
        session,
        actor,
        "delete",
        "lot_share",
        f"{lot.code}/{packing_house.id}",
        {"lot": lot.code, "packing_house": packing_house.name},
        None,
    )


def shared_with(session: Session, lot: Lot) -> list[Organization]:
    """The packing houses a lot is shared with, by name."""
    query = (
        select(Organization)
        .join(LotShare, LotShare.organization_id == Organization.id)  # type: ignore[arg-type]
        .where(LotShare.lot_id == lot.id)
        .order_by(Organization.name)
    )
    return list(session.exec(query))
