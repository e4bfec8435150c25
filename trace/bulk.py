"""Applying imported rows: each in its own savepoint, so one bad row spoils none."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from appletrace.trace import lots, orchards
from appletrace.trace.db import begin_for_savepoints
from appletrace.trace.errors import AppletraceError
from appletrace.trace.imports import Row
from appletrace.trace.models import Organization


def apply_rows(
    session: Session,
    organization: Organization,
    actor: str,
    kind: str,
    rows: list[Row],
    today: date,
) -> list[Row]:
    """Register each good row; a row the services refuse gets that error."""
    begin_for_savepoints(session)
    for row in rows:
        if not row.ok:
            continue

        savepoint = session.begin_nested()
        try:
            _apply(session, organization, actor, kind, row, today)
        except AppletraceError as error:
            savepoint.rollback()
            row.field = getattr(error, "field", None) or getattr(error, "kind", None)
            row.error = str(getattr(error, "message", None) or error)
        else:
            savepoint.commit()

    return rows


def _apply(
    session: Session,
    organization: Organization,
    actor: str,
    kind: str,
    row: Row,
    today: date,
) -> None:
    if kind == "orchards":
        orchards.add_orchard(session, organization, actor, **row.values)
        return

    values = dict(row.values)
    orchard = orchards.get_orchard(session, values.pop("orchard"), organization.id)
    lots.add_lot(session, organization, orchard, actor, today, **values)
