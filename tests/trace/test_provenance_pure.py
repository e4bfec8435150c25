"""The pure parts of summaries and provenance, without a database."""

from datetime import UTC, date, datetime

from appletrace.trace.provenance import DaySummary, range_known, summarize
from appletrace.trace.summaries import (
    DayDelta,
    LocalClock,
    fold,
    sqlite_timestamp,
)


def test_local_days_follow_asia_shanghai() -> None:
    clock = LocalClock("Asia/Shanghai")
    just_before = datetime(2026, 8, 31, 15, 59, 59, tzinfo=UTC).timestamp()
    midnight = datetime(2026, 8, 31, 16, 0, tzinfo=UTC).timestamp()

    assert clock.day_hour(just_before) == (date(2026, 8, 31), 23)
    assert clock.day_hour(midnight) == (date(2026, 9, 1), 0)


def test_fold_counts_each_reading_in_its_day_and_hour() -> None:
    base = int(datetime(2026, 8, 31, 22, tzinfo=UTC).timestamp()) * 1_000_000
    readings = [
        (1, "temperature", base, 9.0),
        (1, "temperature", base + 3_600_000_000, 7.5),
        (1, "irradiance", base, 121.0),
        (1, "irradiance", base, 120.0),
        (1, "illuminance", base, 5000.0),
        (2, "pm25", base, 12.0),
    ]

    deltas = fold(readings, LocalClock("Asia/Shanghai"))

    one = deltas[(1, date(2026, 9, 1))]
    assert (one.temperature_min, one.temperature_max, one.temperature_count) == (
        7.5,
        9.0,
        2,
    )
    assert one.temperature_hours == (1 << 6) | (1 << 7)
    assert (one.irradiance_count, one.sunshine_count) == (2, 1)
    assert deltas[(2, date(2026, 9, 1))].pm25_count == 1
    assert set(deltas) == {(1, date(2026, 9, 1)), (2, date(2026, 9, 1))}


def test_sqlite_text_matches_the_model_column_format() -> None:
    moment = datetime(2026, 9, 1, 6, 0, 0, 5, tzinfo=UTC)
    micros = int(moment.timestamp()) * 1_000_000 + 5

    assert sqlite_timestamp(micros) == "2026-09-01 06:00:00.000005"


def _day(hours: range) -> DaySummary:
    mask = sum(1 << h for h in hours)
    return DaySummary(
        day=date(2026, 9, 1),
        temperature_min=5.0,
        temperature_max=17.0,
        temperature_sum=11.0 * len(hours),
        temperature_count=len(hours),
        temperature_hours=mask,
    )


def test_a_day_needs_18_hours_with_dawn_and_afternoon_to_know_its_range() -> None:
    assert range_known(_day(range(24)))
    assert range_known(_day(range(2, 20)))
    assert not range_known(_day(range(6, 23)))
    assert not range_known(_day(range(9, 24)))
    assert not range_known(_day(range(0, 12)))


def test_the_last_30_days_are_those_before_and_on_the_harvest() -> None:
    days = [
        DaySummary(
            day=date(2026, 8, d) if d <= 31 else date(2026, 9, d - 31),
            temperature_min=10.0,
            temperature_max=10.0 + (15.0 if d > 30 else 10.0),
            temperature_sum=15.0,
            temperature_count=1,
            temperature_hours=(1 << 24) - 1,
        )
        for d in range(1, 61)
    ]

    found = summarize(date(2026, 8, 1), date(2026, 9, 29), days, 1935.0)

    assert found.diurnal_range_days == 60
    assert found.diurnal_range_mean_c == 12.5
    assert found.diurnal_range_last30_days == 30
    assert found.diurnal_range_last30_c == 15.0
    assert found.altitude_source == "orchard"


def test_an_empty_delta_adds_nothing() -> None:
    assert DayDelta().temperature_min is None
