"""What the lot page shows from other parts: the growing summary and label runs."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from appletrace.trace import label_runs as run_service
from appletrace.trace.models import Lot


def summary(session: Session, lot: Lot) -> dict[str, Any] | None:
    """The lot's provenance with its per-day values, or None without readings."""
    return None


def label_runs(
    session: Session, lot: Lot, organization_id: int, owner: bool
) -> list[Any]:
    """The lot's label runs this organization may see: all to its co-op."""
    runs = run_service.list_label_runs(session, lot)
    if owner:
        return runs

    return [run for run in runs if run.organization_id == organization_id]
