"""The ingester's counters and its quiet logging: a summary line per period and
at most a few warnings for rejected messages."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from appletrace.sensors.store import Written

log = logging.getLogger(__name__)

WARNINGS_PER_PERIOD = 10


@dataclass
class Stats:
    """Counters since start; ``newest_us`` is the newest stored reading's time."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    database_errors: int = 0
    connects: int = 0
    newest_us: int | None = None
    pending_peak: int = 0

    def count(self, received: int, written: Written) -> None:
        """Add one committed batch."""
        self.received += received
        self.stored += written.stored
        self.duplicates += written.duplicates
        self.rejected += written.rejected
        self.batches += 1
        if written.newest_us is not None:
            self.newest_us = max(self.newest_us or 0, written.newest_us)


class Reporter:
    """Logs the counters every ``every_s`` seconds and rate-limits warnings."""

    def __init__(self, stats: Stats, every_s: float) -> None:
        self.stats = stats
        self.every_s = every_s
        self.warnings_left = WARNINGS_PER_PERIOD
        self.unlogged = 0
        self._next = time.monotonic() + every_s

    def warn(self, refusals: list[tuple[str, str]]) -> None:
        """A warning per rejected message, up to the period's allowance."""
        for topic, reason in refusals:
            if self.warnings_left > 0:
                self.warnings_left -= 1
                log.warning("rejected a message on %s: %s", topic, reason)
            else:
                self.unlogged += 1

    def maybe_log(self, force: bool = False) -> None:
        """The one-line summary, when the period is over (or if forced)."""
        now = time.monotonic()
        if now < self._next and not force:
            return

        stats = self.stats
        lag = "-"
        if stats.newest_us is not None:
            lag = f"{time.time() - stats.newest_us / 1_000_000:.0f}"

        log.info(
            "received %d, stored %d, duplicates %d, rejected %d (%d not logged), "
            "database errors %d, lag %s s",
            stats.received,
            stats.stored,
            stats.duplicates,
            stats.rejected,
            self.unlogged,
            stats.database_errors,
            lag,
        )
        self.warnings_left = WARNINGS_PER_PERIOD
        self.unlogged = 0
        self._next = now + self.every_s
