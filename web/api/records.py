"""API for records: a lot's EPCIS 2.0 events and FSMA 204 sheet, certificates."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify
from sqlmodel import Session

from appletrace.labels.certificate import render_certificate
from appletrace.trace import certificate, epcis, exports, fsma
from appletrace.trace import lots as lot_service
from appletrace.trace.lot_history import LotHistory
from appletrace.trace.models import Lot
from appletrace.trace.types import utcnow
from appletrace.web.api import body, openapi, route
from appletrace.web.api.openapi import array, obj, ref
from appletrace.web.api.registry import actor, me_id
from appletrace.web.app import settings_of
from appletrace.web.coop.certificates import visible_certificate
from appletrace.web.coop.pages import my_organization, today, transaction

openapi.PARAMS["number"] = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": openapi.string(1, 40),
}
openapi.SCHEMAS["Certificate"] = obj(
    {
        "number": {"type": "string"},
        "lot": {"type": "string"},
        "basis": {"type": "string", "enum": list(certificate.BASES)},
        "inspection_id": {"type": "integer", "nullable": True},
        "shipment_id": {"type": "integer", "nullable": True},
        "product": {"type": "string"},
        "quantity_kg": {"type": "number"},
        "producer": {"type": "string"},
        "origin": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"},
        "issued_by": {"type": "string"},
        "address": {"type": "string"},
    },
    ("number", "lot", "basis", "quantity_kg", "issued_on", "address"),
    closed=False,
)
openapi.SCHEMAS["CertificateNew"] = obj(
    {
        "basis": {"type": "string", "enum": list(certificate.BASES)},
        "inspection_id": {"type": "integer", "minimum": 1, "maximum": openapi.MAX_ID},
        "shipment_id": {"type": "integer", "minimum": 1, "maximum": openapi.MAX_ID},
        "quantity_kg": openapi.number(0, 1e9, exclusiveMinimum=True),
    }
)


def _file(media_type: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "format": "binary"}
    if media_type.endswith("json"):
        schema = {"type": "object"}

    return {"description": description, "content": {media_type: {"schema": schema}}}


def _history(session: Session, lot: Lot) -> LotHistory:
    """The lot's history as this organization may see it.

    A packing house the lot is shared with sees its own shipments only, as on
    the recall page.
    """
    history = exports.load_history(session, lot)
    if lot.organization_id == me_id():
        return history

    mine = my_organization(session).name
    shipments = tuple(s for s in history.shipments if s.shipper.name == mine)
    return dataclasses.replace(history, shipments=shipments)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings_of(current_app).timezone)


@route(
    "/lots/{code}/epcis",
    "get",
    "view",
    answer=None,
    responses_override=_file("application/ld+json", "A GS1 EPCIS 2.0 document."),
)
def lot_epcis(code: str) -> Response:
    """The lot's events as a GS1 EPCIS 2.0 JSON-LD document (docs/records.md)."""
    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me_id())
        history = _history(session, lot)

    base_url = settings_of(current_app).base_url
    document = epcis.build_document([history], utcnow(), _zone(), base_url)
    text = json.dumps(document, ensure_ascii=False)

    return Response(text, mimetype="application/ld+json")


@route(
    "/lots/{code}/fsma",
    "get",
    "view",
    answer=None,
    responses_override=_file("text/csv", "The lot's FSMA 204 sheet as CSV."),
)
def lot_fsma(code: str) -> Response:
    """The lot's FSMA 204 sheet: one CSV row per event (docs/records.md)."""
    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me_id())
        history = _history(session, lot)

    rows = fsma.build_rows([history], _zone())
    answer = Response(fsma.to_csv(rows), mimetype="text/csv")
    answer.headers["Content-Disposition"] = f'attachment; filename="{lot.code}.csv"'

    return answer


@route("/lots/{code}/certificates", "get", "view", answer=array(ref("Certificate")))
def list_certificates(code: str) -> Any:
    """The lot's compliance certificates, oldest first."""
    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me_id())
        rows = certificate.list_certificates(session, lot)
        return jsonify([certificate.certificate_row(c, lot.code) for c in rows])


@route(
    "/lots/{code}/certificates",
    "post",
    "grow",
    answer=ref("Certificate"),
    status="201",
    body="CertificateNew",
    errors=("401", "403", "404"),
)
def issue_certificate(code: str) -> Any:
    """Issue a compliance certificate (承诺达标合格证) for one of the co-op's lots."""
    values = body("CertificateNew")
    wanted = certificate.IssueRequest(
        basis=values.get("basis", "own-control"),
        inspection_id=values.get("inspection_id"),
        shipment_id=values.get("shipment_id"),
        quantity_kg=values.get("quantity_kg"),
    )
    base_url = settings_of(current_app).base_url
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        address = exports.lot_address(session, lot, base_url)
        issued = certificate.issue_certificate(
            session, lot, actor(), today(), address, wanted
        )
        return jsonify(certificate.certificate_row(issued, lot.code)), 201


@route(
    "/certificates/{number}",
    "get",
    "view",
    answer=None,
    responses_override=_file("application/pdf", "The certificate, print-ready."),
)
def certificate_pdf(number: str) -> Response:
    """An issued certificate's PDF, the same bytes at every print."""
    with transaction() as session:
        issued = visible_certificate(session, number, me_id())
        sheet = certificate.certificate_sheet(session, issued)

    answer = Response(render_certificate(sheet), mimetype="application/pdf")
    answer.headers["Content-Disposition"] = f'inline; filename="{sheet.number}.pdf"'

    return answer
