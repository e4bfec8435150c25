"""The simulator's season is plausible for Zhaotong and reproducible."""

from __future__ import annotations

import statistics
import time
from datetime import datetime

from appletrace.sensors.payload import parse
from appletrace.sensors.simulate import LOCAL, generate
from appletrace.trace.provenance import DaySummary, summarize
from appletrace.trace.summaries import DELTA_COLUMNS, LocalClock, fold

START = datetime(2026, 6, 1, tzinfo=LOCAL)


def test_a_simulated_month_looks_like_a_zhaotong_summer() -> None:
    messages = list(generate(["sim-01", "sim-02"], START, 30, 600, 0.02, seed=4))
    now = time.time()
    readings = [
        (1, quantity, taken, value)
        for m in messages
        for quantity, taken, value in parse(m.payload, now).readings
    ]
    deltas = fold(readings, LocalClock("Asia/Shanghai"))
    days = [
        DaySummary(day, **{c: getattr(d, c) for c in DELTA_COLUMNS})
        for (_, day), d in deltas.items()
    ]

    found = summarize(START.date(), datetime(2026, 6, 30).date(), days, 1950.0)

    ranges = [d.diurnal_range_c for d in found.days if d.diurnal_range_c]
    assert found.diurnal_range_days == 30
    assert min(ranges) >= 10.0 and max(ranges) <= 16.5
    assert 12.0 <= statistics.fmean(ranges) <= 14.5
    assert 15.0 <= (found.temperature_mean_c or 0) <= 22.0
    assert 3.0 <= (found.sunshine_hours_per_day or 0) <= 10.0
    sunny = [d.sunshine_hours or 0 for d in found.days]
    assert max(sunny) - min(sunny) > 4.0
    assert 8.0 <= (found.pm25_mean_ugm3 or 0) <= 30.0
    assert found.aqi_category_zh in ("优", "良")
    assert abs((found.altitude_m or 0) - 1950.0) < 5.0
    faulty = sum(1 for m in messages if m.fault)
    assert 0.01 < faulty / len(messages) < 0.03
    assert all(parse(m.payload, now).problems for m in messages if m.fault)


def test_the_same_seed_gives_the_same_messages() -> None:
    first = list(generate(["a"], START, 1, 3600, 0.1, seed=7))
    again = list(generate(["a"], START, 1, 3600, 0.1, seed=7))
    other = list(generate(["a"], START, 1, 3600, 0.1, seed=8))

    assert first == again
    assert first != other
    assert len(first) == 24
