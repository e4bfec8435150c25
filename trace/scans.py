"""Scans: recording consumer page views of a serial off the request path.

A page shows how often its serial was scanned, so the count must be exact, yet
the write must not delay the page. Each process keeps a queue of scans that a
background writer thread drains in batches; a page counts the scans already
stored, plus the ones still queued in this process, plus itself. The read and
the queue are checked against the writer's epoch (bumped after each commit):
when a batch holding the same label was committed during the read, the read is
repeated, so the batch is counted once, never twice or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from appletrace.trace.types import UTCDateTime

log = logging.getLogger(__name__)

T = TypeVar("T")

PLACE_MAX = 60
# A queue longer than this means the database has been refusing writes for a
# while; beyond it new scans are dropped (and logged) rather than eating memory.
QUEUE_LIMIT = 100_000
RETRY_S = 1.0
# The writer lets scans gather this long before it writes a batch: one commit
# per 50 ms rather than one per few scans spares the database most of its
# per-commit work under load, and a page never waits for it (counts include
# the queue).
LINGER_S = 0.05
WAIT_S = 5.0
KEEP_EPOCHS = 64


@dataclass(frozen=True)
class ScanRecord:
    """One scan to store; ``scanned_at`` is aware UTC, ``place`` may be empty."""

    label_run_id: int
    label_index: int
    serial: str
    scanned_at: datetime
    place: str = ""
    user_agent_hash: str = ""

    @property
    def key(self) -> tuple[int, int]:
        """The label: (label run id, label index)."""
        return (self.label_run_id, self.label_index)


@dataclass(frozen=True)
class StoredScans:
    """What the database holds for one label: count and the first scan."""

    count: int = 0
    first_at: datetime | None = None
    first_place: str = ""


@dataclass(frozen=True)
class ScanCount:
    """What a page shows: scans including this one, and the first of them."""

    count: int
    first_at: datetime
    first_place: str

    @property
    def first_scan(self) -> bool:
        """True when this is the label's first scan."""
        return self.count == 1


def user_agent_hash(user_agent: str, key: str) -> str:
    """A keyed hash of the user agent: tells repeat devices apart, reveals none."""
    digest = hmac.new(key.encode(), user_agent.encode(), hashlib.sha256)

    return digest.hexdigest()[:32]


def coarse_place(value: str | None) -> str:
    """A place name as a front proxy passed it, trimmed to the column's size."""
    if not value:
        return ""

    cleaned = "".join(c for c in value.strip() if c.isprintable())

    return cleaned[:PLACE_MAX]


_STORED_SQL = text(
    "SELECT s.scanned_at, s.place, "
    "(SELECT count(*) FROM scan c WHERE c.serial = :serial "
    "AND c.label_run_id = :run) AS n "
    "FROM scan s WHERE s.serial = :serial AND s.label_run_id = :run "
    "ORDER BY s.scanned_at, s.id LIMIT 1"
).columns(scanned_at=UTCDateTime())


def stored_scans(connection: Connection, label_run_id: int, serial: str) -> StoredScans:
    """Count and first scan of one label as stored (one indexed query)."""
    row = connection.execute(
        _STORED_SQL, {"serial": serial, "run": label_run_id}
    ).first()
    if row is None:
        return StoredScans()

    return StoredScans(int(row.n), row.scanned_at, row.place or "")


def combine(
    stored: StoredScans, queued: list[ScanRecord], scan: ScanRecord
) -> ScanCount:
    """The page's count: stored scans, this process's queued ones, and this one."""
    firsts = [(scan.scanned_at, scan.place)]
    firsts += [(q.scanned_at, q.place) for q in queued]
    if stored.first_at is not None:
        firsts.append((stored.first_at, stored.first_place))

    first_at, first_place = min(firsts, key=lambda pair: pair[0])

    return ScanCount(stored.count + len(queued) + 1, first_at, first_place)


class ScanRecorder:
    """A per-process queue of scans and the thread that writes them in batches."""

    def __init__(
        self, engine: Engine, batch_size: int = 500, linger_s: float = LINGER_S
    ) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.linger_s = linger_s
        self._lock = threading.Condition()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: list[ScanRecord] = []
        # Each label's scans not yet committed (queued or in flight), oldest
        # first: a page finds its label's without walking the whole queue.
        self._pending: dict[tuple[int, int], list[ScanRecord]] = {}
        self._in_flight_keys: frozenset[tuple[int, int]] = frozenset()
        self._epoch = 0
        # The labels of each recently committed batch, by the epoch it ended.
        self._committed: dict[int, frozenset[tuple[int, int]]] = {}
        self._closing = False
        self._dropped = 0
        self._thread: threading.Thread | None = None

    def record(
        self,
        scan: ScanRecord,
        read: Callable[[], tuple[StoredScans, T]],
        accept: Callable[[T], bool] | None = None,
    ) -> tuple[ScanCount, T]:
        """Queue a scan and return the exact count with it, plus ``read``'s extra.

        ``read`` queries the database (stored scans and anything else the page
        needs in the same round trip); it is repeated if a batch was committed
        while it ran, so the batch is counted exactly once. When ``accept`` says
        no to what ``read`` found (a voided label), nothing is queued.
        """
        self._ensure_thread()
        while True:
            with self._lock:
                epoch = self._epoch

            stored, extra = read()

            with self._lock:
                if self._committed_since(epoch, scan.key):
                    continue

                # A batch holding this label may have been committed during the
                # read or not: wait for it to finish and read again.
                waiting = scan.key in self._in_flight_keys
                if waiting and self._wait_for_epoch(epoch):
                    continue

                # Past the wait the writer is retrying a failed batch: it is not
                # stored, so it counts as queued.
                queued = list(self._pending.get(scan.key, ()))
                if accept is None or accept(extra):
                    self._enqueue(scan)

            return combine(stored, queued, scan), extra

    def _committed_since(self, epoch: int, key: tuple[int, int]) -> bool:
        """Whether a batch committed after ``epoch`` may hold this label."""
        for ended in range(epoch + 1, self._epoch + 1):
            keys = self._committed.get(ended)
            if keys is None or key in keys:
                return True

        return False

    def _wait_for_epoch(self, epoch: int) -> bool:
        moved: bool = self._lock.wait_for(lambda: self._epoch != epoch, WAIT_S)
        return moved

    def peek(
        self, scan: ScanRecord, read: Callable[[], tuple[StoredScans, T]]
    ) -> tuple[ScanCount, T]:
        """The count a page for ``scan`` would show, without recording it."""
        stored, extra = read()
        with self._lock:
            queued = list(self._pending.get(scan.key, ()))

        return combine(stored, queued, scan), extra

    def _enqueue(self, scan: ScanRecord) -> None:
        if len(self._queue) >= QUEUE_LIMIT:
            self._dropped += 1
            if self._dropped % 1000 == 1:
                log.warning("scan queue full; %d scans dropped", self._dropped)

            return

        self._queue.append(scan)
        self._pending.setdefault(scan.key, []).append(scan)
        # Wake the writer to start its wait, or to write a full batch at once.
        if len(self._queue) == 1 or len(self._queue) >= self.batch_size:
            self._lock.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued scan is stored (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    left_over = sum(len(scans) for scans in self._pending.values())
                    raise TimeoutError(f"{left_over} scans not yet stored")

                self._lock.wait(left)

    def close(self, timeout: float = 10.0) -> None:
        """Store what is queued, then stop the writer thread."""
        if self._pid != os.getpid() or self._thread is None:
            return

        with self._lock:
            self._closing = True
            self._lock.notify_all()

        self._thread.join(timeout)
        self._thread = None

    def _ensure_thread(self) -> None:
        # gunicorn forks workers after the app is built: a child inherits the
        # parent's queue object but not its thread, so it starts afresh.
        if self._pid != os.getpid():
            self._reset()

        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="scan-writer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._lock.wait()

                deadline = time.monotonic() + self.linger_s
                while len(self._queue) < self.batch_size and not self._closing:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break

                    self._lock.wait(left)

                if not self._queue:
                    return

                batch = self._queue[: self.batch_size]
                del self._queue[: self.batch_size]
                keys = self._in_flight_keys = frozenset(s.key for s in batch)

            self._write(batch)

            with self._lock:
                self._in_flight_keys = frozenset()
                self._forget(batch)
                self._epoch += 1
                self._committed[self._epoch] = keys
                self._committed.pop(self._epoch - KEEP_EPOCHS, None)
                self._lock.notify_all()

    def _forget(self, batch: list[ScanRecord]) -> None:
        """Drop a committed batch from the pending scans of its labels."""
        # The queue is first in, first out, so a batch holds the oldest
        # pending scans of each of its labels.
        for scan in batch:
            pending = self._pending[scan.key]
            del pending[0]
            if not pending:
                del self._pending[scan.key]

    def _write(self, batch: list[ScanRecord]) -> None:
        while True:
            try:
                with self.engine.begin() as connection:
                    store_scans(connection, batch)
            except Exception:
                log.exception("storing %d scans failed; retrying", len(batch))
                time.sleep(RETRY_S)
                continue

            log.debug("stored %d scans", len(batch))
            return


SCAN_COLUMNS = (
    "label_run_id",
    "label_index",
    "serial",
    "scanned_at",
    "place",
    "user_agent_hash",
)


def store_scans(connection: Connection, batch: list[ScanRecord]) -> None:
    """Insert scans in the connection's transaction, through the driver itself.

    SQLAlchemy's executemany cost about 0.4 ms of CPU per scan, more than the
    page that recorded it; PostgreSQL takes the rows by COPY and SQLite by the
    driver's executemany, for a few microseconds each.
    """
    dbapi: Any = connection.connection.driver_connection
    columns = ", ".join(SCAN_COLUMNS)
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor()
        with cursor.copy(f"COPY scan ({columns}) FROM STDIN") as copy:
            for s in batch:
                copy.write_row(
                    (
                        s.label_run_id,
                        s.label_index,
                        s.serial,
                        s.scanned_at,
                        s.place,
                        s.user_agent_hash,
                    )
                )
        return

    # As UTCDateTime keeps it on SQLite: naive UTC, in SQLAlchemy's text form.
    rows = [
        (
            s.label_run_id,
            s.label_index,
            s.serial,
            s.scanned_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            s.place,
            s.user_agent_hash,
        )
        for s in batch
    ]
    marks = ", ".join("?" for _ in SCAN_COLUMNS)
    dbapi.executemany(f"INSERT INTO scan ({columns}) VALUES ({marks})", rows)
