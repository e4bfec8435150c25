"""Shipments: which lots went to whom, when."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from sqlmodel import Session

from appletrace.trace import lots as lot_service
from appletrace.trace import shipments as shipment_service
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.models import Lot
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

bp = Blueprint("coop_shipments", __name__, template_folder="templates")

FIELDS = [
    FormField("consignee", "Consignee", required=True),
    FormField("destination", "Destination"),
    FormField("shipped_on", "Shipping date", "date", True),
    FormField("lots", "Lots on it (one per line: code, kg)", "textarea", True),
]


def parse_lot_lines(
    session: Session, organization_id: int, lines: str
) -> list[tuple[Lot, float | None]]:
    """Lots named one per line as ``code`` or ``code, kg``, each visible to us."""
    found = []
    for line in lines.splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not parts[0]:
            continue

        if len(parts) > 2:
            raise InvalidInput("lots", f"line {line!r} is not 'code' or 'code, kg'")

        lot = lot_service.get_visible_lot(session, parts[0], organization_id)
        kg = number("kg", False, {"kg": parts[1]}) if len(parts) == 2 else None
        found.append((lot, kg))

    return found


@bp.route("/shipments")
@requires("view")
def shipments() -> Any:
    """The organization's shipments, newest first."""
    with transaction() as session:
        rows = [
            [
                {"href": url_for(".shipment", shipment_id=s.id), "text": f"#{s.id}"},
                s.shipped_on.isoformat(),
                s.consignee,
                s.destination,
            ]
            for s in shipment_service.list_shipments(session, me().organization_id)
        ]

    actions = [("New shipment", url_for(".new_shipment"))] if me().can("ship") else []
    return render(
        "table.html",
        heading="Shipments",
        headers=["Shipment", "Shipping date", "Consignee", "Destination"],
        rows=rows,
        actions=actions,
    )


@bp.route("/shipments/new", methods=["GET", "POST"])
@requires("ship")
def new_shipment() -> Any:
    """Record a shipment of lots."""
    if request.method == "GET":
        values = {
            "shipped_on": today().isoformat(),
            "lots": request.args.get("lot", ""),
        }
        return render_form("New shipment", FIELDS, values, submit="Add")

    try:
        with transaction() as session:
            lots = parse_lot_lines(session, me().organization_id, text("lots"))
            shipment = shipment_service.add_shipment(
                session,
                my_organization(session),
                me().actor,
                today(),
                lots,
                consignee=text("consignee"),
                destination=text("destination"),
                shipped_on=day("shipped_on"),
            )
    except AppletraceError as error:
        if getattr(error, "kind", None) == "lot":
            error = InvalidInput("lots", str(error))

        return render_form("New shipment", FIELDS, request.form, error, submit="Add")

    return redirect(url_for(".shipment", shipment_id=shipment.id))


@bp.route("/shipments/<int:shipment_id>")
@requires("view")
def shipment(shipment_id: int) -> Any:
    """One shipment and its lots."""
    with transaction() as session:
        found = shipment_service.get_shipment(
            session, me().organization_id, shipment_id
        )
        row = shipment_service.shipment_row(session, found)

    lines = [
        [
            {"href": url_for("coop_lots.lot", code=x["code"]), "text": x["code"]},
            x["quantity_kg"],
        ]
        for x in row["lots"]
    ]
    return render(
        "table.html",
        heading="Shipment",
        notice=" · ".join(
            (f"#{row['id']}", row["shipped_on"], row["consignee"], row["destination"])
        ),
        headers=["Lot", "Quantity (kg)"],
        rows=lines,
        actions=[],
    )
