"""The ingester's database edge: devices, readings, rejected messages, summaries.

It speaks DB-API (sqlite3 or psycopg) with hand-written SQL rather than
SQLAlchemy: the ingester's whole process then fits in 50 MB and its time goes to
readings. The tables are the ones Alembic made from ``trace/models.py``; the
tests write here and read back through the models.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from appletrace.trace import summaries
from appletrace.trace.errors import SettingsError

log = logging.getLogger(__name__)

# (device id, quantity, µs since 1970 UTC, value, unit, received µs, orchard id)
Row = tuple[str, str, int, float, str, int, int]
# (topic, payload, reason, received µs)
Refusal = tuple[str, bytes, str, int]

# Rows per INSERT on SQLite: a batch is cut into these sizes so only five
# statements are ever compiled and cached (SQLite allows 32,766 parameters).
SQLITE_CHUNKS = (400, 100, 25, 5, 1)
CACHE_ENTRIES = 4096


@dataclass(frozen=True)
class Device:
    """What the ingester needs to know of a registered device."""

    orchard_id: int
    active: bool


@dataclass(frozen=True)
class Written:
    """What one committed batch changed; ``refusals`` are (topic, reason)."""

    stored: int
    duplicates: int
    rejected: int
    newest_us: int | None
    refusals: list[tuple[str, str]] = field(default_factory=list)


def dialect_of(database_url: str) -> str:
    """'sqlite' or 'postgresql', from a database URL."""
    scheme = database_url.split(":", 1)[0].split("+", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql"

    if scheme == "sqlite":
        return "sqlite"

    raise SettingsError(
        f"APPLETRACE_DATABASE_URL={database_url!r}: the ingester needs "
        "sqlite:///PATH or postgresql://USER@HOST/NAME"
    )


def sqlite_path(database_url: str) -> str:
    """The file of a sqlite:///PATH URL (four slashes for an absolute path)."""
    path = database_url.split("://", 1)[1]
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:"):
        raise SettingsError(
            "APPLETRACE_DATABASE_URL: the ingester needs a SQLite file, "
            "not an in-memory database"
        )

    return path.split("?", 1)[0]


def postgres_conninfo(database_url: str) -> str:
    """A libpq URI from a SQLAlchemy-style URL (drops the '+psycopg' driver)."""
    parts = urlsplit(database_url)
    return parts._replace(scheme="postgresql").geturl()


class SqliteTime:
    """Formats µs since 1970 as UTCDateTime's SQLite text, caching each minute."""

    def __init__(self) -> None:
        self._minutes: dict[int, str] = {}

    def __call__(self, epoch_us: int) -> str:
        minute, micros = divmod(epoch_us, 60_000_000)
        prefix = self._minutes.get(minute)
        if prefix is None:
            if len(self._minutes) > CACHE_ENTRIES:
                self._minutes.clear()

            prefix = self._minutes[minute] = time.strftime(
                "%Y-%m-%d %H:%M:", time.gmtime(minute * 60)
            )

        seconds, micros = divmod(micros, 1_000_000)
        return f"{prefix}{seconds:02d}.{micros:06d}"


class Store:
    """One connection to the database, writing whole batches in one transaction."""

    def __init__(
        self, database_url: str, timezone: str, lock_timeout_s: float = 2.0
    ) -> None:
        self.database_url = database_url
        self.dialect = dialect_of(database_url)
        self.lock_timeout_s = lock_timeout_s
        self.clock = summaries.LocalClock(timezone)
        self._sqlite_time = SqliteTime()
        self._connection: Any = None

    def connect(self) -> None:
        """Open the connection if it is not open (again after a failure)."""
        if self._connection is not None:
            return

        if self.dialect == "sqlite":
            self._connection = self._connect_sqlite()
        else:
            self._connection = self._connect_postgres()

    def _connect_sqlite(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            sqlite_path(self.database_url),
            timeout=self.lock_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        # The same pragmas as trace/db.py; a short busy timeout so a long lock
        # is retried by the ingester's loop, which keeps the broker link alive.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={int(self.lock_timeout_s * 1000)}")
        return connection

    def _connect_postgres(self) -> Any:
        import psycopg

        connection = psycopg.connect(postgres_conninfo(self.database_url))
        milliseconds = int(self.lock_timeout_s * 1000)
        connection.execute(f"SET lock_timeout = {milliseconds}")
        connection.execute(f"SET statement_timeout = {milliseconds * 15}")
        connection.commit()
        return connection

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a broken link may fail too
                log.debug("closing the database connection failed", exc_info=True)

    def devices(self) -> dict[str, Device]:
        """Every registered device by id."""
        self.connect()
        cursor = self._connection.cursor()
        cursor.execute("SELECT id, orchard_id, active FROM device")
        found = {row[0]: Device(row[1], bool(row[2])) for row in cursor.fetchall()}
        if self.dialect == "postgresql":
            self._connection.rollback()

        return found

    def write(self, rows: Sequence[Row], refusals: Sequence[Refusal]) -> Written:
        """Store readings (once each), summaries and refusals; commit.

        Raises the driver's error after rolling back; nothing is half-written.
        """
        self.connect()
        try:
            written = self._write(rows, refusals)
        except BaseException:
            self._rollback()
            raise

        return written

    def _write(self, rows: Sequence[Row], refusals: Sequence[Refusal]) -> Written:
        cursor = self._connection.cursor()
        if self.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
            inserted = list(self._insert_sqlite(cursor, rows))
        else:
            inserted = list(self._insert_postgres(cursor, rows))

        now_us = time.time_ns() // 1000
        deltas = summaries.fold(inserted, self.clock)
        summaries.apply(cursor, deltas, self.dialect, now_us)
        self._insert_refusals(cursor, refusals)
        self._commit(cursor)

        newest = max((r[2] for r in inserted), default=None)
        return Written(
            len(inserted),
            len(rows) - len(inserted),
            len(refusals),
            newest,
            [(topic, reason) for topic, _, reason, _ in refusals],
        )

    def _insert_sqlite(
        self, cursor: sqlite3.Cursor, rows: Sequence[Row]
    ) -> Iterator[tuple[int, str, int, float]]:
        stamp = self._sqlite_time
        for start, end in _chunks(len(rows)):
            chunk = rows[start:end]
            params: list[Any] = []
            keys: dict[tuple[str, str, str], Row] = {}
            for row in chunk:
                taken = stamp(row[2])
                keys.setdefault((row[0], row[1], taken), row)
                params += (row[0], row[1], taken, row[3], row[4], stamp(row[5]))

            cursor.execute(_sqlite_insert(len(chunk)), params)
            for device_id, quantity, taken in cursor.fetchall():
                row = keys[(device_id, quantity, taken)]
                yield row[6], quantity, row[2], row[3]

    def _insert_postgres(
        self, cursor: Any, rows: Sequence[Row]
    ) -> Iterator[tuple[int, str, int, float]]:
        if not rows:
            return

        columns = [list(column) for column in zip(*rows, strict=True)]
        cursor.execute(_POSTGRES_INSERT, columns[:6])
        keys: dict[tuple[str, str, int], Row] = {}
        for row in rows:
            keys.setdefault((row[0], row[1], row[2]), row)

        for device_id, quantity, taken_us in cursor.fetchall():
            row = keys[(device_id, quantity, int(taken_us))]
            yield row[6], quantity, row[2], row[3]

    def _insert_refusals(self, cursor: Any, refusals: Sequence[Refusal]) -> None:
        if not refusals:
            return

        if self.dialect == "sqlite":
            params: list[tuple[Any, ...]] = [
                (topic, payload, reason, self._sqlite_time(received))
                for topic, payload, reason, received in refusals
            ]
            sql = _REFUSAL_INSERT.replace("%s", "?")
        else:
            params = [
                (topic, payload, reason, _utc(received))
                for topic, payload, reason, received in refusals
            ]
            sql = _REFUSAL_INSERT

        cursor.executemany(sql, params)

    def _commit(self, cursor: Any) -> None:
        if self.dialect == "sqlite":
            cursor.execute("COMMIT")
        else:
            self._connection.commit()

    def _rollback(self) -> None:
        try:
            if self.dialect == "sqlite":
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
            else:
                self._connection.rollback()
        except Exception:  # noqa: BLE001 - the link itself may be what failed
            log.debug("rollback failed; reconnecting next time", exc_info=True)
            self.close()


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive slices whose sizes are in SQLITE_CHUNKS."""
    start = 0
    for size in SQLITE_CHUNKS:
        while count - start >= size:
            yield start, start + size
            start += size


def _utc(epoch_us: int) -> datetime:
    return datetime.fromtimestamp(epoch_us / 1_000_000, UTC)


_COLUMNS = "device_id, quantity, taken_at, value, unit, received_at"
_SQLITE_INSERTS: dict[int, str] = {}


def _sqlite_insert(count: int) -> str:
    sql = _SQLITE_INSERTS.get(count)
    if sql is None:
        values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * count)
        sql = _SQLITE_INSERTS[count] = (
            f"INSERT INTO reading ({_COLUMNS}) VALUES {values} "
            "ON CONFLICT DO NOTHING RETURNING device_id, quantity, taken_at"
        )

    return sql


# One statement per batch: arrays in, rows out. Times travel as integer µs and
# become timestamptz in the server, exactly.
_POSTGRES_INSERT = f"""
INSERT INTO reading ({_COLUMNS})
SELECT d, q, timestamptz 'epoch' + t * interval '1 microsecond', v, u,
       timestamptz 'epoch' + r * interval '1 microsecond'
FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::float8[], %s::text[],
            %s::bigint[]) AS x(d, q, t, v, u, r)
ON CONFLICT DO NOTHING
RETURNING device_id, quantity,
          (extract(epoch FROM taken_at) * 1000000)::bigint
"""

_REFUSAL_INSERT = (
    "INSERT INTO rejected_message (topic, payload, reason, received_at) "
    "VALUES (%s, %s, %s, %s)"
)
