"""Storage per million readings and per label run, on SQLite and PostgreSQL.

Fills a fresh database (migrated to head) with READINGS readings of one device
— one quantity per row, a row every minute, as the ingester stores them — and
with scans, then prints the bytes each takes: table plus indexes. Label runs cost
one row however many labels they have, so "per label" is the scans' cost.

Run: .venv/bin/python bench/storage.py [--readings N] [--scans N]
Needs PostgreSQL on 127.0.0.1 (trust auth).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from appletrace.trace import migrate
from appletrace.trace.db import make_engine

ADMIN = "host=127.0.0.1 user=postgres dbname=test"
START = datetime(2026, 4, 1, tzinfo=UTC)


def seed(connection, paramstyle: str) -> None:
    mark = "?" if paramstyle == "qmark" else "%s"
    now = START.isoformat(" ") if paramstyle == "qmark" else START
    connection.execute(
        "INSERT INTO organization (name, kind, phone, address, created_at) "
        f"VALUES ({mark}, 'coop', '', '', {mark})",
        ("bench", now),
    )
    connection.execute(
        "INSERT INTO orchard (organization_id, code, name, county_code, township, "
        "village, latitude, longitude, altitude_m, variety, created_at, updated_at) "
        f"VALUES (1, 'B-1', 'b', '530602', '', '', 27.3, 103.6, 1950, '', {mark}, "
        f"{mark})",
        (now, now),
    )
    connection.execute(
        "INSERT INTO device (id, orchard_id, kind, active, created_at) "
        f"VALUES ('dev-1', 1, 'weather', true, {mark})",
        (now,),
    )


def readings(count: int, sqlite_style: bool):
    quantities = ("temperature", "humidity", "pm25", "irradiance")
    for i in range(count):
        quantity = quantities[i % 4]
        taken = START + timedelta(minutes=i // 4)
        stamp = taken.replace(tzinfo=None).isoformat(" ") if sqlite_style else taken
        yield ("dev-1", quantity, stamp, 12.5, "Cel", stamp)


def sqlite_bytes(count: int) -> int:
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "bench.db")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    before = os.path.getsize(path)
    connection = sqlite3.connect(path)
    seed(connection, "qmark")
    connection.executemany(
        "INSERT INTO reading (device_id, quantity, taken_at, value, unit, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        readings(count, True),
    )
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("VACUUM")
    connection.close()

    return os.path.getsize(path) - before


def postgres_bytes(count: int, scans: int) -> tuple[int, int]:
    name = f"bench_storage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    try:
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1/{name}")
        migrate.upgrade(engine)
        engine.dispose()
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}") as db:
            seed(db, "format")
            with db.cursor().copy(
                "COPY reading (device_id, quantity, taken_at, value, unit, "
                "received_at) FROM STDIN"
            ) as copy:
                for row in readings(count, False):
                    copy.write_row(row)

            db.execute(
                "INSERT INTO lot (organization_id, code, orchard_id, variety, "
                "window_start, harvested_on, grade, status, created_at, updated_at) "
                "VALUES (1, 'L', 1, 'f', '2026-04-01', '2026-10-20', '', 'harvested', "
                "now(), now())"
            )
            db.execute(
                "INSERT INTO label_run (lot_id, organization_id, gtin, count, salt, "
                "template, created_at, replacement_count, short_uri, created_by) "
                "VALUES (1, 1, '06901234567892', 1000000, 'aa', 'a4-rect', now(), 0, "
                "false, 'bench')"
            )
            db.execute(
                "INSERT INTO scan (label_run_id, label_index, serial, scanned_at, "
                "place, user_agent_hash) SELECT 1, i, 'R1' || lpad(i::text, 12, '0'),"
                " now(), '', md5(i::text) FROM generate_series(1, %s) AS i",
                (scans,),
            )
            db.commit()
            db.autocommit = True
            db.execute("VACUUM ANALYZE")
            size = db.execute(
                "SELECT pg_total_relation_size('reading'), "
                "pg_total_relation_size('scan')"
            ).fetchone()
            assert size is not None
            return int(size[0]), int(size[1])
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--scans", type=int, default=200_000)
    args = parser.parse_args()

    began = time.monotonic()
    lite = sqlite_bytes(args.readings)
    pg_readings, pg_scans = postgres_bytes(args.readings, args.scans)
    per_million = 1_000_000 / args.readings

    print(f"readings: {args.readings:,}; scans: {args.scans:,}")
    print(f"SQLite     per million readings: {lite * per_million / 1e6:8.1f} MB")
    print(f"PostgreSQL per million readings: {pg_readings * per_million / 1e6:8.1f} MB")
    print(f"PostgreSQL per scan:             {pg_scans / args.scans:8.1f} B")
    print("label runs: one row per run, whatever its count (serials are derived)")
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
