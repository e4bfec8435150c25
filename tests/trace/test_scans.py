"""The scan recorder: exact counts under concurrent scans, stored off the request."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from factories import make_coop, make_lot, make_orchard
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appletrace.trace.db import session_scope
from appletrace.trace.models import LabelRun, Scan
from appletrace.trace.scans import (
    ScanRecord,
    ScanRecorder,
    StoredScans,
    coarse_place,
    combine,
    stored_scans,
    user_agent_hash,
)

T0 = datetime(2025, 11, 2, 6, 0, tzinfo=UTC)


def make_run(engine: Engine) -> int:
    """A lot and a label run row to hang scans on."""
    with session_scope(engine) as session:
        coop = make_coop(session)
        lot = make_lot(session, coop, make_orchard(session, coop))
        run = LabelRun(
            lot_id=lot.id,
            organization_id=coop.id,
            gtin="06901234567892",
            count=10,
            salt="00" * 16,
        )
        session.add(run)
        session.flush()
        return int(run.id or 0)


def scan_at(
    run_id: int, seconds: float, serial: str = "SER1", index: int = 3
) -> ScanRecord:
    return ScanRecord(
        run_id, index, serial, T0 + timedelta(seconds=seconds), "昭通", "h"
    )


def test_combine_counts_stored_queued_and_this_one() -> None:
    stored = StoredScans(2, T0 + timedelta(hours=1), "昆明")
    queued = [scan_at(1, 30)]

    count = combine(stored, queued, scan_at(1, 7200))

    assert count.count == 4
    assert count.first_at == T0 + timedelta(seconds=30)
    assert count.first_place == "昭通"
    assert not count.first_scan


def test_user_agent_is_hashed_with_the_key_and_places_trimmed() -> None:
    ua = "Mozilla/5.0 (Linux; Android 10) MicroMessenger/8.0"

    digest = user_agent_hash(ua, "k1")

    assert digest != user_agent_hash(ua, "k2")
    assert len(digest) == 32 and ua not in digest
    assert coarse_place("  云南 昭通\n" + "x" * 100) == ("云南 昭通" + "x" * 100)[:60]
    assert coarse_place(None) == ""


def test_concurrent_scans_of_one_serial_each_get_their_own_count(
    engine: Engine,
) -> None:
    run_id = make_run(engine)
    # One scan per batch makes the writer commit while the others read.
    recorder = ScanRecorder(engine, batch_size=1)
    results: list[tuple[int, datetime, datetime]] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def scan(worker: int) -> None:
        start.wait()
        for round_ in range(5):
            record = scan_at(run_id, worker + round_ * 100)
            count, _ = recorder.record(record, lambda: (_stored(engine, run_id), None))
            with lock:
                results.append((count.count, count.first_at, record.scanned_at))

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.flush()
    recorder.close()

    assert sorted(c for c, _, _ in results) == list(range(1, 81))
    assert all(first <= mine for _, first, mine in results)
    with engine.connect() as connection:
        stored = stored_scans(connection, run_id, "SER1")
        rows = connection.execute(select(func.count()).select_from(Scan)).scalar()
    assert stored.count == 80 == rows
    assert stored.first_at == T0
    assert stored.first_place == "昭通"


def test_batches_that_mix_labels_leave_each_labels_count_exact(
    engine: Engine,
) -> None:
    run_id = make_run(engine)
    # Batches of three take part of the queue, mixing the labels: each batch
    # leaves the rest of every label's scans queued and counted.
    recorder = ScanRecorder(engine, batch_size=3, linger_s=0.001)
    counts: dict[str, list[int]] = {f"SER{n}": [] for n in range(4)}
    lock = threading.Lock()
    start = threading.Barrier(8)

    def scan(worker: int) -> None:
        serial, index = f"SER{worker % 4}", worker % 4
        start.wait()
        for round_ in range(6):
            record = scan_at(run_id, worker + round_ * 10, serial, index)
            count, _ = recorder.record(
                record, lambda: (_stored(engine, run_id, serial), None)
            )
            with lock:
                counts[serial].append(count.count)

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.close()

    assert {serial: sorted(c) for serial, c in counts.items()} == {
        f"SER{n}": list(range(1, 13)) for n in range(4)
    }
    with engine.connect() as connection:
        assert [stored_scans(connection, run_id, s).count for s in counts] == [12] * 4


def test_other_labels_do_not_count_and_close_stores_the_queue(engine: Engine) -> None:
    run_id = make_run(engine)
    recorder = ScanRecorder(engine)

    first, _ = recorder.record(
        scan_at(run_id, 0), lambda: (_stored(engine, run_id), None)
    )
    other, _ = recorder.record(
        scan_at(run_id, 1, serial="SER2", index=4),
        lambda: (_stored(engine, run_id, "SER2"), None),
    )
    recorder.close()

    assert first.count == 1 and first.first_scan
    assert other.count == 1
    with engine.connect() as connection:
        assert stored_scans(connection, run_id, "SER1").count == 1
        assert stored_scans(connection, run_id, "SER2").count == 1


def _stored(engine: Engine, run_id: int, serial: str = "SER1") -> StoredScans:
    with engine.connect() as connection:
        return stored_scans(connection, run_id, serial)
