"""Checking a scanned serial against label runs held in memory.

``trace.label_runs.verify_serial`` loads the label run and its lot with the ORM on
every call; on the scan path that was most of the page's cost (0.8 ms of CPU
per scan on PostgreSQL, against 0.1 ms for the rest of the reads). A run has
thousands of labels, so the resolver keeps each run, its lot and its key for
``RUN_TTL_S`` and checks a serial with the very functions ``verify_serial`` uses
(``serials.verify``, ``label_runs.issued``). The void record is read with the
scans in the page's one query. tests/web/test_resolver_serials.py checks that
both ways agree on genuine, forged, voided, replaced and misaddressed labels.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from appletrace.trace.digital_link import DigitalLink
from appletrace.trace.models import LabelRun, Lot

# A run's row changes only when replacements are issued (then a serial beyond
# the cached count makes us read it again) and its lot's when the co-op edits it.
RUN_TTL_S = 600.0
RUN_CACHE_SIZE = 50_000


def spread(ttl_s: float) -> float:
    """A lifetime between 3/4 and all of ``ttl_s``.

    Entries loaded together (a worker's first minutes) would otherwise all
    expire together and be loaded again in one burst of slow pages.
    """
    return ttl_s * random.uniform(0.75, 1.0)


@dataclass(frozen=True)
class KnownRun:
    """A label run, its lot and its key, held until ``expires_at`` (monotonic)."""

    run: LabelRun
    lot: Lot
    key: Any
    expires_at: float


@dataclass(frozen=True)
class SerialMatch:
    """A serial that verified; whether it was voided is read with the scans."""

    run: LabelRun
    lot: Lot
    index: int


class RunCache:
    """Label runs by id, loaded on first use and kept for ``RUN_TTL_S``."""

    def __init__(self, secret_key: str, ttl_s: float = RUN_TTL_S) -> None:
        self.secret_key = secret_key
        self.ttl_s = ttl_s
        self._runs: dict[int, KnownRun] = {}
        self._lock = threading.Lock()

    def get(
        self, session: Session, run_id: int, fresh: bool = False
    ) -> KnownRun | None:
        """The run with its lot and key; ``fresh`` reads it from the database."""
        known = None if fresh else self.held(run_id)
        return known or self._load(session, run_id)

    def held(self, run_id: int) -> KnownRun | None:
        """The run if it is in memory and fresh; never reads the database."""
        known = self._runs.get(run_id)
        if known and time.monotonic() < known.expires_at:
            return known

        return None

    def _load(self, session: Session, run_id: int) -> KnownRun | None:
        from appletrace.trace.label_runs import run_key

        row = session.exec(
            select(LabelRun, Lot)
            .join(Lot, Lot.id == LabelRun.lot_id)  # type: ignore[arg-type]
            .where(LabelRun.id == run_id)
        ).first()
        if row is None:
            return None

        run, lot = row
        expires = time.monotonic() + spread(self.ttl_s)
        known = KnownRun(run, lot, run_key(run, self.secret_key), expires)
        with self._lock:
            if len(self._runs) >= RUN_CACHE_SIZE:
                self._runs.clear()

            self._runs[run_id] = known

        return known


def check_serial(
    session: Session, runs: RunCache, link: DigitalLink
) -> SerialMatch | None:
    """The run, lot and label index of a genuine serial, or None (void not checked)."""
    from appletrace.trace.label_runs import issued
    from appletrace.trace.serials import run_id_of

    assert link.serial is not None
    run_id = run_id_of(link.serial)
    known = runs.get(session, run_id) if run_id is not None else None
    if known is None:
        return None

    index = _index(known, link)
    if index is None:
        return None

    if index >= issued(known.run):
        # Replacements may have been issued since the run was cached.
        known = runs.get(session, known.run.id or 0, fresh=True)
        if known is None or index >= issued(known.run):
            return None

    return SerialMatch(known.run, known.lot, index)


def check_known_serial(runs: RunCache, link: DigitalLink) -> SerialMatch | None:
    """Like ``check_serial`` for a run already in memory; None means "ask check_serial".

    None covers a run not held (or stale), a serial that does not verify and an
    index beyond what the held run issued: the caller then takes the full path,
    which reads the database and gives the answer.
    """
    from appletrace.trace.label_runs import issued
    from appletrace.trace.serials import run_id_of

    assert link.serial is not None
    run_id = run_id_of(link.serial)
    known = runs.held(run_id) if run_id is not None else None
    if known is None:
        return None

    index = _index(known, link)
    if index is None or index >= issued(known.run):
        return None

    return SerialMatch(known.run, known.lot, index)


def _index(known: KnownRun, link: DigitalLink) -> int | None:
    """The label index if the address's GTIN, lot and serial fit the run."""
    from appletrace.trace.serials import verify

    assert link.serial is not None
    if link.gtin != known.run.gtin or link.lot not in (None, known.lot.code):
        return None

    return verify(known.key, link.serial)
