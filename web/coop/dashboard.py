"""The dashboard: what the organization has, at a glance."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import func
from sqlmodel import select

from appletrace.trace import lots as lot_service
from appletrace.trace.models import Device, Lot, Orchard, Recall, Shipment
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import me, my_organization, render, transaction

bp = Blueprint("coop_dashboard", __name__, template_folder="templates")


@bp.route("/")
@requires("view")
def dashboard() -> Any:
    """Counts of orchards, devices, lots, recalls and shipments."""
    org_id = me().organization_id
    with transaction() as session:
        organization = my_organization(session)
        visible = select(Lot.id).where(lot_service.visible_to(org_id))
        counts = {
            "Orchards": _count(
                session, select(Orchard).where(Orchard.organization_id == org_id)
            ),
            "Devices": _count(
                session,
                select(Device)
                .join(Orchard, Device.orchard_id == Orchard.id)  # type: ignore[arg-type]
                .where(Orchard.organization_id == org_id),
            ),
            "Lots": _count(session, select(Lot).where(lot_service.visible_to(org_id))),
            "Recalls": _count(
                session,
                select(Recall).where(
                    Recall.lot_id.in_(visible),  # type: ignore[attr-defined]
                    Recall.lifted_at.is_(None),  # type: ignore[union-attr]
                ),
            ),
            "Shipments": _count(
                session, select(Shipment).where(Shipment.organization_id == org_id)
            ),
        }
        recent = lot_service.list_visible_lots(session, org_id)[:10]

    return render(
        "dashboard.html", organization=organization, counts=counts, recent=recent
    )


def _count(session: Any, query: Any) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())
