"""The ingester: MQTT messages in, readings stored once, acknowledged after commit.

The calling thread runs paho's network loop; one writer thread parses and
commits batches, so the database's work overlaps with receiving the next batch.
A QoS 1 message is acked, in the order it came, only once the transaction
holding its readings (or its refusal) has committed; the broker keeps everything
else in the persistent session and sends it again after a crash or reconnect,
where the primary key on readings makes the second copy change nothing.
``Ingester.run`` blocks until ``stop`` is called (from another thread or a
signal handler).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from appletrace.sensors.batch import Message
from appletrace.sensors.client import BufferedClient
from appletrace.sensors.stats import Reporter, Stats
from appletrace.sensors.store import Store, Written
from appletrace.sensors.writer import Writer
from appletrace.trace.settings import Settings

log = logging.getLogger(__name__)

MAX_RECEIVE_MAXIMUM = 65_535
POLL_S = 0.2
POLL_WRITING_S = 0.002
CONNACK_TIMEOUT_S = 10.0

# (packet id, QoS, topic, payload, received at as Unix seconds)
Pending = tuple[int, int, bytes, bytes, float]


@dataclass(frozen=True)
class IngestOptions:
    """How the ingester batches and identifies itself; see docs/mqtt.md."""

    batch_size: int = 1000
    batch_wait_s: float = 1.0
    client_id: str = "appletrace-ingest"
    share: str | None = None
    session_expiry_s: int = 7 * 24 * 3600
    keepalive_s: int = 30
    stats_every_s: float = 60.0
    lock_timeout_s: float = 2.0
    max_backoff_s: float = 30.0
    # 5 in production; 4 (MQTT 3.1.1, clean_session=False) for brokers that speak
    # no MQTT 5, such as the demo's embedded one.
    mqtt_version: int = 5

    @property
    def receive_maximum(self) -> int:
        """Receive Maximum for CONNECT: two batches, so one fills while one commits."""
        return min(MAX_RECEIVE_MAXIMUM, 2 * self.batch_size)


@dataclass
class InFlight:
    """The batch the writer thread is committing: the head of the pending list."""

    future: Future[Written | None]
    count: int
    generation: int
    messages: list[Message]


def topic_filter(prefix: str, share: str | None) -> str:
    """The subscription: every device's readings, through a shared group if given."""
    topic = f"{prefix}/+/readings"
    return f"$share/{share}/{topic}" if share else topic


class Ingester:
    """Subscribes to sensor readings and stores them until ``stop`` is called."""

    def __init__(self, settings: Settings, options: IngestOptions | None = None):
        self.settings = settings
        self.options = options or IngestOptions()
        self.stats = Stats()
        self.reporter = Reporter(self.stats, self.options.stats_every_s)
        self.store = Store(
            settings.database_url, settings.timezone, self.options.lock_timeout_s
        )
        self.writer = Writer(
            self.store, settings.mqtt_topic_prefix, self.options.max_backoff_s
        )
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._pending: list[Pending] = []
        self._in_flight: InFlight | None = None
        self._generation = 0
        self._backoff = 0.5
        self._next_connect_at = 0.0
        self._connack_deadline: float | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="appletrace-writer")
        self._client = self._make_client()

    def stop(self) -> None:
        """Ask the loop to flush, acknowledge, disconnect and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called."""
        return self._stop.is_set()

    def run(self) -> None:
        """Run until stopped: connect, receive, store, acknowledge."""
        try:
            while not self.stopping:
                if self._client.is_connected() or self._awaiting_connack():
                    self._step()
                elif time.monotonic() >= self._next_connect_at:
                    self._connect()
                else:
                    self._stop.wait(
                        min(POLL_S, self._next_connect_at - time.monotonic())
                    )
        finally:
            self._shutdown()

    def _awaiting_connack(self) -> bool:
        # Between CONNECT and CONNACK the client is not connected yet; trying
        # again then would take over our own session in a loop.
        deadline = self._connack_deadline
        return deadline is not None and time.monotonic() < deadline

    def _step(self) -> None:
        if self._full():
            rc = self._write_only()
        else:
            rc = self._client.loop(timeout=self._poll_timeout())

        if rc != mqtt.MQTT_ERR_SUCCESS:
            self._lost(rc)
            self._connack_deadline = None
            return

        self._collect()
        if self._in_flight is None and self._due():
            self._submit()

        self.reporter.maybe_log()

    def _full(self) -> bool:
        # A broker keeps to our Receive Maximum, so this holds only when it does
        # not: Mosquitto 2.0.11 sends a whole backlog queued while we were away
        # once the first PUBACK arrives. Not reading lets TCP push back instead,
        # and memory stays flat.
        limit = self.options.receive_maximum + self.options.batch_size
        return len(self._pending) >= limit

    def _write_only(self) -> mqtt.MQTTErrorCode:
        """Send acks and keepalives, and wait for the writer, without reading."""
        rc = self._client.loop_write()
        if rc == mqtt.MQTT_ERR_SUCCESS:
            rc = self._client.loop_misc()

        flight = self._in_flight
        if flight is not None:
            wait([flight.future], timeout=POLL_S)
        else:
            self._stop.wait(POLL_S)

        return rc

    def _poll_timeout(self) -> float:
        if self._in_flight is not None:
            return POLL_WRITING_S

        if not self._pending or not self.writer.ready():
            return POLL_S

        deadline = self._pending[0][4] + self.options.batch_wait_s
        return max(0.0, min(POLL_S, deadline - time.time()))

    def _due(self) -> bool:
        if not self._pending or not self.writer.ready():
            return False

        if len(self._pending) >= self.options.batch_size:
            return True

        return time.time() - self._pending[0][4] >= self.options.batch_wait_s

    # ------------------------------------------------------------ MQTT

    def _make_client(self) -> BufferedClient:
        if self.options.mqtt_version == 5:
            client = BufferedClient(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=self.options.client_id,
                protocol=mqtt.MQTTv5,
                manual_ack=True,
            )
        else:
            client = BufferedClient(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=self.options.client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )

        url = urlsplit(self.settings.mqtt_url)
        if url.username:
            client.username_pw_set(unquote(url.username), unquote(url.password or ""))

        if url.scheme == "mqtts":
            client.tls_set()

        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish_fast = self._on_publish
        client.pause_reading = self._full
        return client

    def _connect(self) -> None:
        url = urlsplit(self.settings.mqtt_url)
        port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.options.session_expiry_s
        properties.ReceiveMaximum = self.options.receive_maximum
        now = time.monotonic()
        self._next_connect_at = now + self._backoff * random.uniform(0.8, 1.2)
        self._backoff = min(self._backoff * 2, self.options.max_backoff_s)
        self._forget_pending()
        try:
            if self.options.mqtt_version == 5:
                self._client.connect(
                    url.hostname or "127.0.0.1",
                    port,
                    keepalive=self.options.keepalive_s,
                    clean_start=False,
                    properties=properties,
                )
            else:
                self._client.connect(
                    url.hostname or "127.0.0.1", port, self.options.keepalive_s
                )
        except OSError as error:
            log.warning(
                "cannot reach the broker at %s:%s: %s", url.hostname, port, error
            )
            return

        self._connack_deadline = now + CONNACK_TIMEOUT_S

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connack_deadline = None
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return

        self._backoff = 0.5
        self.stats.connects += 1
        log.info(
            "connected to %s as %s (session present: %s)",
            self.settings.mqtt_url.rsplit("@", 1)[-1],
            self.options.client_id,
            flags.session_present,
        )
        topic = topic_filter(self.settings.mqtt_topic_prefix, self.options.share)
        if self.options.mqtt_version == 5:
            client.subscribe(topic, options=SubscribeOptions(qos=1))
        else:
            client.subscribe(topic, qos=1)

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        failed = [r for r in reasons if r.is_failure]
        if failed:
            log.error("subscription refused: %s", failed[0])
            return

        log.info(
            "subscribed to %s",
            topic_filter(self.settings.mqtt_topic_prefix, self.options.share),
        )
        self.subscribed.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.subscribed.clear()
        log.info("disconnected from the broker: %s", reason)

    def _on_publish(self, mid: int, qos: int, topic: bytes, payload: bytes) -> None:
        pending = self._pending
        pending.append((mid, qos, topic, payload, time.time()))
        if len(pending) > self.stats.pending_peak:
            self.stats.pending_peak = len(pending)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        # Packets paho decoded itself (the first of each read, or unusual ones).
        topic = bytes(message._topic)
        self._on_publish(message.mid, message.qos, topic, message.payload)

    def _lost(self, rc: mqtt.MQTTErrorCode) -> None:
        # What was received but not committed comes again with the session.
        dropped = len(self._pending)
        self._forget_pending()
        log.warning(
            "lost the broker (%s); %d unacknowledged messages will be redelivered",
            mqtt.error_string(rc),
            dropped,
        )

    def _forget_pending(self) -> None:
        # Packet ids belong to one connection: nothing received on the old one
        # may be acked on the next.
        self._pending.clear()
        self._generation += 1

    # ------------------------------------------------------------ batches

    def _submit(self) -> None:
        count = min(len(self._pending), self.options.batch_size)
        messages = [
            (topic.decode("utf-8", "replace"), payload, received)
            for _, _, topic, payload, received in self._pending[:count]
        ]
        future = self._executor.submit(self.writer.write_messages, messages)
        self._in_flight = InFlight(future, count, self._generation, messages)

    def _collect(self) -> None:
        flight = self._in_flight
        if flight is None or not flight.future.done():
            return

        self._in_flight = None
        try:
            written = flight.future.result()
        except Exception:  # noqa: BLE001 - a bug must not stop the loop
            log.exception("writing a batch failed; it will be tried again")
            self.writer.failed_unexpectedly()
            written = None

        if written is None:
            self.stats.database_errors += 1
            return

        self.stats.count(flight.count, written)
        if flight.generation == self._generation:
            acked = self._pending[: flight.count]
            del self._pending[: flight.count]
            self._client.ack_many([mid for mid, qos, _, _, _ in acked if qos == 1])

        self.reporter.warn(written.refusals)

    # ------------------------------------------------------------ shutdown

    def _shutdown(self) -> None:
        self._finish_writes()
        if self._client.is_connected():
            deadline = time.monotonic() + 2.0
            while self._client.want_write() and time.monotonic() < deadline:
                self._client.loop(timeout=0.05)

            self._client.disconnect()
            while self._client.is_connected() and time.monotonic() < deadline:
                self._client.loop(timeout=0.05)

        self._executor.shutdown(wait=True)
        self.reporter.maybe_log(force=True)
        self.store.close()
        log.info("stopped")

    def _finish_writes(self) -> None:
        """Commit and ack what was received, while the broker is still there."""
        if self._in_flight is not None:
            self._in_flight.future.exception()
            self._collect()

        if self._pending and self._client.is_connected():
            self.writer.retry_now()
            while self._pending and self._in_flight is None:
                self._submit()
                assert self._in_flight is not None
                self._in_flight.future.exception()
                before = len(self._pending)
                self._collect()
                if len(self._pending) == before:
                    break
