"""The commands: 'appletrace ingest' stops cleanly on SIGTERM; 'simulate' feeds
it; shared subscriptions split one stream; logs stay quiet per reading."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from appletrace.sensors.simulate import LOCAL, generate

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_flushes_acks_and_exits_0(
    signum: int,
    broker: Any,
    registry: Any,
    db_url: str,
    tally: Any,
    publish: Any,
    start_ingester: Any,
    tmp_path: Path,
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "APPLETRACE_DATABASE_URL": db_url,
        "APPLETRACE_MQTT_URL": broker.url,
        "APPLETRACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "APPLETRACE_SECRET_KEY": "test",
    }
    script = str(Path(sys.executable).with_name("appletrace"))
    log = tmp_path / "ingest.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [script, "ingest", "--batch-wait", "60", "--client-id", "term-test"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    _wait_for_text(log, "subscribed to")
    body = orjson.dumps({"time": 1788213600, "temperature": 12.0, "humidity": 70})
    publish(broker.url, [("orchard/dev-01/readings", body)] * 3)
    time.sleep(0.5)
    waiting = tally.counts()

    process.send_signal(signum)
    code = process.wait(15)

    assert waiting == (0, 0)
    assert code == 0
    assert tally.counts() == (2, 0)
    text = log.read_text()
    assert "received 3, stored 2, duplicates 4, rejected 0" in text
    assert "stopped" in text
    # Acked before leaving: the same session gets nothing again.
    again = start_ingester(broker, client_id="term-test", batch_wait_s=0.05)
    time.sleep(1.0)
    again.stop()
    assert again.ingester.stats.received == 0


def _wait_for_text(log: Path, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)


def test_simulate_publishes_what_the_ingester_stores(
    broker: Any,
    registry: Any,
    cli: Any,
    tally: Any,
    start_ingester: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPLETRACE_MQTT_URL", broker.url)
    start_ingester(broker, batch_wait_s=0.05)
    args = ["--device", "dev-01", "--device", "dev-02", "--days", "2"]
    args += ["--start", "2026-07-01", "--faulty", "0.05", "--seed", "9"]
    start = datetime(2026, 7, 1, tzinfo=LOCAL)
    expected = list(generate(["dev-01", "dev-02"], start, 2, 600, 0.05, 9))

    result = cli("simulate", *args)

    assert result.code == 0, result.err
    assert f"published {len(expected)} messages" in result.out
    readings = sum(m.readings for m in expected)
    faulty = sum(1 for m in expected if m.fault)
    assert faulty > 0
    assert tally.wait_for(readings, faulty) == (readings, faulty)


def test_a_shared_subscription_splits_the_stream(
    broker: Any, registry: Any, tally: Any, publish: Any, start_ingester: Any
) -> None:
    first = start_ingester(broker, client_id="ingest-a", share="g", batch_size=50)
    second = start_ingester(broker, client_id="ingest-b", share="g", batch_size=50)
    start = datetime(2026, 7, 1, tzinfo=LOCAL)
    messages = list(generate(registry.devices, start, 2, 600, 0.0, seed=1))

    publish(
        broker.url, [(f"orchard/{m.device_id}/readings", m.payload) for m in messages]
    )
    readings = sum(m.readings for m in messages)
    found = tally.wait_for(readings, 0)
    first.stop()
    second.stop()

    assert found == (readings, 0)
    split = (first.ingester.stats.received, second.ingester.stats.received)
    assert sum(split) == len(messages)
    assert min(split) > len(messages) // 4


def test_bad_share_group_is_refused(cli: Any) -> None:
    result = cli("ingest", "--share", "a/b")

    assert result.code == 1
    assert "share group 'a/b'" in result.err


def test_logs_warn_per_rejection_at_most_ten_times_and_never_per_reading(
    broker: Any,
    registry: Any,
    tally: Any,
    publish: Any,
    start_ingester: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="appletrace.sensors")
    running = start_ingester(broker, batch_wait_s=0.05)
    good = [
        ("orchard/dev-01/readings", orjson.dumps({"time": 1788213600 + i, "pm25": 9}))
        for i in range(300)
    ]
    bad = [("orchard/dev-01/readings", b"{oops %d" % i) for i in range(25)]

    publish(broker.url, good + bad)
    assert tally.wait_for(300, 25) == (300, 25)
    running.stop()

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 10
    assert all(
        "rejected a message on orchard/dev-01/readings" in r.message for r in warnings
    )
    assert len(infos) < 8
    assert "stored 300, duplicates 0, rejected 25 (15 not logged)" in infos[-2].message
