"""Inspections: a lab's residue test of a lot, with its report file."""

from __future__ import annotations

import json
import math
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.errors import InvalidInput, NotFound
from appletrace.trace.models import Inspection, Lot
from appletrace.trace.types import check_lengths, row_id

REPORT_MAX_BYTES = 10 * 1024 * 1024
# Known by their first bytes, so a renamed file cannot pass as a report.
REPORT_KINDS = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


def parse_residues(text: str) -> list[dict[str, Any]]:
    """Read residue lines ``substance, mg/kg[, limit mg/kg]`` into findings."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue

        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) not in (2, 3) or not parts[0]:
            raise InvalidInput(
                "residues",
                f"residue line {number} {line!r} is not 'substance, mg/kg' or "
                "'substance, mg/kg, limit mg/kg'",
            )

        values = [_amount(p, number) for p in parts[1:]]
        finding = {"substance": parts[0], "mg_per_kg": values[0]}
        finding["limit_mg_per_kg"] = values[1] if len(values) > 1 else None
        findings.append(finding)

    return findings


def _amount(text: str, number: int) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan

    if not math.isfinite(value) or value < 0:
        raise InvalidInput(
            "residues",
            f"residue line {number}: {text!r} is not an amount in mg/kg (0 or more)",
        )

    return value


def check_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check findings given as JSON (the API) the way typed lines are checked."""
    if not isinstance(findings, list):
        raise InvalidInput("residues", "residues must be a list of findings")

    lines = []
    for finding in findings:
        if not isinstance(finding, dict) or "substance" not in finding:
            raise InvalidInput(
                "residues", f"finding {finding!r} needs substance and mg_per_kg"
            )

        limit = finding.get("limit_mg_per_kg")
        lines.append(
            f"{finding['substance']}, {finding.get('mg_per_kg')}"
            + ("" if limit is None else f", {limit}")
        )

    return parse_residues("\n".join(lines))


def report_suffix(data: bytes) -> str:
    """The file suffix of a report (PDF, PNG or JPEG), checked by its content."""
    if len(data) > REPORT_MAX_BYTES:
        raise InvalidInput(
            "report",
            f"the report has {len(data) // 1024} KiB; the most is "
            f"{REPORT_MAX_BYTES // 1024 // 1024} MiB — scan it at a lower resolution",
        )

    for magic, suffix in REPORT_KINDS.items():
        if data.startswith(magic):
            return suffix

    raise InvalidInput("report", "the report must be a PDF, PNG or JPEG file")


def store_report(folder: Path, lot: Lot, data: bytes) -> str:
    """Write a report under the folder; return its path relative to the folder."""
    suffix = report_suffix(data)
    name = f"{lot.code}-{secrets.token_hex(8)}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)

    return name


def add_inspection(
    session: Session,
    lot: Lot,
    actor: str,
    today: date,
    **values: Any,
) -> Inspection:
    """Record a lab's test of a lot; ``residues`` is a list of findings."""
    lab = str(values.get("lab", "")).strip()
    if not lab:
        raise InvalidInput("lab", "name the lab that tested the lot")

    inspected_on = values.get("inspected_on")
    if not isinstance(inspected_on, date) or inspected_on > today:
        raise InvalidInput(
            "inspected_on",
            f"test date {inspected_on} must be a date that has come (YYYY-MM-DD)",
        )

    if inspected_on < lot.harvested_on:
        raise InvalidInput(
            "inspected_on",
            f"test date {inspected_on} is before lot {lot.code} was harvested "
            f"({lot.harvested_on}); an inspection tests the picked lot",
        )

    check_lengths(Inspection, {"lab": lab, "notes": values.get("notes") or ""})
    for finding in values.get("residues") or []:
        check_lengths(Inspection, {"residues": finding["substance"]})

    inspection = Inspection(
        lot_id=row_id(lot),
        lab=lab,
        inspected_on=inspected_on,
        passed=bool(values.get("passed")),
        residues=json.dumps(values.get("residues") or [], ensure_ascii=False),
        report_path=values.get("report_path"),
        notes=str(values.get("notes") or ""),
    )
    session.add(inspection)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "inspection",
        inspection.id,
        None,
        audit.snapshot(inspection),
    )

    return inspection


def list_inspections(session: Session, lot: Lot) -> list[Inspection]:
    """A lot's inspections, newest first."""
    query = (
        select(Inspection)
        .where(Inspection.lot_id == lot.id)
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    return list(session.exec(query))


def get_inspection(session: Session, lot: Lot, inspection_id: int) -> Inspection:
    """One inspection of this lot."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or inspection.lot_id != lot.id:
        raise NotFound("inspection", inspection_id)

    return inspection


def inspection_row(inspection: Inspection) -> dict[str, Any]:
    """An inspection as plain values, residues decoded."""
    return {
        "id": inspection.id,
        "lab": inspection.lab,
        "inspected_on": inspection.inspected_on.isoformat(),
        "passed": inspection.passed,
        "residues": json.loads(inspection.residues),
        "has_report": inspection.report_path is not None,
        "notes": inspection.notes,
    }


def attach_report(
    session: Session, inspection: Inspection, name: str, actor: str
) -> Inspection:
    """Link a stored report file to an inspection, replacing any earlier one."""
    before = audit.snapshot(inspection)
    inspection.report_path = name
    session.add(inspection)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "inspection",
        inspection.id,
        before,
        audit.snapshot(inspection),
    )

    return inspection
