"""API for label runs: create for a shared lot, download labels, void damaged ones."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from sqlmodel import Session, select

from appletrace.trace import label_runs as run_service
from appletrace.trace.models import LabelRun
from appletrace.web.api import body, route
from appletrace.web.api.openapi import array, ref
from appletrace.web.coop.label_runs import (
    create_run,
    get_run,
    labels_response,
    range_of,
    visible_runs,
)
from appletrace.web.coop.pages import transaction

LABEL_FILE = {
    "description": "The labels as a PDF sheet or ZPL for a thermal printer.",
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.zebra-zpl": {"schema": {"type": "string"}},
    },
}
FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["pdf", "zpl"], "default": "pdf"},
}
FROM = {
    "name": "from",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**20},
}
TO = {
    "name": "to",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**20},
}


def run_row(session: Session, run: LabelRun) -> dict[str, Any]:
    """A run as plain values, with its lot's code and voided labels."""
    lot = run_service.lot_of(session, run)
    return {
        "id": run.id,
        "lot": lot.code,
        "gtin": run.gtin,
        "count": run.count,
        "issued": run_service.issued(run),
        "template": run.template,
        "short": run.short_uri,
        "created_at": run.created_at.isoformat(),
        "voided": [
            {"index": v.label_index, "reason": v.reason, "replaced_by": v.replaced_by}
            for v in run_service.list_voided(session, run)
        ],
    }


@route("/label-runs", "get", "view", answer=array(ref("LabelRun")))
def list_label_runs() -> Any:
    """Runs the organization made, or of its lots, newest first."""
    with transaction() as session:
        query = (
            select(LabelRun)
            .where(visible_runs(g.principal.organization_id))
            .order_by(LabelRun.id.desc())  # type: ignore[union-attr]
        )
        return jsonify([run_row(session, r) for r in session.exec(query)])


@route(
    "/lots/{code}/label-runs",
    "post",
    "pack",
    answer=ref("LabelRun"),
    status="201",
    body="LabelRunNew",
)
def add_label_run(code: str) -> Any:
    """Create a run of labels for a lot shared with this packing house."""
    values = body("LabelRunNew")
    with transaction() as session:
        run = create_run(session, g.principal, code, values)
        return jsonify(run_row(session, run)), 201


@route("/label-runs/{run_id}", "get", "view", answer=ref("LabelRun"))
def get_label_run(run_id: int) -> Any:
    """One run."""
    with transaction() as session:
        return jsonify(run_row(session, get_run(session, g.principal, run_id)))


@route(
    "/label-runs/{run_id}/labels",
    "get",
    "pack",
    answer=None,
    responses_override=LABEL_FILE,
    parameters=[FORMAT, FROM, TO],
)
def get_labels(run_id: int) -> Any:
    """Download the run's labels, or labels ``from`` to ``to`` (both included)."""
    with transaction() as session:
        run = get_run(session, g.principal, run_id, printing=True)
        start, stop = range_of(request.args)
        return labels_response(
            session, run, request.args.get("format", "pdf"), start, stop
        )


@route(
    "/label-runs/{run_id}/void",
    "post",
    "pack",
    answer=ref("LabelRun"),
    body="VoidLabels",
    errors=("401", "403", "404", "409"),
)
def void_labels(run_id: int) -> Any:
    """Void damaged labels; with ``replace``, issue a new label for each."""
    values = body("VoidLabels")
    with transaction() as session:
        run = get_run(session, g.principal, run_id, printing=True)
        indexes = sorted(set(values["indexes"]))
        reason = values.get("reason", "")
        if values.get("replace"):
            run_service.issue_replacements(
                session, run, indexes, g.principal.actor, reason
            )
        else:
            for index in indexes:
                run_service.void_label(session, run, index, g.principal.actor, reason)

        return jsonify(run_row(session, run))
