"""Writing batches through failures: retry what may pass later, refuse poison.

A database that refuses writes for a while (a lock held, a server restarting,
a full disk) makes ``write`` return None and sets a backoff; the ingester keeps
its messages unacknowledged and tries again. An error that would repeat for the
same data (an integrity or data error, PEP 249's names) is not retried forever:
the batch is written one message at a time and a message the database still
refuses is kept as a rejected message with the database's reason.

The writer also keeps the device cache: all registered devices, read again every
minute (so a deactivation takes effect) and at most once a second when a message
names a device the cache does not know (so a new device is picked up at once).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence

from appletrace.sensors.batch import Message, Prepared, prepare
from appletrace.sensors.store import Device, Store, Written

log = logging.getLogger(__name__)

PERMANENT = ("IntegrityError", "DataError")
DEVICE_REFRESH_S = 60.0
UNKNOWN_DEVICE_REFRESH_S = 1.0


def is_permanent(error: BaseException) -> bool:
    """True for errors the same data would raise again (PEP 249 class names)."""
    return any(kind.__name__ in PERMANENT for kind in type(error).__mro__)


class Writer:
    """A store with a retry schedule."""

    def __init__(self, store: Store, prefix: str, max_backoff_s: float = 30.0):
        self.store = store
        self.prefix = prefix
        self.max_backoff_s = max_backoff_s
        self.failures = 0
        self._retry_at = 0.0
        self._devices: dict[str, Device] = {}
        self._devices_at = -1e9

    def write_messages(self, messages: Sequence[Message]) -> Written | None:
        """Parse, store and commit a batch; None if it must be tried again."""
        if not self._refresh_devices(messages):
            return None

        prepared = prepare(messages, self._devices, self.prefix)
        return self.write(prepared, messages)

    def _refresh_devices(self, messages: Sequence[Message]) -> bool:
        now = time.monotonic()
        age = now - self._devices_at
        fresh = age < UNKNOWN_DEVICE_REFRESH_S or not self._unknown(messages)
        if age < DEVICE_REFRESH_S and fresh:
            return True

        devices = self.devices()
        if devices is None:
            return False

        self._devices, self._devices_at = devices, now
        return True

    def _unknown(self, messages: Sequence[Message]) -> bool:
        for topic, _, _ in messages:
            parts = topic.split("/", 2)
            if len(parts) > 1 and parts[1] not in self._devices:
                return True

        return False

    def ready(self) -> bool:
        """False while waiting out a backoff after a failure."""
        return time.monotonic() >= self._retry_at

    def retry_now(self) -> None:
        """Drop the current backoff (at shutdown: one last try)."""
        self._retry_at = 0.0

    def devices(self) -> dict[str, Device] | None:
        """Registered devices, or None if the database cannot be read now."""
        try:
            devices = self.store.devices()
        except Exception as error:  # noqa: BLE001 - any database failure waits
            self._failed(error)
            return None

        return devices

    def write(self, prepared: Prepared, messages: Sequence[Message]) -> Written | None:
        """Commit a prepared batch, or None if it must be tried again later."""
        try:
            written = self.store.write(prepared.rows, prepared.refusals)
        except Exception as error:  # noqa: BLE001 - sorted below, never raised
            if not is_permanent(error):
                self._failed(error)
                return None

            log.error(
                "the database refused a batch (%s); writing it message by message",
                _short(error),
            )
            return self._write_singly(messages)

        self._succeeded()
        return written

    def _write_singly(self, messages: Sequence[Message]) -> Written | None:
        devices = self.devices()
        if devices is None:
            return None

        parts: list[Written] = []
        for message in messages:
            written = self._write_one(message, devices)
            if written is None:
                return None

            parts.append(written)

        self._succeeded()
        return combine(parts)

    def _write_one(
        self, message: Message, devices: dict[str, Device]
    ) -> Written | None:
        single = prepare([message], devices, self.prefix)
        try:
            return self.store.write(single.rows, single.refusals)
        except Exception as error:  # noqa: BLE001
            if not is_permanent(error):
                self._failed(error)
                return None

            topic, payload, received_s = message
            reason = f"the database refused it: {_short(error)}"
            received_us = math.floor(received_s * 1_000_000)
            try:
                return self.store.write([], [(topic, payload, reason, received_us)])
            except Exception as again:  # noqa: BLE001
                self._failed(again)
                return None

    def failed_unexpectedly(self) -> None:
        """Back off after an error that is not the database's (already logged)."""
        self._failed(RuntimeError("unexpected error while writing"))

    def _failed(self, error: BaseException) -> None:
        self.failures += 1
        delay = min(self.max_backoff_s, 0.25 * 2 ** min(self.failures, 10))
        delay *= random.uniform(0.8, 1.2)
        self._retry_at = time.monotonic() + delay
        self.store.close()
        log.warning(
            "database write failed (%s: %s); messages stay unacknowledged, "
            "retrying in %.1f s%s",
            type(error).__name__,
            _short(error),
            delay,
            _hint(error),
        )

    def _succeeded(self) -> None:
        if self.failures:
            log.info("database writes resumed after %d failures", self.failures)

        self.failures = 0
        self._retry_at = 0.0


def combine(parts: Sequence[Written]) -> Written:
    """One result for several committed writes."""
    newest = [p.newest_us for p in parts if p.newest_us is not None]
    return Written(
        sum(p.stored for p in parts),
        sum(p.duplicates for p in parts),
        sum(p.rejected for p in parts),
        max(newest) if newest else None,
        [refusal for p in parts for refusal in p.refusals],
    )


def _hint(error: BaseException) -> str:
    text = str(error)
    if "no such table" in text or "does not exist" in text:
        return "; is the database created? run 'appletrace db upgrade'"

    return ""


def _short(error: BaseException) -> str:
    """The first line of an error, cut to 200 characters: never a payload dump."""
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
