"""The consumer page: what one scan shows, built from a per-lot cache.

The lot's part of the page (orchard, provenance, inspections, the season chart)
is rendered once per lot, label run and language and kept for ``LOT_TTL_S``; a
request adds only the verdict and the scan line. The recall state is read on
every request, so a recall shows on the next scan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import render_template
from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.models import (
    Inspection,
    LabelRun,
    Lot,
    Orchard,
    Organization,
)
from appletrace.trace.scans import ScanCount
from appletrace.trace.types import UTCDateTime
from appletrace.web import chart
from appletrace.web.consumer_text import (
    LANGUAGES,
    TEXT,
    WARN_FROM_SCANS,
    coverage_line,
    growing_lines,
    local_time,
    variety_name,
)

# How long a rendered lot stays cached. Lot data changes rarely after harvest;
# the recall state, which must show at once, is not cached.
LOT_TTL_S = 60.0
LOT_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class InspectionLink:
    """An inspection as the linkset lists it (gs1:certificationInfo)."""

    id: int
    lab: str
    inspected_on: date
    passed: bool


@dataclass(frozen=True)
class LotView:
    """The cached part of a lot's page, per language, and what the linkset needs."""

    lot_id: int
    lot_code: str
    gtins: frozenset[str]
    inspections: tuple[InspectionLink, ...]
    html: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class RecallNotice:
    """An active recall of a lot or of one of its label runs."""

    reason: str
    recalled_at: datetime
    label_run_id: int | None


class LotCache:
    """Rendered lots by (lot id, label run id), each kept for a while."""

    def __init__(self, ttl_s: float = LOT_TTL_S, size: int = LOT_CACHE_SIZE) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[tuple[int, int | None], tuple[float, LotView]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int | None], build: Callable[[], LotView]) -> LotView:
        """The cached view, or a freshly built one when missing or stale."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]

        view = build()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()

            self._entries[key] = (now + self.ttl_s, view)

        return view

    def clear(self) -> None:
        """Forget every lot (after a change the page must show at once)."""
        with self._lock:
            self._entries.clear()


_RECALL_SQL = text(
    "SELECT reason, recalled_at, label_run_id FROM recall "
    "WHERE lot_id = :lot AND lifted_at IS NULL "
    "AND (label_run_id IS NULL OR label_run_id = :run) "
    "ORDER BY recalled_at LIMIT 1"
).columns(recalled_at=UTCDateTime())


def active_recall(
    connection: Connection, lot_id: int, label_run_id: int | None
) -> RecallNotice | None:
    """The lot's (or this label run's) recall in force, if any."""
    row = connection.execute(_RECALL_SQL, {"lot": lot_id, "run": label_run_id}).first()
    if row is None:
        return None

    return RecallNotice(row.reason, row.recalled_at, row.label_run_id)


_RECALLS_SQL = text(
    "SELECT reason, recalled_at, label_run_id FROM recall "
    "WHERE lot_id = :lot AND lifted_at IS NULL ORDER BY recalled_at"
).columns(recalled_at=UTCDateTime())


def active_recalls(connection: Connection, lot_id: int) -> list[RecallNotice]:
    """Every recall in force of a lot or of any of its label runs."""
    rows = connection.execute(_RECALLS_SQL, {"lot": lot_id})

    return [RecallNotice(r.reason, r.recalled_at, r.label_run_id) for r in rows]


def build_lot_view(
    session: Session, lot: Lot, run: LabelRun | None, timezone: str
) -> LotView:
    """Load everything the lot's part of the page shows and render it."""
    from appletrace.trace.provenance import lot_provenance

    orchard = session.get(Orchard, lot.orchard_id)
    coop = session.get(Organization, lot.organization_id)
    assert orchard is not None and coop is not None

    inspections = session.exec(
        select(Inspection)
        .where(Inspection.lot_id == lot.id)
        .order_by(Inspection.inspected_on)  # type: ignore[arg-type]
    ).all()
    packer = session.get(Organization, run.organization_id) if run else None
    prov = lot_provenance(session, lot).as_dict()
    context = {
        "lot": lot,
        "orchard": orchard,
        "coop": coop,
        "inspections": inspections,
        "packer": packer,
        "packed_on": local_time(run.created_at, timezone)[:10] if run else None,
        "prov": prov,
    }

    return LotView(
        lot_id=int(lot.id or 0),
        lot_code=lot.code,
        gtins=_gtins(session, lot, coop),
        inspections=tuple(
            InspectionLink(int(i.id or 0), i.lab, i.inspected_on, i.passed)
            for i in inspections
        ),
        html={lang: render_lot(context, lang) for lang in LANGUAGES},
    )


def _gtins(session: Session, lot: Lot, coop: Organization) -> frozenset[str]:
    runs = session.exec(select(LabelRun.gtin).where(LabelRun.lot_id == lot.id)).all()

    return frozenset(g for g in [lot.gtin, coop.gtin, *runs] if g)


def render_lot(context: dict[str, Any], lang: str) -> str:
    """The lot's part of the page in one language."""
    t = TEXT[lang]
    orchard: Orchard = context["orchard"]
    prov: dict[str, Any] = context["prov"]
    county = ZHAOTONG_COUNTIES.get(orchard.county_code, orchard.county_code)
    place = " ".join(p for p in ["云南省昭通市", county, orchard.township] if p)
    packer = context["packer"]

    return render_template(
        "consumer/lot.html",
        t=t,
        growing=growing_lines(prov, lang),
        coverage=coverage_line(prov, lang) if prov.get("days_in_window") else "",
        orchard=orchard,
        orchard_altitude=f"{orchard.altitude_m:,.0f}",
        place=place + (" " + orchard.village if orchard.village else ""),
        coords=f"{orchard.latitude:.4f}°N, {orchard.longitude:.4f}°E",
        lot=context["lot"],
        variety=variety_name(context["lot"].variety, lang),
        packed_on=context["packed_on"],
        packing_house=packer.name if packer else "",
        inspections=context["inspections"],
        chart=Markup(chart.season_svg(prov.get("days") or [], t["chart"])),
        coop_name=context["coop"].name,
        coop_phone=context["coop"].phone,
    )


def render_head(lang: str) -> str:
    """The page's head and style, the same for every lot."""
    return render_template("consumer/head.html", t=TEXT[lang])


def render_verdict(
    lang: str,
    timezone: str,
    scans: ScanCount | None,
    recall: RecallNotice | None,
) -> str:
    """The verdict and the scan line: the only part made per request."""
    t = TEXT[lang]
    first_at = first_place = ""
    if scans is not None:
        first_at = local_time(scans.first_at, timezone)
        if scans.first_place:
            first_place = (
                f"（{scans.first_place}）" if lang == "zh" else f", {scans.first_place}"
            )

    return render_template(
        "consumer/verdict.html",
        t=t,
        scans=scans,
        recall=recall,
        recall_at=local_time(recall.recalled_at, timezone)[:10] if recall else "",
        first_at=first_at,
        first_place=first_place,
        warn_from=WARN_FROM_SCANS,
    )


def render_error(lang: str, status: int, message_zh: str, message_en: str) -> str:
    """A whole error page: the unknown-code verdict and what went wrong."""
    return render_head(lang) + render_template(
        "consumer/error.html",
        t=TEXT[lang],
        status=status,
        message_zh=message_zh,
        message_en=message_en,
    )
