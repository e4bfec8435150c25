"""What the consumer page says about a lot's history: last changed, corrections.

Read from the audit chain: the events of the lot, its orchard and its
inspections. A correction is an update that changed a value the page shows; it
is shown with the value before and after, never silently replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from appletrace.trace.models import AuditEvent, Inspection, Lot, Orchard

# The columns the consumer page shows, per audited entity.
SHOWN: dict[str, tuple[str, ...]] = {
    "lot": ("variety", "window_start", "harvested_on", "grade"),
    "orchard": (
        "name",
        "county_code",
        "township",
        "village",
        "latitude",
        "longitude",
        "altitude_m",
    ),
    "inspection": ("lab", "inspected_on", "passed", "residues"),
}


@dataclass(frozen=True)
class Change:
    """One audit event, as plain data."""

    at: datetime
    entity: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Correction:
    """A shown value changed after it was recorded: what, when, from, to."""

    at: datetime
    entity: str
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class LotChanges:
    """When the lot's record last changed, and its corrections, newest first."""

    last_changed: datetime | None
    corrections: tuple[Correction, ...]


def summarize(changes: Iterable[Change]) -> LotChanges:
    """The last change's time and every correction of a shown value."""
    changes = sorted(changes, key=lambda c: c.at)
    corrections = [c for change in changes for c in _corrections(change)]
    corrections.reverse()
    last = changes[-1].at if changes else None

    return LotChanges(last, tuple(corrections))


def _corrections(change: Change) -> list[Correction]:
    shown = SHOWN.get(change.entity, ())
    if change.action not in ("update", "delete") or change.before is None:
        return []

    after = change.after or {}
    return [
        Correction(
            change.at, change.entity, name, change.before.get(name), after.get(name)
        )
        for name in shown
        if name in change.before and change.before.get(name) != after.get(name)
    ]


def lot_changes(session: Session, lot: Lot) -> LotChanges:
    """The lot's last change and corrections, from the audit events."""
    orchard = session.get(Orchard, lot.orchard_id)
    assert orchard is not None
    inspections = select(Inspection.id).where(Inspection.lot_id == lot.id)
    ids = [str(i) for i in session.exec(inspections)]
    entity, key = col(AuditEvent.entity), col(AuditEvent.entity_id)
    query = select(AuditEvent).where(
        or_(
            and_(entity == "lot", key == lot.code),
            and_(entity == "orchard", key == orchard.code),
            and_(entity == "inspection", key.in_(ids)),
        )
    )
    events = session.exec(query)

    return summarize(
        Change(e.at, e.entity, e.action, _load(e.before), _load(e.after))
        for e in events
    )


def _load(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)
