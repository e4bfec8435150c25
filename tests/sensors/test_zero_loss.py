"""Zero loss as shipped: deploy/mosquitto/appletrace.conf keeps every QoS 1
message across an ingester outage and a broker restart.

The broker runs the shipped configuration with only the listener port, the
persistence folder and the log destination changed and TLS and passwords left
out (tests/mosquitto.py), so its queue, autosave and expiry settings are the
ones a deployment gets. Mosquitto's defaults would fail this test: the outage
queues far more than its 1,000 messages per offline client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mosquitto import Broker, shipped_configuration
from sqlalchemy import select
from sqlalchemy.engine import Engine

from appletrace.sensors.payload import parse
from appletrace.sensors.simulate import LOCAL, generate
from appletrace.trace.models import Reading

pytestmark = pytest.mark.broker

READINGS = 100_000
OUTAGE_S = 60.0
DEFAULT_QUEUE = 1000  # Mosquitto's max_queued_messages when not set
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)

Key = tuple[str, str, int]


@pytest.fixture
def shipped_broker(tmp_path: Path) -> Iterator[Broker]:
    """Mosquitto on the shipped configuration, persisting into the test's folder."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    running = Broker(folder, body=shipped_configuration())
    running.start()
    yield running
    running.stop()


def season(devices: tuple[str, ...]) -> tuple[list[tuple[str, bytes]], set[Key]]:
    """Valid messages holding at least READINGS readings, and those readings."""
    pairs: list[tuple[str, bytes]] = []
    keys: set[Key] = set()
    start = datetime(2026, 5, 1, tzinfo=LOCAL)
    for message in generate(devices, start, 120, 600, 0.0, seed=8):
        if len(keys) >= READINGS:
            break

        pairs.append((f"orchard/{message.device_id}/readings", message.payload))
        for quantity, at_us, _value in parse(message.payload, time.time()).readings:
            keys.add((message.device_id, quantity, at_us))

    return pairs, keys


def stored_keys(engine: Engine) -> list[Key]:
    """Every stored reading's key, duplicates included if there were any."""
    table = Reading.__table__  # type: ignore[attr-defined]
    columns = (table.c.device_id, table.c.quantity, table.c.taken_at)
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()

    return [(d, q, (at - EPOCH) // ONE_US) for d, q, at in rows]


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_shipped_broker_keeps_every_reading_across_outage_and_restart(
    shipped_broker: Broker,
    registry: Any,
    engine: Engine,
    tally: Any,
    publish: Any,
    start_ingester: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pairs, expected = season(registry.devices)
    first, second = len(pairs) // 5, 3 * len(pairs) // 5
    live, before_restart, after_restart = (
        pairs[:first],
        pairs[first:second],
        pairs[second:],
    )
    options = {"batch_size": 1000, "batch_wait_s": 0.2}
    running = start_ingester(shipped_broker, **options)
    publish(shipped_broker.url, live)
    stored_live = tally.wait_for(_readings(live), 0)[0]
    running.stop()

    outage_began = time.monotonic()
    publish(shipped_broker.url, before_restart)
    assert tally.counts()[0] == stored_live
    # SIGTERM: the broker writes its persistence file, then starts from it.
    shipped_broker.restart()
    publish(shipped_broker.url, after_restart)
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_began)))
    outage_s = time.monotonic() - outage_began
    assert tally.counts()[0] == stored_live

    with caplog.at_level(logging.INFO, logger="appletrace.sensors.ingest"):
        start_ingester(shipped_broker, **options)
        tally.wait_for(len(expected), 0, timeout=60)

    found = stored_keys(engine)
    assert len(expected) >= READINGS
    assert outage_s >= OUTAGE_S
    assert len(before_restart) + len(after_restart) > 10 * DEFAULT_QUEUE
    assert "session present: True" in caplog.text
    assert len(found) == len(set(found)) == len(expected)
    assert set(found) == expected


def _readings(pairs: list[tuple[str, bytes]]) -> int:
    return sum(len(parse(payload, time.time()).readings) for _, payload in pairs)
