"""Nothing lost, nothing counted twice: the ingester killed, the broker restarted,
the database refusing writes for a while."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from appletrace.sensors.simulate import LOCAL, generate

pytestmark = pytest.mark.broker


def stream(devices: tuple[str, ...], days: int, start_day: int = 0):
    """Valid messages as (topic, payload) pairs, and the readings they hold."""
    start = datetime(2026, 7, 1, tzinfo=LOCAL) + timedelta(days=start_day)
    messages = list(generate(devices, start, days, 600, 0.0, seed=start_day))
    pairs = [(f"orchard/{m.device_id}/readings", m.payload) for m in messages]
    return pairs, sum(m.readings for m in messages)


def assert_stored_once(tally: Any, expected: int) -> None:
    """Exactly the expected readings, and summaries that count each once."""
    assert tally.wait_for(expected, 0) == (expected, 0)
    assert tally.summary_totals() == tally.reading_totals()


def appletrace(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start the installed 'appletrace' script with its output in a file."""
    script = str(Path(sys.executable).with_name("appletrace"))
    with open(log, "ab") as out:
        return subprocess.Popen([script, *args], env=env, stdout=out, stderr=out)


def wait_for_line(log: Path, text: str, after: int = 0, timeout: float = 15) -> int:
    """Wait until the log file holds ``text`` past offset ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = log.read_text().find(text, after)
        if found >= 0:
            return found + len(text)

        time.sleep(0.02)

    raise AssertionError(f"{text!r} not logged: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_sigkill_mid_stream_then_restart_stores_everything_once(
    broker: Any,
    registry: Any,
    db_url: str,
    tally: Any,
    publish: Any,
    tmp_path: Path,
) -> None:
    pairs, expected = stream(registry.devices, 6)
    env = {
        "PATH": os.environ["PATH"],
        "APPLETRACE_DATABASE_URL": db_url,
        "APPLETRACE_MQTT_URL": broker.url,
        "APPLETRACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "APPLETRACE_SECRET_KEY": "test",
    }
    log = tmp_path / "ingest.log"
    args = ("ingest", "--batch-size", "100", "--batch-wait", "0.05")
    first = appletrace(*args, env=env, log=log)
    seen = wait_for_line(log, "subscribed to")
    # The stream keeps flowing while the ingester dies and comes back.
    publisher = threading.Thread(target=publish, args=(broker.url, _paced(pairs)))
    publisher.start()

    while tally.counts()[0] == 0:
        time.sleep(0.01)

    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = tally.counts()[0]
    second = appletrace(*args, env=env, log=log)
    wait_for_line(log, "session present: True", seen)
    publisher.join(60)
    try:
        assert_stored_once(tally, expected)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0

    assert first.returncode == -signal.SIGKILL
    assert 0 < at_kill < expected


def _paced(pairs: list[tuple[str, bytes]], per_second: float = 2500.0):
    began = time.monotonic()
    for index, pair in enumerate(pairs):
        yield pair
        ahead = index / per_second - (time.monotonic() - began)
        if ahead > 0:
            time.sleep(ahead)


@pytest.mark.slow
def test_broker_restart_mid_stream_loses_nothing(
    persistent_broker: Any,
    registry: Any,
    tally: Any,
    publish: Any,
    write_lock: Any,
    start_ingester: Any,
) -> None:
    before, count_before = stream(registry.devices, 2, 0)
    during, count_during = stream(registry.devices, 2, 2)
    after, count_after = stream(registry.devices, 2, 4)
    running = start_ingester(persistent_broker, batch_size=200, batch_wait_s=0.05)
    publish(persistent_broker.url, before)
    assert_stored_once(tally, count_before)

    with write_lock():
        # Delivered to the ingester, not committed, so not acked: only the
        # broker's persisted session still holds these when it restarts.
        publish(persistent_broker.url, during)
        time.sleep(0.5)
        assert tally.counts()[0] == count_before
        persistent_broker.restart()

    publish(persistent_broker.url, after)
    assert_stored_once(tally, count_before + count_during + count_after)
    assert running.ingester.stats.connects >= 2


def test_database_refusing_writes_loses_nothing(
    broker: Any,
    registry: Any,
    tally: Any,
    publish: Any,
    write_lock: Any,
    start_ingester: Any,
) -> None:
    pairs, expected = stream(registry.devices, 3)
    running = start_ingester(broker, batch_size=100, batch_wait_s=0.05)

    with write_lock():
        publish(broker.url, pairs)
        time.sleep(1.5)
        assert tally.counts() == (0, 0)

    assert_stored_once(tally, expected)
    assert running.ingester.stats.database_errors >= 1
    assert running.ingester.writer.failures == 0


def test_a_broker_slow_to_answer_connect_gets_one_connection_not_a_storm(
    db_url: str, tmp_path: Path
) -> None:
    from appletrace.sensors.ingest import Ingester, IngestOptions
    from appletrace.trace.settings import Settings

    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    settings = Settings.from_env(
        {
            "APPLETRACE_DATABASE_URL": db_url,
            "APPLETRACE_MQTT_URL": f"mqtt://127.0.0.1:{listener.getsockname()[1]}",
            "APPLETRACE_INSTANCE_PATH": str(tmp_path / "instance"),
            "APPLETRACE_SECRET_KEY": "test",
        }
    )
    ingester = Ingester(settings, IngestOptions())
    runner = threading.Thread(target=ingester.run)
    runner.start()

    time.sleep(1.5)
    ingester.stop()
    runner.join(10)
    listener.close()
    for connection in accepted:
        connection.close()

    assert not runner.is_alive()
    assert len(accepted) == 1


@pytest.mark.slow
def test_a_backlog_queued_while_away_is_drained_in_bounded_memory(
    broker: Any, registry: Any, tally: Any, publish: Any, start_ingester: Any
) -> None:
    # Mosquitto 2.0.11 sends such a backlog past the Receive Maximum once the
    # first PUBACK arrives; the ingester must stop reading rather than hold it.
    first = start_ingester(broker, batch_size=50, batch_wait_s=0.05)
    first.stop()
    pairs, expected = stream(registry.devices, 12)

    publish(broker.url, pairs)
    running = start_ingester(broker, batch_size=50, batch_wait_s=0.05)
    assert_stored_once(tally, expected)

    options = running.ingester.options
    assert len(pairs) > 5000
    assert running.ingester.stats.pending_peak < options.receive_maximum + 1000
