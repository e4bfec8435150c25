"""Publishing sensor messages at QoS 1 without losing any: for the simulator,
the tests and the benchmark.

Every publish is checked, and at most ``backlog`` messages wait for the broker's
PUBACK at a time: paho would otherwise queue without bound, and a full queue
or a lost link must be an error, not silent loss.
"""

from __future__ import annotations

import collections
import logging
import time
from types import TracebackType
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """The broker did not take a message."""


class Publisher:
    """A connected MQTT 5 client publishing at QoS 1 with a bounded backlog."""

    def __init__(
        self,
        mqtt_url: str,
        client_id: str = "",
        backlog: int = 1000,
        timeout_s: float = 30.0,
        protocol: int = mqtt.MQTTv5,
    ) -> None:
        self.backlog = backlog
        self.timeout_s = timeout_s
        self.published = 0
        self._waiting: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTProtocolVersion(protocol),
        )
        self._client.max_inflight_messages_set(backlog)
        url = urlsplit(mqtt_url)
        if url.username:
            self._client.username_pw_set(
                unquote(url.username), unquote(url.password or "")
            )

        if url.scheme == "mqtts":
            self._client.tls_set()

        port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        self._client.connect(url.hostname or "127.0.0.1", port)
        self._client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1; raise PublishError if the broker does not take it."""
        while len(self._waiting) >= self.backlog:
            self._settle(self._waiting.popleft())

        info = self._client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise PublishError(
                f"publish to {topic} failed: {mqtt.error_string(info.rc)}"
            )

        self._waiting.append(info)

    def _settle(self, info: mqtt.MQTTMessageInfo) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not info.is_published():
            if time.monotonic() > deadline:
                raise PublishError(
                    f"the broker did not acknowledge message {info.mid} in "
                    f"{self.timeout_s:g} s"
                )

            info.wait_for_publish(timeout=0.5)

        self.published += 1

    def flush(self) -> None:
        """Wait until the broker has acknowledged everything published."""
        while self._waiting:
            self._settle(self._waiting.popleft())

    def close(self) -> None:
        """Flush, then disconnect."""
        try:
            self.flush()
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
