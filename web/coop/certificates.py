"""Compliance certificates on the co-op pages: issue one for a lot, print it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from sqlmodel import Session

from appletrace.labels.certificate import render_certificate
from appletrace.trace import certificate, exports
from appletrace.trace import lots as lot_service
from appletrace.trace.errors import AppletraceError, InvalidInput, NotFound
from appletrace.trace.models import Certificate, Lot
from appletrace.web.app import settings_of
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    number,
    render_form,
    text,
    today,
    transaction,
)

bp = Blueprint("coop_certificates", __name__, template_folder="templates")

FIELDS = [
    FormField(
        "basis",
        "Basis",
        "select",
        True,
        options=tuple((key, f"{zh} ({key})") for key, zh in certificate.BASES.items()),
    ),
    FormField("inspection_id", "Inspection id (for a test basis)", "number", step="1"),
    FormField("shipment_id", "Shipment id (one load only)", "number", step="1"),
    FormField("quantity_kg", "Quantity (kg)", "number", help="Default: the whole lot"),
]


def visible_certificate(
    session: Session, code: str, organization_id: int
) -> Certificate:
    """A certificate of a lot the organization owns or was shared; else NotFound."""
    issued = certificate.get_certificate(session, code)
    lot = session.get(Lot, issued.lot_id)
    assert lot is not None
    try:
        lot_service.get_visible_lot(session, lot.code, organization_id)
    except NotFound:
        raise NotFound("certificate", code) from None

    return issued


def _id(name: str) -> int | None:
    value = number(name, required=False)
    if value is None:
        return None

    if not value.is_integer() or value < 1:
        raise InvalidInput(name, f"{name} {value:g} is not an id; give a whole number")

    return int(value)


@bp.route("/lots/<code>/certificates/new", methods=["GET", "POST"])
@requires("grow")
def new_certificate(code: str) -> Any:
    """Issue a compliance certificate (承诺达标合格证) for one of the co-op's lots."""
    title = "Issue certificate"
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me().organization_id)
        if request.method == "GET":
            return render_form(title, FIELDS, {"basis": "own-control"}, intro=lot.code)

        try:
            wanted = certificate.IssueRequest(
                basis=text("basis"),
                inspection_id=_id("inspection_id"),
                shipment_id=_id("shipment_id"),
                quantity_kg=number("quantity_kg", required=False),
            )
            base_url = settings_of(current_app).base_url
            address = exports.lot_address(session, lot, base_url)
            certificate.issue_certificate(
                session, lot, me().actor, today(), address, wanted
            )
        except AppletraceError as error:
            session.rollback()
            return render_form(title, FIELDS, request.form, error, intro=lot.code)

    return redirect(url_for("coop_lots.lot", code=lot.code))


@bp.route("/certificates/<code>")
@requires("view")
def certificate_pdf(code: str) -> Response:
    """An issued certificate's PDF, the same bytes at every print."""
    with transaction() as session:
        issued = visible_certificate(session, code, me().organization_id)
        sheet = certificate.certificate_sheet(session, issued)

    answer = Response(render_certificate(sheet), mimetype="application/pdf")
    answer.headers["Content-Disposition"] = f'inline; filename="{sheet.number}.pdf"'

    return answer
