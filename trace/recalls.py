"""Recalls: a lot, or one label run of it, withdrawn with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.models import LabelRun, Lot, Recall
from appletrace.trace.types import check_lengths, row_id, utcnow


def recall(
    session: Session,
    lot: Lot,
    reason: str,
    actor: str,
    label_run: LabelRun | None = None,
    now: datetime | None = None,
) -> Recall:
    """Recall a whole lot, or one of its label runs; consumer pages show it."""
    reason = reason.strip()
    if len(reason) < 4:
        raise InvalidInput(
            "reason", "say why in a few words; consumers read the reason"
        )

    check_lengths(Recall, {"reason": reason})
    if label_run is not None and label_run.lot_id != lot.id:
        raise InvalidInput("label_run", "that label run belongs to another lot")

    target = None if label_run is None else label_run.id
    for active in active_recalls(session, lot):
        if active.label_run_id is None or active.label_run_id == target:
            raise Conflict("lot", f"lot {lot.code} is recalled already")

    row = Recall(
        lot_id=row_id(lot),
        label_run_id=target,
        reason=reason,
        recalled_at=now or utcnow(),
    )
    session.add(row)
    if label_run is None:
        before = audit.snapshot(lot)
        lot.status = "recalled"
        session.add(lot)
        session.flush()
        audit.record(
            session, actor, "update", "lot", lot.code, before, audit.snapshot(lot)
        )

    session.flush()
    audit.record(session, actor, "create", "recall", row.id, None, audit.snapshot(row))

    return row


def lift(
    session: Session, row: Recall, actor: str, now: datetime | None = None
) -> Recall:
    """End a recall that was a mistake; the record stays."""
    if row.lifted_at is not None:
        raise Conflict("recall", f"recall {row.id} was lifted already")

    before = audit.snapshot(row)
    row.lifted_at = now or utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "update", "recall", row.id, before, audit.snapshot(row)
    )

    return row


def active_recalls(session: Session, lot: Lot) -> list[Recall]:
    """A lot's recalls that are not lifted."""
    query = select(Recall).where(Recall.lot_id == lot.id, Recall.lifted_at.is_(None))  # type: ignore[union-attr]

    return list(session.exec(query))


def list_recalls(session: Session, lot_ids: Any) -> list[Recall]:
    """Recalls of the lots whose ids the query or list gives, newest first."""
    query = (
        select(Recall)
        .where(Recall.lot_id.in_(lot_ids))  # type: ignore[attr-defined]
        .order_by(Recall.recalled_at.desc())  # type: ignore[attr-defined]
    )
    return list(session.exec(query))


def get_recall(session: Session, recall_id: int, lot_ids: Any) -> Recall:
    """One recall among those of the given lots."""
    row = session.exec(
        select(Recall).where(Recall.id == recall_id, Recall.lot_id.in_(lot_ids))  # type: ignore[attr-defined]
    ).first()
    if row is None:
        raise NotFound("recall", recall_id)

    return row
