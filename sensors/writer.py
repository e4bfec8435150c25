"""Writing batches through failures: retry what may pass later, refuse poison.

A database that refuses writes for a while (a lock held, a server restarting,
a full disk) makes ``write`` return None and sets a backoff; the ingester keeps
its messages unacknowledged and tries again. An error that would repeat for the
same data (an integrity or data error, PEP 249's names) is not retried forever:
the batch is written one message at a time and a message the database still
refuses is kept as a rejected message with the database's reason.
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

        totals = [0, 0, 0]
        newest: int | None = None
        for message in messages:
            written = self._write_one(message, devices)
            if written is None:
                return None

            totals = [
                totals[0] + written.stored,
                totals[1] + written.duplicates,
                totals[2] + written.rejected,
            ]
            if written.newest_us is not None:
                newest = max(newest or 0, written.newest_us)

        self._succeeded()
        return Written(totals[0], totals[1], totals[2], newest)

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

    def _failed(self, error: BaseException) -> None:
        self.failures += 1
        delay = min(self.max_backoff_s, 0.25 * 2 ** min(self.failures, 10))
        delay *= random.uniform(0.8, 1.2)
        self._retry_at = time.monotonic() + delay
        self.store.close()
        log.warning(
            "database write failed (%s: %s); messages stay unacknowledged, "
            "retrying in %.1f s",
            type(error).__name__,
            _short(error),
            delay,
        )

    def _succeeded(self) -> None:
        if self.failures:
            log.info("database writes resumed after %d failures", self.failures)

        self.failures = 0
        self._retry_at = 0.0


def _short(error: BaseException) -> str:
    """The first line of an error, cut to 200 characters: never a payload dump."""
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
