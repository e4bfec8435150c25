"""What an ingester outage costs the broker: the shipped Mosquitto configuration
side by side with Mosquitto's defaults.

    .venv/bin/python bench/broker_queue.py [--rounds 3] [--messages 100000]

Each round starts Mosquitto on deploy/mosquitto/appletrace.conf (with only the
port, persistence folder, logs and authentication changed: tests/mosquitto.py)
and on the same file with the queue lines taken out (the defaults). An MQTT 5
ingester-like client makes a persistent session and goes away; the simulator's
messages (3 devices, every 10 minutes) are published at QoS 1, each checked;
then the broker's resident memory, the time a SIGTERM takes (it writes the
persistence file, as each autosave does), the file's size, the restart time and
what the session gives back are measured. Medians over rounds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench" / "broker_queue"
sys.path.insert(0, str(ROOT / "tests"))

from mosquitto import Broker, shipped_configuration  # noqa: E402

from appletrace.sensors.publisher import Publisher  # noqa: E402
from appletrace.sensors.simulate import LOCAL, generate  # noqa: E402

DEVICES = ("bench-01", "bench-02", "bench-03")
QUEUE_LINES = ("max_queued_messages", "max_queued_bytes")
SESSION = "bench-ingest"


def configurations() -> dict[str, str]:
    """The shipped configuration, and the same without its queue limits."""
    shipped = shipped_configuration()
    lines = shipped.splitlines()
    default = [line for line in lines if not line.startswith(QUEUE_LINES)]
    return {"shipped": shipped, "defaults": "\n".join(default) + "\n"}


def messages(count: int) -> list[tuple[str, bytes]]:
    """``count`` simulated messages as (topic, payload)."""
    start = datetime(2026, 6, 1, tzinfo=LOCAL)
    found = []
    for message in generate(DEVICES, start, 10_000, 600, 0.0, seed=1):
        if len(found) == count:
            break

        found.append((f"orchard/{message.device_id}/readings", message.payload))

    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

    raise RuntimeError(f"no VmRSS for process {pid}")


def session_client(broker: Broker, received: list[float]) -> mqtt.Client:
    """An MQTT 5 client resuming the persistent session; ``received`` gets the
    monotonic time of each message."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=SESSION,
        protocol=mqtt.MQTTv5,
    )
    client.on_message = lambda c, u, m: received.append(time.monotonic())
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 7 * 24 * 3600
    properties.ReceiveMaximum = 2000
    subscribed = threading.Event()
    client.on_subscribe = lambda c, u, mid, r, p: subscribed.set()
    client.on_connect = lambda c, u, f, r, p: c.subscribe("orchard/+/readings", 1)
    client.connect("127.0.0.1", broker.port, clean_start=False, properties=properties)
    client.loop_start()
    if not subscribed.wait(10):
        raise RuntimeError("the session client did not subscribe")

    return client


def drain(broker: Broker, sent: int) -> tuple[int, float]:
    """Resume the session; return messages given back and seconds to get them."""
    received: list[float] = []
    began = time.monotonic()
    client = session_client(broker, received)
    quiet_since, seen = time.monotonic(), 0
    while len(received) < sent and time.monotonic() - quiet_since < 2.0:
        if len(received) != seen:
            quiet_since, seen = time.monotonic(), len(received)

        time.sleep(0.02)

    took = (received[-1] if received else time.monotonic()) - began
    client.disconnect()
    client.loop_stop()
    return len(received), took


def one_round(name: str, body: str, pairs: list[tuple[str, bytes]]) -> dict:
    """Queue the messages for an absent session, restart, give them back."""
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    broker = Broker(folder, body=body)
    broker.start()
    try:
        client = session_client(broker, [])
        client.disconnect()
        client.loop_stop()
        assert broker.process is not None
        before = rss_bytes(broker.process.pid)
        with Publisher(broker.url) as publisher:
            for topic, payload in pairs:
                publisher.publish(topic, payload)

        queued_rss = rss_bytes(broker.process.pid) - before
        began = time.monotonic()
        broker.stop()
        save_s = time.monotonic() - began
        stored = (folder / "mosquitto.db").stat().st_size
        began = time.monotonic()
        broker.start()
        restart_s = time.monotonic() - began
        back, drain_s = drain(broker, len(pairs))
    finally:
        broker.stop()

    return {
        "rss": queued_rss,
        "file": stored,
        "save": save_s,
        "restart": restart_s,
        "back": back,
        "drain": drain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()

    pairs = messages(args.messages)
    payload = statistics.mean(len(p) for _, p in pairs)
    topic = statistics.mean(len(t) for t, _ in pairs)
    results: dict[str, list[dict]] = {name: [] for name in configurations()}
    for round_ in range(args.rounds):
        for name, body in configurations().items():
            results[name].append(one_round(name, body, pairs))
            print(f"round {round_ + 1} {name}: {results[name][-1]}", flush=True)

    n = len(pairs)
    print(
        f"\n{n:,} messages queued for one absent session, {args.rounds} rounds, "
        f"medians; payload {payload:.0f} B, topic {topic:.0f} B on average"
    )
    print(
        f"{'configuration':<14}{'given back':>12}{'RSS B/msg':>11}"
        f"{'file B/msg':>11}{'save s':>8}{'restart s':>11}{'drain msg/s':>13}"
    )
    for name, rounds in results.items():
        back = statistics.median(r["back"] for r in rounds)
        # Per message the broker kept: the defaults keep 1,000 and drop the rest.
        rss = statistics.median(r["rss"] / max(1, r["back"]) for r in rounds)
        stored = statistics.median(r["file"] / max(1, r["back"]) for r in rounds)
        save = statistics.median(r["save"] for r in rounds)
        restart = statistics.median(r["restart"] for r in rounds)
        rate = statistics.median(r["back"] / r["drain"] for r in rounds)
        print(
            f"{name:<14}{back:>12,.0f}{rss:>11.0f}{stored:>11.0f}"
            f"{save:>8.2f}{restart:>11.2f}{rate:>13,.0f}"
        )


if __name__ == "__main__":
    main()
