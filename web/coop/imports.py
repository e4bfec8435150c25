"""Bulk import of orchards and lots: upload, preview with per-row errors, confirm."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request

from appletrace.trace import imports
from appletrace.trace.bulk import apply_rows
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.imports import Row
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    my_organization,
    render,
    render_form,
    today,
    transaction,
)

bp = Blueprint("coop_import", __name__, template_folder="templates")

FIELDS = [
    FormField(
        "kind", "What", "select", True, (("orchards", "Orchards"), ("lots", "Lots"))
    ),
    FormField(
        "file",
        "File (CSV or XLSX)",
        "file",
        True,
        extra={"accept": ".csv,.xlsx,text/csv"},
    ),
]


def check(kind: str, rows: list[Row]) -> list[Row]:
    """Run the rows through the services and roll back: the preview's errors."""
    with transaction() as session:
        apply_rows(session, my_organization(session), me().actor, kind, rows, today())
        session.rollback()

    return rows


@bp.route("/import", methods=["GET"])
@requires("grow")
def start() -> Any:
    """The upload form."""
    return render_form("Import", FIELDS, {"kind": "orchards"}, submit="Preview")


@bp.route("/import", methods=["POST"])
@requires("grow")
def preview() -> Any:
    """Read the file and show which rows would import and why others would not."""
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("file", "choose a CSV or XLSX file")

        rows = check(kind, imports.parse_rows(kind, upload.read(), upload.filename))
    except AppletraceError as error:
        return render_form("Import", FIELDS, request.form, error, submit="Preview")

    good = [{"number": r.number, "raw": r.raw} for r in rows if r.ok]
    return render(
        "import.html",
        kind=kind,
        rows=rows,
        good=len(good),
        payload=json.dumps(good, ensure_ascii=False),
        done=False,
    )


@bp.route("/import/confirm", methods=["POST"])
@requires("grow")
def confirm() -> Any:
    """Import the rows the preview found good; report any that fail now."""
    kind = request.form.get("kind", "")
    try:
        posted = json.loads(request.form.get("rows", "[]"))
        rows = [
            imports.convert(kind, Row(int(item["number"]), dict(item["raw"])))
            for item in posted
        ]
    except (ValueError, KeyError, TypeError):
        return render_form(
            "Import",
            FIELDS,
            {},
            InvalidInput("file", "the preview was damaged; upload the file again"),
        )

    with transaction() as session:
        apply_rows(session, my_organization(session), me().actor, kind, rows, today())

    return render(
        "import.html",
        kind=kind,
        rows=rows,
        good=sum(r.ok for r in rows),
        payload="[]",
        done=True,
    )
