"""The audit chain: each change appends an event whose hash covers the last one."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from appletrace.trace.models import AuditEvent
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
