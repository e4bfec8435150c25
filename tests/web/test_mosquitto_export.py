"""``devices export-mosquitto``: a real Mosquitto on the shipped configuration,
with the written files, lets each device in with its password and only onto its
own topic, and lets the ingester's user read every device's readings."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from factories import make_coop, make_orchard
from mosquitto import Broker, shipped_configuration
from sqlalchemy.engine import Engine
from sqlmodel import Session

from appletrace.trace.devices import add_device
from appletrace.trace.mosquitto import hash_password

pytestmark = pytest.mark.broker

PASSWORDS = {"dev-a": "apple-a", "dev-b": "apple-b", "dev-off": "apple-off"}


@pytest.fixture
def devices(engine: Engine) -> None:
    """dev-a and dev-b with passwords, dev-new without, dev-off inactive."""
    with Session(engine) as session:
        orchard = make_orchard(session, make_coop(session))
        for device_id in (*PASSWORDS, "dev-new"):
            device = add_device(session, device_id, orchard)
            if device_id in PASSWORDS:
                device.credential_hash = hash_password(PASSWORDS[device_id])

            device.active = device_id != "dev-off"

        session.commit()


@pytest.fixture
def exported(
    cli: Any, devices: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Broker, str]]:
    """The files written by the command, and a broker started on them."""
    monkeypatch.setenv("APPLETRACE_MQTT_URL", "mqtt://ingest:harvest%40pw@127.0.0.1")
    passwd, acl = tmp_path / "appletrace.passwd", tmp_path / "appletrace.acl"
    result = cli("devices", "export-mosquitto", "--passwd", passwd, "--acl", acl)
    assert result.code == 0, result.err
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = Broker(folder, body=shipped_configuration(passwd, acl))
    broker.start()
    yield broker, result.err
    broker.stop()


def client(broker: Broker, user: str, password: str) -> tuple[mqtt.Client, str]:
    """A connected MQTT 5 client and the broker's answer to its CONNECT."""
    answered: queue.Queue[str] = queue.Queue()
    made = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    made.username_pw_set(user, password)
    made.on_connect = lambda c, u, f, reason, p: answered.put(str(reason))
    made.connect("127.0.0.1", broker.port)
    made.loop_start()
    return made, answered.get(timeout=5)


def test_devices_get_in_with_their_password_only(
    exported: tuple[Broker, str],
) -> None:
    broker, warnings = exported
    answers = {}
    for name, user, password in (
        ("right", "dev-a", "apple-a"),
        ("wrong", "dev-a", "apple-b"),
        ("no hash", "dev-new", ""),
        ("inactive", "dev-off", "apple-off"),
        ("ingester", "ingest", "harvest@pw"),
    ):
        made, answers[name] = client(broker, user, password)
        made.disconnect()
        made.loop_stop()

    assert answers["right"] == answers["ingester"] == "Success"
    assert answers["wrong"] == answers["no hash"] == answers["inactive"]
    assert answers["wrong"] in ("Not authorized", "Bad user name or password")
    assert "device dev-new left out: no Mosquitto credential hash" in warnings
    assert "device dev-off left out: inactive" in warnings


def test_a_device_publishes_only_to_its_own_topic(
    exported: tuple[Broker, str],
) -> None:
    broker, _ = exported
    received: queue.Queue[str] = queue.Queue()
    subscribed = threading.Event()
    reader, _ = client(broker, "ingest", "harvest@pw")
    reader.on_message = lambda c, u, message: received.put(message.topic)
    reader.on_subscribe = lambda c, u, mid, reasons, p: subscribed.set()
    # The ingesters' shared subscription must pass the ACL too.
    reader.subscribe("$share/g/orchard/+/readings", qos=1)
    assert subscribed.wait(5)

    device, _ = client(broker, "dev-a", "apple-a")
    foreign = device.publish("orchard/dev-b/readings", b"{}", qos=1)
    own = device.publish("orchard/dev-a/readings", b"{}", qos=1)
    foreign.wait_for_publish(5)
    own.wait_for_publish(5)

    # Messages of one client arrive in order: had the foreign one passed, it
    # would come first.
    assert received.get(timeout=5) == "orchard/dev-a/readings"
    assert received.empty()
    for made in (device, reader):
        made.disconnect()
        made.loop_stop()
