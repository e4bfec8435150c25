"""The ingester's DB-API store writes what the models read, once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.sensors.batch import prepare
from appletrace.sensors.store import Device, Store
from appletrace.sensors.writer import Writer, is_permanent
from appletrace.trace.models import Reading, RejectedMessage

MOMENT = datetime(2026, 9, 1, 6, 0, 0, 123456, tzinfo=UTC)
MICROS = int(MOMENT.timestamp()) * 1_000_000 + 123456


def test_rows_written_by_the_store_read_back_through_the_models(
    db_url: str, engine: Engine, registry: Any
) -> None:
    store = Store(db_url, "Asia/Shanghai")
    row = (
        "dev-01",
        "temperature",
        MICROS,
        12.5,
        "Cel",
        MICROS + 1,
        registry.orchard_id,
    )

    written = store.write([row], [("orchard/x/readings", b"\x00\xff", "why", MICROS)])
    store.close()

    with Session(engine) as session:
        reading = session.exec(select(Reading)).one()
        refused = session.exec(select(RejectedMessage)).one()

    assert written.stored == 1
    assert reading.taken_at == MOMENT
    assert (reading.value, reading.unit) == (12.5, "Cel")
    assert (refused.payload, refused.reason, refused.received_at) == (
        b"\x00\xff",
        "why",
        MOMENT,
    )


def test_a_reading_stored_through_the_models_is_a_duplicate_for_the_store(
    db_url: str, engine: Engine, registry: Any
) -> None:
    with Session(engine) as session:
        session.add(
            Reading(
                device_id="dev-02",
                quantity="pm25",
                taken_at=MOMENT,
                value=9.0,
                unit="ug/m3",
                received_at=MOMENT,
            )
        )
        session.commit()

    store = Store(db_url, "Asia/Shanghai")
    row = ("dev-02", "pm25", MICROS, 11.0, "ug/m3", MICROS, registry.orchard_id)
    written = store.write([row, row], [])
    store.close()

    assert (written.stored, written.duplicates) == (0, 2)


def test_a_message_the_database_refuses_is_kept_not_retried_forever(
    db_url: str, engine: Engine, registry: Any
) -> None:
    store = Store(db_url, "Asia/Shanghai")
    writer = Writer(store, "orchard")
    body = orjson.dumps({"time": 1788213600, "humidity": 70})
    messages = [
        ("orchard/dev-01/readings", body, time.time()),
        ("orchard/ghost/readings", body, time.time()),
    ]
    # A device the cache still knows but the database no longer has.
    devices = {"dev-01": Device(registry.orchard_id, True), "ghost": Device(1, True)}

    written = writer.write(prepare(messages, devices, "orchard"), messages)
    store.close()

    assert written is not None
    assert (written.stored, written.rejected) == (1, 1)
    with engine.connect() as connection:
        reason = connection.execute(text("SELECT reason FROM rejected_message"))
        assert "unknown device 'ghost'" in reason.scalar_one()


def test_only_integrity_and_data_errors_count_as_permanent() -> None:
    import sqlite3

    import psycopg

    assert is_permanent(sqlite3.IntegrityError("x"))
    assert is_permanent(psycopg.errors.ForeignKeyViolation())
    assert is_permanent(psycopg.DataError())
    assert not is_permanent(sqlite3.OperationalError("database is locked"))
    assert not is_permanent(psycopg.errors.LockNotAvailable())
    assert not is_permanent(psycopg.OperationalError())
