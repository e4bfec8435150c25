"""Lots: register, see (with the growing summary), edit and share with a packer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from sqlmodel import Session, select

from appletrace.trace import certificate as certificate_service
from appletrace.trace import inspections as inspection_service
from appletrace.trace import lots as lot_service
from appletrace.trace import orchards as orchard_service
from appletrace.trace import recalls as recall_service
from appletrace.trace import shipments as shipment_service
from appletrace.trace.errors import AppletraceError, InvalidInput, NotFound
from appletrace.trace.models import Lot, Orchard, Organization
from appletrace.web.coop import season
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    day,
    me,
    my_organization,
    number,
    render,
    render_form,
    text,
    today,
    transaction,
)

bp = Blueprint("coop_lots", __name__, template_folder="templates")

DETAIL_FIELDS = [
    FormField("variety", "Variety", required=True, help="富士"),
    FormField("window_start", "Growing window starts", "date", True),
    FormField("harvested_on", "Harvest date", "date", True),
    FormField("quantity_kg", "Quantity (kg)", "number"),
    FormField("grade", "Grade", help="一级"),
]


def lot_fields(orchards: list[Orchard]) -> list[FormField]:
    """The registration form, with the co-op's orchards to choose from."""
    options = tuple((o.code, f"{o.code} {o.name}") for o in orchards)
    return [
        FormField("code", "Lot code", required=True, help="ZY25-FJ-001"),
        FormField("orchard", "Orchard", "select", True, options),
        *DETAIL_FIELDS,
    ]


def detail_values() -> dict[str, Any]:
    """The lot fields of the posted form, typed."""
    variety = text("variety")
    if not variety:
        raise InvalidInput("variety", "a lot needs a variety, e.g. 富士 (Fuji)")

    return {
        "variety": variety,
        "window_start": day("window_start"),
        "harvested_on": day("harvested_on"),
        "quantity_kg": number("quantity_kg", required=False),
        "grade": text("grade"),
    }


@bp.route("/lots")
@requires("view")
def lots() -> Any:
    """Lots the organization owns or that were shared with it."""
    with transaction() as session:
        rows = [
            [
                {"href": url_for(".lot", code=lot.code), "text": lot.code},
                orchard.name,
                lot.variety,
                lot.harvested_on.isoformat(),
                lot.status,
            ]
            for lot, orchard in lot_service.list_visible_lots(
                session, me().organization_id
            )
        ]

    actions = [("Register lot", url_for(".new_lot"))] if me().can("grow") else []
    return render(
        "table.html",
        heading="Lots",
        headers=["Lot code", "Orchard", "Variety", "Harvest date", "Status"],
        rows=rows,
        actions=actions,
    )


@bp.route("/lots/new", methods=["GET", "POST"])
@requires("grow")
def new_lot() -> Any:
    """Register a lot of one of the co-op's orchards."""
    with transaction() as session:
        fields = lot_fields(
            orchard_service.list_orchards(session, me().organization_id)
        )
        if request.method == "GET":
            return render_form(
                "Register lot", fields, {"orchard": request.args.get("orchard", "")}
            )

        try:
            orchard = orchard_service.get_orchard(
                session, text("orchard"), me().organization_id
            )
            lot = lot_service.add_lot(
                session,
                my_organization(session),
                orchard,
                me().actor,
                today(),
                code=text("code"),
                **detail_values(),
            )
        except AppletraceError as error:
            session.rollback()
            return render_form("Register lot", fields, request.form, error)

    return redirect(url_for(".lot", code=lot.code))


@bp.route("/lots/<code>")
@requires("view")
def lot(code: str) -> Any:
    """One lot: its orchard, growing summary, inspections, shares and recalls."""
    org_id = me().organization_id
    with transaction() as session:
        found = lot_service.get_visible_lot(session, code, org_id)
        context = lot_context(session, found, owner=found.organization_id == org_id)

    return render("lot.html", lot=found, **context)


def lot_context(session: Session, lot: Lot, owner: bool) -> dict[str, Any]:
    """What the lot page shows besides the lot."""
    houses = session.exec(
        select(Organization)
        .where(Organization.kind == "packing_house")
        .order_by(Organization.name)
    ).all()
    provenance = season.summary(session, lot)
    went = shipment_service.where_it_went(session, lot)
    if not owner:
        mine = {
            s.id for s in shipment_service.list_shipments(session, me().organization_id)
        }
        went = [w for w in went if w["shipment_id"] in mine]

    return {
        "orchard": session.get(Orchard, lot.orchard_id),
        "owner": owner,
        "season": provenance,
        "chart": season.chart(provenance, f"{lot.code} 昼夜温差 / diurnal range"),
        "inspections": [
            inspection_service.inspection_row(i)
            for i in inspection_service.list_inspections(session, lot)
        ],
        "shared": lot_service.shared_with(session, lot) if owner else [],
        "houses": houses if owner else [],
        "recalls": recall_service.active_recalls(session, lot),
        "went": went,
        "label_runs": season.label_runs(session, lot, me().organization_id, owner),
        "certificates": certificate_service.list_certificates(session, lot),
    }


@bp.route("/lots/<code>/edit", methods=["GET", "POST"])
@requires("grow")
def edit_lot(code: str) -> Any:
    """Change a lot's variety, window, quantity or grade."""
    with transaction() as session:
        found = lot_service.get_lot(session, code, me().organization_id)
        if request.method == "GET":
            return render_form(found.code, DETAIL_FIELDS, found.model_dump())

        try:
            lot_service.update_lot(
                session, found, me().actor, today(), **detail_values()
            )
        except AppletraceError as error:
            session.rollback()
            return render_form(found.code, DETAIL_FIELDS, request.form, error)

    return redirect(url_for(".lot", code=found.code))


@bp.route("/lots/<code>/share", methods=["POST"])
@requires("grow")
def share(code: str) -> Any:
    """Share a lot with a packing house, or stop sharing it."""
    with transaction() as session:
        found = lot_service.get_lot(session, code, me().organization_id)
        house = session.exec(
            select(Organization).where(Organization.name == text("packing_house"))
        ).first()
        if house is None:
            raise NotFound("organization", text("packing_house"))

        if request.form.get("stop") == "1":
            lot_service.unshare_lot(session, found, house, me().actor)
        else:
            lot_service.share_lot(session, found, house, me().actor)

    return redirect(url_for(".lot", code=found.code))
