"""Daily summaries and a lot's provenance against values computed by hand.

A synthetic four-day window, written through the ingester's store on SQLite and
PostgreSQL, with a late reading that changes a day's minimum, a duplicate that
must change nothing, a day too thin to know its range, a missing day, and a
reading just past the window in local time.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from factories import make_coop, make_lot, make_orchard
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.sensors.store import Store
from appletrace.trace.devices import add_device
from appletrace.trace.models import DailySummary, Orchard, Organization
from appletrace.trace.provenance import lot_provenance
from appletrace.trace.quantities import QUANTITIES
from appletrace.trace.summaries import SUNSHINE_PROXY

LOCAL = datetime.fromisoformat("2026-08-01T00:00:00+08:00").tzinfo


def at(day: int, hour: float) -> int:
    """µs since 1970 of local (UTC+8) 2026-08-{day} at ``hour``."""
    moment = datetime(2026, 8, day, tzinfo=LOCAL) + timedelta(hours=hour)
    return int(moment.timestamp()) * 1_000_000


def season() -> list[tuple[str, int, float]]:
    """(quantity, µs, value) of the window 2026-08-01 to 2026-08-04."""
    readings: list[tuple[str, int, float]] = []
    add = readings.append
    for h in range(24):
        add(("temperature", at(1, h), 20.0 if 12 <= h <= 17 else 8.0))
        add(("irradiance", at(1, h), 600.0 if 8 <= h <= 17 else 0.0))
        add(("temperature", at(4, h), 5.0 + 0.5 * h))
        add(("irradiance", at(4, h), 121.0 if 10 <= h <= 15 else 0.0))

    readings += [
        ("temperature", at(1, 5.5), 6.0),
        ("temperature", at(1, 14.5), 22.0),
        ("humidity", at(1, 6), 60.0),
        ("humidity", at(1, 15), 80.0),
        ("pm25", at(1, 3), 10.0),
        ("pm25", at(1, 15), 20.0),
        ("altitude", at(1, 0), 1940.0),
        ("altitude", at(1, 12), 1942.0),
        ("irradiance", at(4, 9.5), 120.0),  # at the threshold: not sunshine
        ("pm25", at(4, 12), 40.0),
        ("altitude", at(4, 12), 1950.0),
        ("pm25", at(2, 12), 30.0),
        ("humidity", at(2, 12), 90.0),
        ("temperature", at(5, 0), 50.0),  # 08-04 16:00 UTC: local 08-05
    ]
    for h in range(12):
        add(("temperature", at(2, h), 10.0))
        add(("irradiance", at(2, h), 300.0 if 9 <= h <= 11 else 0.0))

    return readings


LATE = ("temperature", at(1, 3.25), 4.0)
DUPLICATE = ("temperature", at(4, 0), 99.0)


def rows(readings: list[tuple[str, int, float]], orchard_id: int) -> list[Any]:
    """Store rows of device dev-01."""
    return [
        ("dev-01", q, t, v, QUANTITIES[q].unit, t + 60_000_000, orchard_id)
        for q, t, v in readings
    ]


@pytest.fixture
def orchard_id(engine: Engine) -> int:
    """An orchard at 1,935 m with device dev-01."""
    with Session(engine) as session:
        orchard = make_orchard(session, make_coop(session))
        add_device(session, "dev-01", orchard)
        session.commit()
        assert orchard.id is not None
        return orchard.id


@pytest.fixture
def stored(db_url: str, orchard_id: int) -> int:
    """The season written as three batches: the season, a late one, a duplicate."""
    store = Store(db_url, "Asia/Shanghai")
    first = store.write(rows(season(), orchard_id), [])
    late = store.write(rows([LATE], orchard_id), [])
    again = store.write(rows([DUPLICATE, *season()[:5]], orchard_id), [])
    store.close()

    assert (first.stored, late.stored, again.stored) == (len(season()), 1, 0)
    assert again.duplicates == 6
    return orchard_id


def test_daily_summaries_match_hand_computed_values(engine: Engine, stored: int):
    with Session(engine) as session:
        found = {s.day: s for s in session.exec(select(DailySummary))}

    first, second, fourth = (found[date(2026, 8, d)] for d in (1, 2, 4))
    assert sorted(found) == [date(2026, 8, d) for d in (1, 2, 4, 5)]
    assert (first.temperature_min, first.temperature_max) == (4.0, 22.0)
    assert first.temperature_count == 27
    assert first.temperature_sum == pytest.approx(296.0)
    assert first.temperature_hours == (1 << 24) - 1
    assert (first.irradiance_count, first.sunshine_count) == (24, 10)
    assert (first.pm25_sum, first.pm25_count) == (30.0, 2)
    assert (first.altitude_sum, first.altitude_count) == (3882.0, 2)
    assert second.temperature_hours == (1 << 12) - 1
    assert (fourth.temperature_min, fourth.temperature_max) == (5.0, 16.5)
    assert (fourth.irradiance_count, fourth.sunshine_count) == (25, 6)
    assert found[date(2026, 8, 5)].temperature_max == 50.0


def test_lot_provenance_matches_hand_computed_values(engine: Engine, stored: int):
    with Session(engine) as session:
        orchard = session.get(Orchard, stored)
        assert orchard is not None
        coop = session.get(Organization, orchard.organization_id)
        assert coop is not None
        window = {"window_start": date(2026, 8, 1), "harvested_on": date(2026, 8, 4)}
        lot = make_lot(session, coop, orchard, **window)
        found = lot_provenance(session, lot).as_dict()

    days = found.pop("days")
    assert found == {
        "window_start": "2026-08-01",
        "window_end": "2026-08-04",
        "days_in_window": 4,
        "days_covered": 3,
        "days_missing": 1,
        "altitude_m": 1945.5,
        "altitude_source": "gps",
        "diurnal_range_mean_c": 14.75,
        "diurnal_range_days": 2,
        "diurnal_range_last30_c": 14.75,
        "diurnal_range_last30_days": 2,
        "sunshine_hours": 15.76,
        "sunshine_hours_per_day": 7.88,
        "sunshine_days": 2,
        "sunshine_proxy": SUNSHINE_PROXY,
        "pm25_mean_ugm3": 28.33,
        "pm25_days": 3,
        "aqi": 41,
        "aqi_category_zh": "优",
        "aqi_category_en": "Excellent",
        "aqi_standard": "HJ 633-2012",
        "humidity_mean_pct": 80.0,
        "temperature_mean_c": 10.57,
        "gdd": 3.75,
        "gdd_base_c": 10.0,
        "gdd_days": 2,
    }
    assert days == [
        {
            "day": "2026-08-01",
            "temperature_min_c": 4.0,
            "temperature_max_c": 22.0,
            "temperature_mean_c": 10.96,
            "diurnal_range_c": 18.0,
            "sunshine_hours": 10.0,
            "pm25_mean_ugm3": 15.0,
            "irradiance_mean_wm2": 250.0,
            "humidity_mean_pct": 70.0,
        },
        {
            "day": "2026-08-02",
            "temperature_min_c": None,
            "temperature_max_c": None,
            "temperature_mean_c": 10.0,
            "diurnal_range_c": None,
            "sunshine_hours": None,
            "pm25_mean_ugm3": 30.0,
            "irradiance_mean_wm2": 75.0,
            "humidity_mean_pct": 90.0,
        },
        {
            "day": "2026-08-04",
            "temperature_min_c": 5.0,
            "temperature_max_c": 16.5,
            "temperature_mean_c": 10.75,
            "diurnal_range_c": 11.5,
            "sunshine_hours": 5.76,
            "pm25_mean_ugm3": 40.0,
            "irradiance_mean_wm2": 33.84,
            "humidity_mean_pct": None,
        },
    ]
    assert json.loads(json.dumps(found)) == found


def test_lots_show_prints_provenance_of_readings_stored_before_the_lot(
    cli: Any, db_url: str
) -> None:
    assert cli("orgs", "add", "洒渔合作社").code == 0
    args = ["--latitude", "27.38", "--longitude", "103.58", "--altitude", "1935"]
    assert cli("orchards", "add", "ZY-1", "--name", "洒渔", "--county", "530602", *args)
    assert cli("devices", "add", "dev-01", "--orchard", "ZY-1").code == 0
    store = Store(db_url, "Asia/Shanghai")
    store.write(rows(season(), 1), [])
    store.close()

    added = cli(
        "lots", "add", "ZY26-01", "--orchard", "ZY-1", "--variety", "富士",
        "--from", "2026-08-01", "--harvested", "2026-08-04",
    )  # fmt: skip
    shown = cli("lots", "show", "ZY26-01", "--json")

    assert added.code == 0, added.err
    provenance = json.loads(shown.out)["provenance"]
    assert provenance["days_covered"] == 3
    assert provenance["diurnal_range_mean_c"] == 13.75
    assert provenance["aqi_category_zh"] == "优"


def test_a_lot_without_readings_shows_the_orchard_altitude_and_no_numbers(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        coop = make_coop(session)
        lot = make_lot(session, coop, make_orchard(session, coop))
        found = lot_provenance(session, lot)

    assert (found.altitude_m, found.altitude_source) == (1935.0, "orchard")
    assert found.days_covered == 0
    assert found.days_missing == found.days_in_window == 184
    assert found.aqi is None
    assert found.sunshine_hours is None
    assert found.diurnal_range_mean_c is None
    assert found.days == ()
