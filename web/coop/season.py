"""What the lot page shows from other parts: the growing summary and label runs."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from appletrace.trace.models import Lot


def summary(session: Session, lot: Lot) -> dict[str, Any] | None:
    """The lot's provenance with its per-day values, or None without readings."""
    return None


def label_runs(
    session: Session, lot: Lot, organization_id: int, owner: bool
) -> list[Any]:
    """The lot's label runs this organization may see."""
    return []
