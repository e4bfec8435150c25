"""A lot's provenance: the numbers it shows, from its growing window's days.

Everything here is derived from daily summaries (``trace/summaries.py``), never
from raw readings, so reading a lot costs the same however many readings lie
behind it. The arithmetic is pure (``summarize``); ``lot_provenance`` only reads
the window's summary rows.

Definitions (docs/mqtt.md, "Provenance"):

- a day is *covered* when it has at least one reading of any summarized quantity;
- a day's *diurnal range* is Tmax - Tmin, known only when its temperature
  readings fall in at least 18 of its 24 local hours, including one of 03-08 h
  and one of 12-17 h; other days are left out, not guessed;
- a day's *sunshine* is the share of its irradiance readings above 120 W/m²
  times 24 h, known under the same 18-hour rule;
- season means (temperature, humidity, PM2.5) are means of daily means: each
  covered day counts once however many readings it has;
- *altitude* is the median of the daily mean GPS altitudes, else the orchard's;
- *growing degree days* add max(0, (Tmax + Tmin) / 2 - base) over the days whose
  range is known.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from appletrace.trace import aqi
from appletrace.trace.models import DailySummary, Lot, Orchard
from appletrace.trace.summaries import (
    AFTERNOON_MASK,
    DAWN_MASK,
    DELTA_COLUMNS,
    MIN_HOURS,
    SUNSHINE_PROXY,
)

GDD_BASE_C = 10.0
LAST_DAYS = 30


@dataclass(frozen=True)
class DaySummary:
    """The stored aggregates of one orchard on one local day."""

    day: date
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


@dataclass(frozen=True)
class DayRecord:
    """One day of the season chart and the EPCIS export; None where no data."""

    day: date
    temperature_min_c: float | None
    temperature_max_c: float | None
    temperature_mean_c: float | None
    diurnal_range_c: float | None
    sunshine_hours: float | None
    pm25_mean_ugm3: float | None
    irradiance_mean_wm2: float | None
    humidity_mean_pct: float | None


@dataclass(frozen=True)
class LotProvenance:
    """What a lot shows about where and how it grew; None where there is no data."""

    window_start: date
    window_end: date
    days_in_window: int
    days_covered: int
    days_missing: int
    altitude_m: float | None
    altitude_source: str
    diurnal_range_mean_c: float | None
    diurnal_range_days: int
    diurnal_range_last30_c: float | None
    diurnal_range_last30_days: int
    sunshine_hours: float | None
    sunshine_hours_per_day: float | None
    sunshine_days: int
    sunshine_proxy: str
    pm25_mean_ugm3: float | None
    pm25_days: int
    aqi: int | None
    aqi_category_zh: str | None
    aqi_category_en: str | None
    aqi_standard: str
    humidity_mean_pct: float | None
    temperature_mean_c: float | None
    gdd: float | None
    gdd_base_c: float
    gdd_days: int
    days: tuple[DayRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values: ISO dates, floats rounded to 2 decimals."""
        return {
            f.name: _json_value(getattr(self, f.name))
            for f in fields(self)
            if f.name != "days"
        } | {"days": [_json_value(asdict(day)) for day in self.days]}


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}

    if isinstance(value, date):
        return value.isoformat()

    if isinstance(value, float):
        return round(value, 2)

    return value


def range_known(summary: DaySummary) -> bool:
    """True when the day's readings are enough to know its max and min."""
    hours = summary.temperature_hours
    return (
        summary.temperature_min is not None
        and hours.bit_count() >= MIN_HOURS
        and bool(hours & DAWN_MASK)
        and bool(hours & AFTERNOON_MASK)
    )


def sunshine_hours(summary: DaySummary) -> float | None:
    """The day's sunshine estimate in hours, or None with too few readings."""
    if summary.irradiance_hours.bit_count() < MIN_HOURS:
        return None

    return summary.sunshine_count / summary.irradiance_count * 24.0


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def day_record(summary: DaySummary) -> DayRecord:
    """A day's chart values from its stored aggregates."""
    known = range_known(summary)
    low = summary.temperature_min if known else None
    high = summary.temperature_max if known else None
    return DayRecord(
        day=summary.day,
        temperature_min_c=low,
        temperature_max_c=high,
        temperature_mean_c=_mean(summary.temperature_sum, summary.temperature_count),
        diurnal_range_c=high - low if high is not None and low is not None else None,
        sunshine_hours=sunshine_hours(summary),
        pm25_mean_ugm3=_mean(summary.pm25_sum, summary.pm25_count),
        irradiance_mean_wm2=_mean(summary.irradiance_sum, summary.irradiance_count),
        humidity_mean_pct=_mean(summary.humidity_sum, summary.humidity_count),
    )


def covered(summary: DaySummary) -> bool:
    """True when the day has any reading of a summarized quantity."""
    return (
        summary.temperature_count
        + summary.humidity_count
        + summary.pm25_count
        + summary.irradiance_count
        + summary.altitude_count
    ) > 0


def _average(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (statistics.fmean(present) if present else None), len(present)


def summarize(
    window_start: date,
    window_end: date,
    summaries: Sequence[DaySummary],
    orchard_altitude_m: float | None,
    gdd_base_c: float = GDD_BASE_C,
    standard: str = aqi.DEFAULT_STANDARD,
) -> LotProvenance:
    """A lot's provenance from the summaries of its window's days."""
    days = sorted(
        (s for s in summaries if window_start <= s.day <= window_end and covered(s)),
        key=lambda s: s.day,
    )
    records = [day_record(s) for s in days]
    in_window = (window_end - window_start).days + 1
    last_from = window_end - timedelta(days=LAST_DAYS - 1)

    ranges = [r.diurnal_range_c for r in records]
    last = [r.diurnal_range_c for r in records if r.day >= last_from]
    range_mean, range_days = _average(ranges)
    last_mean, last_days = _average(last)
    sunshine = [r.sunshine_hours for r in records if r.sunshine_hours is not None]
    pm25, pm25_days = _average([r.pm25_mean_ugm3 for r in records])
    altitude, source = _altitude(days, orchard_altitude_m)
    gdd, gdd_days = _gdd(records, gdd_base_c)
    index = aqi.pm25_iaqi(pm25, standard) if pm25 is not None else None
    category = aqi.category(index, standard) if index is not None else None

    return LotProvenance(
        window_start=window_start,
        window_end=window_end,
        days_in_window=in_window,
        days_covered=len(records),
        days_missing=in_window - len(records),
        altitude_m=altitude,
        altitude_source=source,
        diurnal_range_mean_c=range_mean,
        diurnal_range_days=range_days,
        diurnal_range_last30_c=last_mean,
        diurnal_range_last30_days=last_days,
        sunshine_hours=sum(sunshine) if sunshine else None,
        sunshine_hours_per_day=statistics.fmean(sunshine) if sunshine else None,
        sunshine_days=len(sunshine),
        sunshine_proxy=SUNSHINE_PROXY,
        pm25_mean_ugm3=pm25,
        pm25_days=pm25_days,
        aqi=index,
        aqi_category_zh=category.zh if category else None,
        aqi_category_en=category.en if category else None,
        aqi_standard=standard,
        humidity_mean_pct=_average([r.humidity_mean_pct for r in records])[0],
        temperature_mean_c=_average([r.temperature_mean_c for r in records])[0],
        gdd=gdd,
        gdd_base_c=gdd_base_c,
        gdd_days=gdd_days,
        days=tuple(records),
    )


def _altitude(
    days: Sequence[DaySummary], orchard_altitude_m: float | None
) -> tuple[float | None, str]:
    daily = [d.altitude_sum / d.altitude_count for d in days if d.altitude_count]
    if daily:
        return statistics.median(daily), "gps"

    return orchard_altitude_m, "orchard"


def _gdd(records: Sequence[DayRecord], base_c: float) -> tuple[float | None, int]:
    known = [
        max(0.0, (r.temperature_max_c + r.temperature_min_c) / 2 - base_c)
        for r in records
        if r.temperature_max_c is not None and r.temperature_min_c is not None
    ]
    return (sum(known) if known else None), len(known)


_COLUMNS = [DailySummary.__table__.c[name] for name in ("day", *DELTA_COLUMNS)]  # type: ignore[attr-defined]


def read_summaries(
    session: Session, orchard_id: int, first: date, last: date
) -> list[DaySummary]:
    """The stored summaries of one orchard from ``first`` to ``last``, by day."""
    table = DailySummary.__table__  # type: ignore[attr-defined]
    query = (
        select(*_COLUMNS)
        .where(table.c.orchard_id == orchard_id)
        .where(table.c.day.between(first, last))
        .order_by(table.c.day)
    )
    return [DaySummary(**row._mapping) for row in session.execute(query)]


def lot_provenance(session: Session, lot: Lot) -> LotProvenance:
    """A lot's provenance, read from its orchard's daily summaries only."""
    orchard = session.get(Orchard, lot.orchard_id)
    summaries = read_summaries(
        session, lot.orchard_id, lot.window_start, lot.harvested_on
    )
    return summarize(
        lot.window_start,
        lot.harvested_on,
        summaries,
        orchard.altitude_m if orchard is not None else None,
    )
