"""The consumer page: what one scan shows, built from a per-lot cache.

The lot's part of the page (orchard, provenance, inspections, the season chart)
is rendered once per lot, label run and language and kept for ``LOT_TTL_S``; a
request adds only the verdict and the scan line. The recall state is read on
every request, so a recall shows on the next scan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from appletrace.trace.changes import lot_changes
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.models import (
    Inspection,
    LabelRun,
    Lot,
    Orchard,
    Organization,
)
from appletrace.trace.scans import ScanCount, StoredScans
from appletrace.trace.types import UTCDateTime
from appletrace.web import chart
from appletrace.web.consumer_changes import history_lines
from appletrace.web.consumer_text import (
    LANGUAGES,
    TEXT,
    WARN_FROM_SCANS,
    coverage_line,
    growing_lines,
    local_time,
    variety_name,
)
from appletrace.web.serial_check import spread

log = logging.getLogger(__name__)

# How long a rendered lot stays cached. Lot data changes rarely after harvest;
# the recall state, which must show at once, is not cached. With 1,000 lots and
# five workers a shorter life spends a noticeable share of a core re-rendering.
LOT_TTL_S = 600.0
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
    """Rendered lots by (lot, label run, lot version), kept for ``ttl_s``.

    Each process keeps its own dictionary; with a ``folder`` the processes of
    one machine also share what they built through files, so a lot is rendered
    once per machine rather than once per worker.
    """

    def __init__(
        self,
        folder: Path | None = None,
        ttl_s: float = LOT_TTL_S,
        size: int = LOT_CACHE_SIZE,
    ) -> None:
        self.folder = folder
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[tuple[Any, ...], tuple[float, LotView]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], build: Callable[[], LotView]) -> LotView:
        """The cached view, or a freshly built one when missing or stale."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]

        view = self._read(key)
        if view is None:
            view = build()
            self._write(key, view)

        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()

            self._entries[key] = (now + spread(self.ttl_s), view)

        return view

    def peek(self, key: tuple[Any, ...]) -> LotView | None:
        """The view if this process holds it fresh; never builds or reads files."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]

        return None

    def _path(self, key: tuple[Any, ...]) -> Path | None:
        if self.folder is None:
            return None

        name = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        return self.folder / f"lot-{name}.json"

    def _read(self, key: tuple[Any, ...]) -> LotView | None:
        path = self._path(key)
        try:
            if path is None or time.time() - path.stat().st_mtime > self.ttl_s:
                return None

            return view_from_json(path.read_text())
        except (OSError, ValueError, KeyError):
            return None

    def _write(self, key: tuple[Any, ...], view: LotView) -> None:
        path = self._path(key)
        if path is None:
            return

        # Write then rename: another worker never reads half a file.
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(view_to_json(view))
            temporary.replace(path)
        except OSError:
            log.warning("cannot write the lot cache file %s", path, exc_info=True)

    def clear(self) -> None:
        """Forget every lot held in this process."""
        with self._lock:
            self._entries.clear()


def view_to_json(view: LotView) -> str:
    """A LotView as JSON, for the cache files."""
    return json.dumps(
        {
            "lot_id": view.lot_id,
            "lot_code": view.lot_code,
            "gtins": sorted(view.gtins),
            "inspections": [
                [i.id, i.lab, i.inspected_on.isoformat(), i.passed]
                for i in view.inspections
            ],
            "html": view.html,
        },
        ensure_ascii=False,
    )


def view_from_json(text_: str) -> LotView:
    """The LotView that ``view_to_json`` wrote."""
    data = json.loads(text_)
    return LotView(
        lot_id=data["lot_id"],
        lot_code=data["lot_code"],
        gtins=frozenset(data["gtins"]),
        inspections=tuple(
            InspectionLink(n, lab, date.fromisoformat(day), passed)
            for n, lab, day, passed in data["inspections"]
        ),
        html=data["html"],
    )


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


@dataclass(frozen=True)
class LabelState:
    """What a page of one label reads on every request, besides its scans."""

    recall: RecallNotice | None
    voided: bool


LABEL_SQL = text(
    "SELECT s.scanned_at, s.place, r.reason, r.recalled_at, r.label_run_id, "
    "(SELECT count(*) FROM scan c WHERE c.serial = :serial "
    "AND c.label_run_id = :run) AS n, "
    "(SELECT count(*) FROM voided_label v WHERE v.label_run_id = :run "
    "AND v.label_index = :index) AS voided "
    "FROM (SELECT 1 AS one) AS base "
    "LEFT JOIN (SELECT scanned_at, place FROM scan WHERE serial = :serial "
    "AND label_run_id = :run ORDER BY scanned_at, id LIMIT 1) AS s ON 1 = 1 "
    "LEFT JOIN (SELECT reason, recalled_at, label_run_id FROM recall "
    "WHERE lot_id = :lot AND lifted_at IS NULL "
    "AND (label_run_id IS NULL OR label_run_id = :run) "
    "ORDER BY recalled_at LIMIT 1) AS r ON 1 = 1"
).columns(scanned_at=UTCDateTime(), recalled_at=UTCDateTime())


def label_state(
    connection: Connection, lot_id: int, label_run_id: int, index: int, serial: str
) -> tuple[StoredScans, LabelState]:
    """A label's stored scans, void record and recall in force: one round trip."""
    row = connection.execute(
        LABEL_SQL,
        {"serial": serial, "run": label_run_id, "lot": lot_id, "index": index},
    ).one()
    stored = StoredScans(int(row.n), row.scanned_at, row.place or "")
    recall = None
    if row.reason is not None:
        recall = RecallNotice(row.reason, row.recalled_at, row.label_run_id)

    return stored, LabelState(recall, bool(row.voided))


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
        "changes": lot_changes(session, lot),
        "timezone": timezone,
    }
    svg = chart.season_svg(prov.get("days") or [], "{label}")

    return LotView(
        lot_id=int(lot.id or 0),
        lot_code=lot.code,
        gtins=_gtins(session, lot, coop),
        inspections=tuple(
            InspectionLink(int(i.id or 0), i.lab, i.inspected_on, i.passed)
            for i in inspections
        ),
        html={lang: render_lot(context, lang, svg) for lang in LANGUAGES},
    )


def _gtins(session: Session, lot: Lot, coop: Organization) -> frozenset[str]:
    runs = session.exec(select(LabelRun.gtin).where(LabelRun.lot_id == lot.id)).all()

    return frozenset(g for g in [lot.gtin, coop.gtin, *runs] if g)


def render_lot(context: dict[str, Any], lang: str, svg: str) -> str:
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
        chart=Markup(svg.replace("{label}", t["chart"])),
        coop_name=context["coop"].name,
        coop_phone=context["coop"].phone,
        **history_lines(context["changes"], lang, context["timezone"]),
    )


def render_head(lang: str, env: Environment | None = None) -> str:
    """The page's head and style, the same for every lot (rendered once each)."""
    env = env or current_app.jinja_env
    key = (id(env), lang)
    head = _heads.get(key)
    if head is None:
        head = _heads[key] = env.get_template("consumer/head.html").render(t=TEXT[lang])

    return head


_heads: dict[tuple[int, str], str] = {}


def render_verdict(
    lang: str,
    timezone: str,
    scans: ScanCount | None,
    recall: RecallNotice | None,
    env: Environment | None = None,
) -> str:
    """The verdict and the scan line: the only part made per request.

    It needs no request: the scan page (web/scan_page.py) renders it outside
    Flask with the app's template environment ``env``.
    """
    env = env or current_app.jinja_env
    if scans is not None and scans.first_scan:
        # A first scan's line names neither time nor place: one rendering
        # serves every first scan, which is nearly every scan.
        scans = _FIRST_SCAN

    # By the environment's id, as the heads: holding the environment would
    # keep its app, and the app's database connections, alive.
    key = (id(env), lang, timezone, scans, recall)
    verdict = _verdicts.get(key)
    if verdict is None:
        if len(_verdicts) >= VERDICTS_KEPT:
            _verdicts.clear()

        verdict = _verdicts[key] = _render_verdict(env, lang, timezone, scans, recall)

    return verdict


_FIRST_SCAN = ScanCount(1, datetime(2000, 1, 1, tzinfo=UTC), "")
VERDICTS_KEPT = 2048
_verdicts: dict[tuple[Any, ...], str] = {}


def _render_verdict(
    env: Environment,
    lang: str,
    timezone: str,
    scans: ScanCount | None,
    recall: RecallNotice | None,
) -> str:
    t = TEXT[lang]
    first_at = first_place = ""
    if scans is not None:
        first_at = local_time(scans.first_at, timezone)
        if scans.first_place:
            first_place = (
                f"（{scans.first_place}）" if lang == "zh" else f", {scans.first_place}"
            )

    return env.get_template("consumer/verdict.html").render(
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
