"""Engines and sessions: SQLite in WAL mode with foreign keys, or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from appletrace.trace.settings import Settings


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine for the URL, with our SQLite pragmas or the psycopg 3 driver."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")

    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)

    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: Any, **kwargs: Any) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)

    # The ingester and the web app write the same file from different processes:
    # wait for a lock instead of failing at once.
    connect_args = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)

    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable in WAL mode across an application crash; only a power
    # loss can take back the last transactions (SQLite's documentation, "WAL").
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_engines: dict[str, Engine] = {}


def get_engine(settings: Settings) -> Engine:
    """The process's engine for these settings, made once."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = _engines[settings.database_url] = make_engine(settings.database_url)

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def begin_for_savepoints(session: Session) -> None:
    """Make sure a real transaction is open before savepoints are used.

    Python's sqlite3 opens a transaction only before a write, so a first
    SAVEPOINT would open one of its own and its RELEASE would commit it (see
    SQLAlchemy's pysqlite notes on savepoints). PostgreSQL needs nothing.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return

    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN")
