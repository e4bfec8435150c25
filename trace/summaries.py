"""Daily summaries: per orchard and local day, running aggregates of readings.

The ingester folds the readings a batch actually inserted into per-day deltas
(``fold``) and adds them to ``daily_summary`` in the same transaction
(``apply``). Sums, counts, extremes, hour masks and the count of sunny readings
all add up exactly, in any order, so a late reading lands in its day and a
duplicate (never inserted) changes nothing.

This module talks to the database through a DB-API cursor, not SQLAlchemy: the
ingester's process stays small (SQLAlchemy alone adds about 26 MB of memory) and
spends its time on readings.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

# WMO (CIMO Guide, Part I, ch. 8): sunshine is direct irradiance above 120 W/m².
# With a pyranometer's global irradiance, the time above the same threshold is
# the usual proxy.
SUNSHINE_THRESHOLD_WM2 = 120.0
SUNSHINE_PROXY = (
    "WMO 120 W/m² threshold applied to global irradiance: a day's sunshine is "
    "the share of its irradiance readings above 120 W/m², times 24 h"
)

# A day's temperature max and min are known only when its readings reach into
# at least MIN_HOURS of its 24 local hours, including the hours around dawn (when
# the minimum falls) and the afternoon (when the maximum falls).
MIN_HOURS = 18
DAWN_HOURS = range(3, 9)
AFTERNOON_HOURS = range(12, 18)
DAWN_MASK = sum(1 << h for h in DAWN_HOURS)
AFTERNOON_MASK = sum(1 << h for h in AFTERNOON_HOURS)

SUMMARIZED = ("temperature", "humidity", "pm25", "irradiance", "altitude")


@dataclass(slots=True)
class DayDelta:
    """Aggregates of one orchard's readings on one local day.

    ``*_hours`` are bit masks of the local hours (bit h = hour h) that have a
    reading; ``sunshine_count`` counts irradiance readings above the threshold.
    """

    temperature_min: float | None = None
    temperature_max: float | None = None
    temperature_sum: float = 0.0
    temperature_count: int = 0
    temperature_hours: int = 0
    humidity_sum: float = 0.0
    humidity_count: int = 0
    pm25_sum: float = 0.0
    pm25_count: int = 0
    irradiance_sum: float = 0.0
    irradiance_count: int = 0
    irradiance_hours: int = 0
    sunshine_count: int = 0
    altitude_sum: float = 0.0
    altitude_count: int = 0

    def add(self, quantity: str, value: float, hour: int) -> None:
        """Count one reading of a quantity taken in local hour ``hour``."""
        if quantity == "temperature":
            self._add_temperature(value, hour)
        elif quantity == "humidity":
            self.humidity_sum += value
            self.humidity_count += 1
        elif quantity == "pm25":
            self.pm25_sum += value
            self.pm25_count += 1
        elif quantity == "irradiance":
            self._add_irradiance(value, hour)
        elif quantity == "altitude":
            self.altitude_sum += value
            self.altitude_count += 1

    def _add_temperature(self, value: float, hour: int) -> None:
        if self.temperature_min is None or value < self.temperature_min:
            self.temperature_min = value

        if self.temperature_max is None or value > self.temperature_max:
            self.temperature_max = value

        self.temperature_sum += value
        self.temperature_count += 1
        self.temperature_hours |= 1 << hour

    def _add_irradiance(self, value: float, hour: int) -> None:
        self.irradiance_sum += value
        self.irradiance_count += 1
        self.irradiance_hours |= 1 << hour
        if value > SUNSHINE_THRESHOLD_WM2:
            self.sunshine_count += 1


DELTA_COLUMNS = tuple(f.name for f in fields(DayDelta))


class LocalClock:
    """Local day and hour of UTC instants in one time zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._cache: dict[int, tuple[date, int]] = {}

    def day_hour(self, epoch_s: float) -> tuple[date, int]:
        """The local date and hour (0-23) of a Unix time in seconds."""
        # Every zone's offset, and every offset change, falls on a quarter hour.
        key = int(epoch_s // 900)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 4096:
                self._cache.clear()

            local = datetime.fromtimestamp(key * 900, self.zone)
            found = self._cache[key] = (local.date(), local.hour)

        return found


def fold(
    readings: Iterable[tuple[int, str, int, float]], clock: LocalClock
) -> dict[tuple[int, date], DayDelta]:
    """Per (orchard id, local day): the deltas of (orchard, quantity, µs, value)."""
    deltas: dict[tuple[int, date], DayDelta] = {}
    for orchard_id, quantity, epoch_us, value in readings:
        if quantity not in SUMMARIZED:
            continue

        day, hour = clock.day_hour(epoch_us / 1_000_000)
        delta = deltas.get((orchard_id, day))
        if delta is None:
            delta = deltas[(orchard_id, day)] = DayDelta()

        delta.add(quantity, value, hour)

    return deltas


def _smaller(column: str) -> str:
    return (
        f"CASE WHEN daily_summary.{column} IS NULL "
        f"OR excluded.{column} < daily_summary.{column} "
        f"THEN excluded.{column} ELSE daily_summary.{column} END"
    )


def _larger(column: str) -> str:
    return (
        f"CASE WHEN daily_summary.{column} IS NULL "
        f"OR excluded.{column} > daily_summary.{column} "
        f"THEN excluded.{column} ELSE daily_summary.{column} END"
    )


def _merge(column: str) -> str:
    if column == "temperature_min":
        return _smaller(column)

    if column == "temperature_max":
        return _larger(column)

    if column.endswith("_hours"):
        return f"daily_summary.{column} | excluded.{column}"

    return f"daily_summary.{column} + excluded.{column}"


def upsert_sql(placeholder: str) -> str:
    """The statement adding one day's delta, for a driver's placeholder style."""
    columns = ("orchard_id", "day", *DELTA_COLUMNS, "updated_at")
    updates = [f"{c} = {_merge(c)}" for c in DELTA_COLUMNS]
    updates.append("updated_at = excluded.updated_at")

    return (
        f"INSERT INTO daily_summary ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))}) "
        f"ON CONFLICT (orchard_id, day) DO UPDATE SET {', '.join(updates)}"
    )


SQL_BY_PLACEHOLDER = {p: upsert_sql(p) for p in ("?", "%s")}


def sqlite_timestamp(epoch_us: int) -> str:
    """A UTC instant as the text UTCDateTime keeps in SQLite (with microseconds)."""
    seconds, micros = divmod(epoch_us, 1_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}"


def apply(
    cursor: Any,
    deltas: dict[tuple[int, date], DayDelta],
    dialect: str,
    now_us: int,
) -> None:
    """Add the deltas to daily_summary through a DB-API cursor, in key order.

    Key order keeps two ingesters that touch the same days from deadlocking.
    """
    if not deltas:
        return

    rows = [_params(key, deltas[key], dialect, now_us) for key in sorted(deltas)]
    placeholder = "?" if dialect == "sqlite" else "%s"
    cursor.executemany(SQL_BY_PLACEHOLDER[placeholder], rows)


def _params(
    key: tuple[int, date], delta: DayDelta, dialect: str, now_us: int
) -> Sequence[Any]:
    orchard_id, day = key
    values = [getattr(delta, c) for c in DELTA_COLUMNS]
    if dialect == "sqlite":
        return (orchard_id, day.isoformat(), *values, sqlite_timestamp(now_us))

    now = datetime.fromtimestamp(now_us / 1_000_000, UTC)
    return (orchard_id, day, *values, now)
