"""The audit chain: each change appends an event whose hash covers the last one.

Services call ``record`` in the same transaction as the change, with the entity
names of ``audited_entities`` (orchards and lots by code, the rest by id).
``verify`` walks the chain and compares each row with its last recorded state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from appletrace.trace.models import (
    AuditEvent,
    Certificate,
    Inspection,
    LabelRun,
    Lot,
    Orchard,
    Recall,
    Shipment,
)
from appletrace.trace.types import utcnow

GENESIS = "0" * 64


def snapshot(row: SQLModel) -> dict[str, Any]:
    """A row's columns as JSON-ready values, for the before/after of an event."""
    values = row.model_dump()

    return {key: _plain(value) for key, value in sorted(values.items())}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()

    return value


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON."""
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction."""
    last = session.exec(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    prev_hash = last or GENESIS
    at = utcnow()
    fields = {
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
    }
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, fields),
    )
    session.add(event)
    session.flush()

    return event


@dataclass(frozen=True)
class Audited:
    """How one audited entity's rows are found: model and key column."""

    model: type[SQLModel]
    key: str


def audited_entities() -> dict[str, Audited]:
    """Entity names used in audit events, and where their rows live."""
    return {
        "orchard": Audited(Orchard, "code"),
        "lot": Audited(Lot, "code"),
        "inspection": Audited(Inspection, "id"),
        "label_run": Audited(LabelRun, "id"),
        "recall": Audited(Recall, "id"),
        "shipment": Audited(Shipment, "id"),
        "certificate": Audited(Certificate, "number"),
    }


@dataclass(frozen=True)
class Finding:
    """The first place where the chain and the rows disagree."""

    entity: str
    entity_id: str
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.entity} {self.entity_id}"
        event = f" (audit event #{self.event_id})" if self.event_id else ""
        return f"{where}{event}: {self.problem}"


def verify(session: Session) -> Finding | None:
    """Check the chain's hashes, then every audited row against its last event.

    Returns the first mismatch, or None when the history is intact.
    """
    latest, finding = _walk_chain(session)
    if finding is not None:
        return finding

    return _compare_rows(session, latest)


def _walk_chain(
    session: Session,
) -> tuple[dict[tuple[str, str], AuditEvent], Finding | None]:
    latest: dict[tuple[str, str], AuditEvent] = {}
    prev_hash = GENESIS
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id))  # type: ignore[arg-type]
    for event in events:
        fields = {
            "at": event.at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "entity": event.entity,
            "entity_id": event.entity_id,
            "before": None if event.before is None else json.loads(event.before),
            "after": None if event.after is None else json.loads(event.after),
        }
        if event.prev_hash != prev_hash:
            problem = "the event before it was removed or reordered"
            return latest, Finding(event.entity, event.entity_id, event.id, problem)

        if event_hash(prev_hash, fields) != event.hash:
            problem = "the event was edited after it was written (hash mismatch)"
            return latest, Finding(event.entity, event.entity_id, event.id, problem)

        latest[(event.entity, event.entity_id)] = event
        prev_hash = event.hash

    return latest, None


def _compare_rows(
    session: Session, latest: dict[tuple[str, str], AuditEvent]
) -> Finding | None:
    for entity, audited in audited_entities().items():
        column = getattr(audited.model, audited.key)
        for row in session.exec(select(audited.model).order_by(column)):
            entity_id = str(getattr(row, audited.key))
            event = latest.pop((entity, entity_id), None)
            finding = _compare_row(entity, entity_id, row, event)
            if finding is not None:
                return finding

    for (entity, entity_id), event in sorted(latest.items()):
        if event.action != "delete" and entity in audited_entities():
            problem = "the row was deleted outside the application"
            return Finding(entity, entity_id, event.id, problem)

    return None


def _compare_row(
    entity: str, entity_id: str, row: SQLModel, event: AuditEvent | None
) -> Finding | None:
    if event is None:
        return Finding(entity, entity_id, None, "the row has no audit event")

    recorded = json.loads(event.after) if event.after is not None else None
    current = json.loads(json.dumps(snapshot(row), ensure_ascii=False))
    if recorded == current:
        return None

    changed = sorted(
        key
        for key in set(current) | set(recorded or {})
        if (recorded or {}).get(key) != current.get(key)
    )
    problem = "the row differs from its last audit event in " + ", ".join(changed)
    return Finding(entity, entity_id, event.id, problem)
