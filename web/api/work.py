"""API for recalls, shipments and bulk import."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from sqlmodel import Session

from appletrace.trace import imports
from appletrace.trace import lots as lot_service
from appletrace.trace import recalls as recall_service
from appletrace.trace import shipments as shipment_service
from appletrace.trace.bulk import apply_rows
from appletrace.trace.errors import InvalidInput
from appletrace.trace.models import Lot, Recall
from appletrace.web.api import body, route
from appletrace.web.api.openapi import array, ref
from appletrace.web.api.registry import actor, me_id
from appletrace.web.coop.pages import my_organization, today, transaction
from appletrace.web.coop.recalls import recall_target, visible_lot_ids

SHEETS = {
    "text/csv": "upload.csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "upload.xlsx",
}


def recall_row(session: Session, row: Recall) -> dict[str, Any]:
    """A recall with its lot's code and where the lot went (as this org may see)."""
    lot = session.get(Lot, row.lot_id)
    assert lot is not None
    went = shipment_service.where_it_went(session, lot)
    if lot.organization_id != me_id():
        mine = {s.id for s in shipment_service.list_shipments(session, me_id())}
        went = [w for w in went if w["shipment_id"] in mine]

    return {
        "id": row.id,
        "lot": lot.code,
        "label_run": row.label_run_id,
        "reason": row.reason,
        "recalled_at": row.recalled_at.isoformat(),
        "lifted_at": None if row.lifted_at is None else row.lifted_at.isoformat(),
        "went": went,
    }


@route("/recalls", "get", "view", answer=array(ref("Recall")))
def list_recalls() -> Any:
    """Recalls of the lots the organization can see, newest first."""
    with transaction() as session:
        rows = recall_service.list_recalls(session, visible_lot_ids(me_id()))
        return jsonify([recall_row(session, r) for r in rows])


@route(
    "/recalls",
    "post",
    "view",
    answer=ref("Recall"),
    status="201",
    body="RecallNew",
    errors=("401", "403", "404", "409"),
)
def add_recall() -> Any:
    """Recall a lot (its co-op) or a label run (its co-op or packing house)."""
    values = body("RecallNew")
    if not (g.principal.can("grow") or g.principal.can("pack")):
        raise_forbidden()

    with transaction() as session:
        lot, run = recall_target(
            session, g.principal, values["lot"], values.get("label_run")
        )
        row = recall_service.recall(session, lot, values["reason"], actor(), run)
        return jsonify(recall_row(session, row)), 201


def raise_forbidden() -> None:
    """Answer 403 for a role that may not recall."""
    from flask import abort

    abort(403, f"your role ({g.principal.role}) may not recall")


@route("/recalls/{recall_id}", "get", "view", answer=ref("Recall"))
def get_recall(recall_id: int) -> Any:
    """One recall, with where its lot went."""
    with transaction() as session:
        row = recall_service.get_recall(session, recall_id, visible_lot_ids(me_id()))
        return jsonify(recall_row(session, row))


@route(
    "/recalls/{recall_id}/lift",
    "post",
    "grow",
    answer=ref("Recall"),
    errors=("401", "403", "404", "409"),
)
def lift_recall(recall_id: int) -> Any:
    """Lift a recall made by mistake (the co-op that owns the lot)."""
    from sqlmodel import select

    owned = select(Lot.id).where(Lot.organization_id == me_id())
    with transaction() as session:
        row = recall_service.get_recall(session, recall_id, owned)
        recall_service.lift(session, row, actor())
        return jsonify(recall_row(session, row))


@route("/shipments", "get", "view", answer=array(ref("Shipment")))
def list_shipments() -> Any:
    """The organization's shipments, newest first."""
    with transaction() as session:
        rows = shipment_service.list_shipments(session, me_id())
        return jsonify([shipment_service.shipment_row(session, s) for s in rows])


@route(
    "/shipments",
    "post",
    "ship",
    answer=ref("Shipment"),
    status="201",
    body="ShipmentNew",
    errors=("401", "403", "404"),
)
def add_shipment() -> Any:
    """Record lots sent to a consignee."""
    values = body("ShipmentNew")
    with transaction() as session:
        lots = [
            (
                lot_service.get_visible_lot(session, item["code"], me_id()),
                item.get("quantity_kg"),
            )
            for item in values.pop("lots")
        ]
        shipment = shipment_service.add_shipment(
            session, my_organization(session), actor(), today(), lots, **values
        )
        return jsonify(shipment_service.shipment_row(session, shipment)), 201


@route("/shipments/{shipment_id}", "get", "view", answer=ref("Shipment"))
def get_shipment(shipment_id: int) -> Any:
    """One shipment and its lots."""
    with transaction() as session:
        shipment = shipment_service.get_shipment(session, me_id(), shipment_id)
        return jsonify(shipment_service.shipment_row(session, shipment))


IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        },
    },
}
DRY_RUN = {
    "name": "dry_run",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean", "default": False},
    "description": "Check every row and import nothing.",
}


@route(
    "/imports/{kind}",
    "post",
    "grow",
    answer=ref("ImportResult"),
    requestBody=IMPORT_BODY,
)
def import_sheet(kind: str) -> Any:
    """Import orchards or lots from a CSV or XLSX sheet; bad rows are reported."""
    media = (request.mimetype or "").lower()
    if media not in SHEETS:
        raise InvalidInput("body", "send the sheet as text/csv or as an XLSX file")

    dry_run = request.args.get("dry_run", "false").lower() in ("true", "1")
    rows = imports.parse_rows(kind, request.get_data(), SHEETS[media])
    with transaction() as session:
        apply_rows(session, my_organization(session), actor(), kind, rows, today())
        if dry_run:
            session.rollback()

    return jsonify(
        {
            "kind": kind,
            "dry_run": dry_run,
            "imported": 0 if dry_run else sum(r.ok for r in rows),
            "rows": [
                {
                    "number": r.number,
                    "code": r.raw.get("code", ""),
                    "ok": r.ok,
                    "field": r.field,
                    "error": r.error,
                }
                for r in rows
            ],
        }
    )
