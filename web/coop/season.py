"""What the lot page shows from other parts: the growing summary and label runs."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from appletrace.trace import label_runs as run_service
from appletrace.trace.models import Lot
from appletrace.trace.provenance import lot_provenance
from appletrace.web.coop.chart import season_svg


def summary(session: Session, lot: Lot) -> dict[str, Any]:
    """The lot's provenance with its per-day values, as the sensors keep them."""
    provenance: dict[str, Any] = lot_provenance(session, lot).as_dict()
    return provenance


def chart(provenance: dict[str, Any] | None, title: str) -> str | None:
    """The season chart's SVG for a provenance, or None without temperatures."""
    if not provenance:
        return None

    return season_svg(provenance.get("days", []), title)


def label_runs(
    session: Session, lot: Lot, organization_id: int, owner: bool
) -> list[Any]:
    """The lot's label runs this organization may see: all to its co-op."""
    runs = run_service.list_label_runs(session, lot)
    if owner:
        return runs

    return [run for run in runs if run.organization_id == organization_id]
