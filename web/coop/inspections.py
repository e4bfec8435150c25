"""Inspections: record a lab's residue test of a lot, with its report file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, request, send_file, url_for

from appletrace.trace import inspections as inspection_service
from appletrace.trace import lots as lot_service
from appletrace.trace.errors import AppletraceError, NotFound
from appletrace.web.app import settings_of
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    day,
    me,
    render_form,
    text,
    today,
    transaction,
)

bp = Blueprint("coop_inspections", __name__, template_folder="templates")

FIELDS = [
    FormField("lab", "Lab", required=True, help="昭通市农产品质量安全检测中心"),
    FormField("inspected_on", "Test date", "date", True),
    FormField("passed", "Passed", "check"),
    FormField(
        "residues",
        "Residues",
        "textarea",
        help="One line per finding: substance, mg/kg, limit mg/kg",
    ),
    FormField(
        "report",
        "Report file (PDF, PNG or JPEG)",
        "file",
        extra={"accept": "application/pdf,image/png,image/jpeg"},
    ),
    FormField("notes", "Notes", "textarea"),
]
MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def report_folder() -> Path:
    """Where report files are kept: the instance folder's reports/."""
    return settings_of(current_app).instance_path / "reports"


@bp.route("/lots/<code>/inspections/new", methods=["GET", "POST"])
@requires("grow")
def new_inspection(code: str) -> Any:
    """Add an inspection to one of the co-op's lots."""
    title = f"{code} · Add inspection"
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me().organization_id)
        if request.method == "GET":
            return render_form("Add inspection", FIELDS, {}, intro=lot.code)

        try:
            values = {
                "lab": text("lab"),
                "inspected_on": day("inspected_on"),
                "passed": request.form.get("passed") == "1",
                "residues": inspection_service.parse_residues(text("residues")),
                "notes": text("notes"),
            }
            upload = request.files.get("report")
            data = upload.read() if upload and upload.filename else b""
            if data:
                inspection_service.report_suffix(data)
                values["report_path"] = inspection_service.store_report(
                    report_folder(), lot, data
                )

            inspection_service.add_inspection(
                session, lot, me().actor, today(), **values
            )
        except AppletraceError as error:
            session.rollback()
            return render_form(title, FIELDS, request.form, error, intro=lot.code)

    return redirect(url_for("coop_lots.lot", code=lot.code))


@bp.route("/lots/<code>/inspections/<int:inspection_id>/report")
@requires("view")
def report(code: str, inspection_id: int) -> Any:
    """Download an inspection's report file."""
    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me().organization_id)
        inspection = inspection_service.get_inspection(session, lot, inspection_id)

    if not inspection.report_path:
        raise NotFound("report", inspection_id)

    path = report_folder() / Path(inspection.report_path).name
    return send_file(
        path,
        mimetype=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        as_attachment=True,
        download_name=f"{lot.code}-inspection-{inspection_id}{path.suffix}",
    )
