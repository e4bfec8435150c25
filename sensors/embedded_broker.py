"""An MQTT broker inside this process, for the demo: amqtt on its own event loop.

amqtt 0.12 speaks MQTT 3.1.1 only (checked: it refuses an MQTT 5 CONNECT), so
clients of this broker connect with protocol version 4.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)

MQTT_VERSION = 4


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class EmbeddedBroker:
    """amqtt listening on loopback in a daemon thread; ``url`` is its address."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._broker: Any = None
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="appletrace-broker", daemon=True
        )

    def start(self, timeout_s: float = 10.0) -> str:
        """Start listening and return the broker's URL."""
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._broker is None:
            raise RuntimeError(f"the embedded broker did not start on {self.url}")

        log.info("embedded broker listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        """Shut the broker down and end its thread."""
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(
                self._broker.shutdown(), self._loop
            )
            future.result(timeout=10)

        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        from amqtt.broker import Broker

        asyncio.set_event_loop(self._loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {
                    "allow_anonymous": True
                }
            },
        }
        try:
            broker = Broker(config, loop=self._loop)
            self._loop.run_until_complete(broker.start())
            self._broker = broker
        finally:
            self._ready.set()

        self._loop.run_forever()
