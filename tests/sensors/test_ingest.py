"""The ingester against a real Mosquitto: every valid reading once, every bad
message kept with its reason, summaries that count each reading once."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from appletrace.sensors.publisher import Publisher
from appletrace.sensors.simulate import LOCAL, SimMessage, generate

pytestmark = pytest.mark.broker

REASONS = {
    "not_json": "not JSON",
    "nan": "NaN is not a reading",
    "out_of_range": "is outside",
    "future": "ahead of the ingester's clock",
    "unknown_quantity": "unknown quantity",
    "no_time": "no 'time'",
}


def season(devices: tuple[str, ...], readings: int, faulty: float) -> list[SimMessage]:
    """Simulated messages until they hold ``readings`` valid readings."""
    start = datetime(2026, 8, 1, tzinfo=LOCAL)
    found: list[SimMessage] = []
    total = 0
    for message in generate(devices, start, 60, 600, faulty, seed=3):
        if total >= readings:
            break

        found.append(message)
        total += message.readings

    return found


def publish(broker: Any, messages: list[SimMessage]) -> None:
    """Publish each message at QoS 1, checking every result."""
    with Publisher(broker.url) as publisher:
        for message in messages:
            publisher.publish(f"orchard/{message.device_id}/readings", message.payload)


def test_valid_readings_stored_once_and_bad_messages_kept_with_reasons(
    broker: Any, registry: Any, engine: Engine, tally: Any, start_ingester: Any
) -> None:
    messages = season(registry.devices, 20_000, faulty=0.02)
    rng = random.Random(5)
    repeats = rng.sample(messages, len(messages) // 20)
    # Repeats come last: late, out of order, after their day was summarized.
    stream = messages + repeats
    valid = sum(m.readings for m in messages)
    faulty = [m for m in stream if m.fault]
    running = start_ingester(broker, batch_size=500, batch_wait_s=0.2)

    publish(broker, stream)
    stored, rejected = tally.wait_for(valid, len(faulty))
    running.stop()

    assert valid >= 20_000
    assert 0.01 < len({id(m) for m in faulty}) / len(messages) < 0.03
    assert (stored, rejected) == (valid, len(faulty))
    assert running.ingester.stats.duplicates == sum(r.readings for r in repeats)
    assert tally.summary_totals() == tally.reading_totals()
    _assert_reasons(engine, faulty)


def _assert_reasons(engine: Engine, faulty: list[SimMessage]) -> None:
    fault_of = {bytes(m.payload): m.fault for m in faulty}
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT topic, payload, reason FROM rejected_message")
        ).all()

    for topic, payload, reason in rows:
        fault = fault_of[bytes(payload)]
        assert fault is not None
        assert REASONS[fault] in reason, (fault, reason)
        assert topic.startswith("orchard/dev-")


def test_unknown_and_inactive_devices_and_bad_topics_are_rejected(
    broker: Any, registry: Any, engine: Engine, tally: Any, start_ingester: Any
) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE device SET active = false WHERE id = 'dev-03'"))

    body = orjson.dumps({"time": "2026-09-01T06:00:00+08:00", "temperature": 12.4})
    running = start_ingester(broker, batch_wait_s=0.1)

    with Publisher(broker.url) as publisher:
        publisher.publish("orchard/dev-01/readings", body)
        publisher.publish("orchard/nobody/readings", body)
        publisher.publish("orchard/dev-03/readings", body)

    found = tally.wait_for(1, 2)
    running.stop()

    assert found == (1, 2)
    with engine.connect() as connection:
        reasons = sorted(
            connection.execute(text("SELECT reason FROM rejected_message")).scalars()
        )

    assert "device 'dev-03' is inactive" in reasons[0]
    assert "unknown device 'nobody'" in reasons[1]


def test_a_device_registered_after_start_is_picked_up(
    broker: Any, registry: Any, engine: Engine, tally: Any, start_ingester: Any
) -> None:
    running = start_ingester(broker, batch_wait_s=0.05)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO device (id, orchard_id, kind, active, created_at) "
                "VALUES ('late-01', :orchard, 'weather', true, '2026-01-01')"
            ),
            {"orchard": registry.orchard_id},
        )

    body = orjson.dumps({"time": 1788213600, "humidity": 80})
    with Publisher(broker.url) as publisher:
        publisher.publish("orchard/late-01/readings", body)

    found = tally.wait_for(1, 0)
    running.stop()

    assert found == (1, 0)


def test_partly_valid_message_keeps_its_good_readings(
    broker: Any, registry: Any, engine: Engine, tally: Any, start_ingester: Any
) -> None:
    body = orjson.dumps(
        {"time": "2026-09-01T06:00:00+08:00", "temperature": 12.4, "pm25": 5000}
    )
    running = start_ingester(broker, batch_wait_s=0.05)

    with Publisher(broker.url) as publisher:
        publisher.publish("orchard/dev-02/readings", body)

    found = tally.wait_for(1, 1)
    running.stop()

    assert found == (1, 1)
    with engine.connect() as connection:
        reason = connection.execute(
            text("SELECT reason FROM rejected_message")
        ).scalar()

    assert reason is not None
    assert reason.startswith("1 reading(s) stored, the rest refused: pm25 value 5000")


def test_a_reading_late_by_days_lands_in_its_own_local_day(
    broker: Any, registry: Any, engine: Engine, tally: Any, start_ingester: Any
) -> None:
    late = datetime(2026, 9, 1, 23, 30, tzinfo=LOCAL)
    running = start_ingester(broker, batch_wait_s=0.05)

    with Publisher(broker.url) as publisher:
        for moment, value in ((late + timedelta(days=3), 9.0), (late, 15.5)):
            body = orjson.dumps({"time": moment.isoformat(), "temperature": value})
            publisher.publish("orchard/dev-01/readings", body)

    found = tally.wait_for(2, 0)
    running.stop()

    with engine.connect() as connection:
        days = connection.execute(
            text("SELECT day, temperature_max FROM daily_summary ORDER BY day")
        ).all()

    assert found == (2, 0)
    assert [(str(d), t) for d, t in days] == [
        ("2026-09-01", 15.5),
        ("2026-09-04", 9.0),
    ]
