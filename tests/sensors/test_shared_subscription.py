"""Scale-out: two ingesters on one MQTT 5 shared subscription share the stream
and store every reading once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from appletrace.sensors.simulate import LOCAL, generate

pytestmark = pytest.mark.broker


def test_two_ingesters_on_a_shared_subscription_store_everything_once(
    broker: Any, registry: Any, tally: Any, publish: Any, start_ingester: Any
) -> None:
    start = datetime(2026, 8, 1, tzinfo=LOCAL)
    messages = list(generate(registry.devices, start, 8, 600, 0.0, seed=11))
    expected = sum(m.readings for m in messages)
    options = {"share": "g", "batch_size": 200, "batch_wait_s": 0.05}
    first = start_ingester(broker, client_id="ingest-a", **options)
    second = start_ingester(broker, client_id="ingest-b", **options)

    publish(
        broker.url, [(f"orchard/{m.device_id}/readings", m.payload) for m in messages]
    )
    assert tally.wait_for(expected, 0) == (expected, 0)
    first.stop()
    second.stop()

    shares = [first.ingester.stats, second.ingester.stats]
    assert [s.stored > 0 for s in shares] == [True, True]
    assert sum(s.stored for s in shares) == expected
    assert sum(s.duplicates for s in shares) == 0
    assert tally.summary_totals() == tally.reading_totals()


def test_a_shared_group_keeps_messages_while_all_its_ingesters_are_away(
    persistent_broker: Any,
    registry: Any,
    tally: Any,
    publish: Any,
    start_ingester: Any,
) -> None:
    start = datetime(2026, 9, 1, tzinfo=LOCAL)
    messages = list(generate(registry.devices, start, 4, 600, 0.0, seed=12))
    expected = sum(m.readings for m in messages)
    options = {"share": "g", "batch_size": 200, "batch_wait_s": 0.05}
    for client_id in ("ingest-a", "ingest-b"):
        start_ingester(persistent_broker, client_id=client_id, **options).stop()

    publish(
        persistent_broker.url,
        [(f"orchard/{m.device_id}/readings", m.payload) for m in messages],
    )
    persistent_broker.restart()
    assert tally.counts() == (0, 0)
    for client_id in ("ingest-a", "ingest-b"):
        start_ingester(persistent_broker, client_id=client_id, **options)

    assert tally.wait_for(expected, 0) == (expected, 0)
