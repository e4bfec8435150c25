"""A season of orchard sensor messages, physically plausible, for demos and tests.

Pure and seeded: the same arguments give the same messages. Temperatures follow
a Zhaotong-like year (about 2 °C in January, 20 °C in July at ~1,950 m) with a
daily cycle of 10-15 °C between a minimum near sunrise and a maximum mid
afternoon; irradiance follows the sun over a 27° N sky, cut by cloudy days;
PM2.5 stays in the low tens of µg/m³; the GPS altitude wanders a few metres
around the orchard's. A share of messages is faulty in one of the ways the
ingester must refuse.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson

LOCAL = timezone(timedelta(hours=8))
# Zhaotong lies near 103.7° E: the sun is highest at about 13:05 Beijing time.
SOLAR_NOON_H = 12.0 + (120.0 - 103.7) * 4 / 60
TMIN_H = 6.5
TMAX_H = 15.0
FAULTS = ("not_json", "nan", "out_of_range", "future", "unknown_quantity", "no_time")


@dataclass(frozen=True)
class SimMessage:
    """One simulated message: its device, payload and how many valid readings."""

    device_id: str
    payload: bytes
    readings: int
    fault: str | None


@dataclass(frozen=True)
class DayWeather:
    """One day's draw: mean temperature, diurnal range, cloud cover, PM2.5."""

    mean_c: float
    range_c: float
    cloud: float
    pm25: float


def draw_day(day: datetime, rng: random.Random) -> DayWeather:
    """The weather of one local day."""
    doy = day.timetuple().tm_yday
    mean = 11.0 - 9.0 * math.cos(2 * math.pi * (doy - 15) / 365)
    cloudy = rng.random() < 0.35
    cloud = rng.uniform(0.15, 0.45) if cloudy else rng.uniform(0.85, 1.0)
    # Clear days have the wider day-night swing.
    span = rng.uniform(10.0, 11.5) if cloudy else rng.uniform(12.0, 15.0)
    pm25 = min(60.0, rng.lognormvariate(math.log(15.0), 0.4))
    return DayWeather(mean + rng.gauss(0, 1.5), span, cloud, pm25)


def diurnal_shape(hour: float) -> float:
    """-1 at the day's minimum (near sunrise), +1 at its maximum (mid afternoon)."""
    if TMIN_H <= hour < TMAX_H:
        return -math.cos(math.pi * (hour - TMIN_H) / (TMAX_H - TMIN_H))

    since_max = (hour - TMAX_H) % 24
    return math.cos(math.pi * since_max / (24 - (TMAX_H - TMIN_H)))


def clear_sky_irradiance(day: datetime, hour: float) -> float:
    """Global irradiance under a clear sky at 27° N, W/m², 0 at night."""
    doy = day.timetuple().tm_yday
    season = math.sin(2 * math.pi * (doy - 80) / 365)
    day_length = 12.0 + 1.7 * season
    sunrise = SOLAR_NOON_H - day_length / 2
    if not 0 < hour - sunrise < day_length:
        return 0.0

    peak = 900.0 + 150.0 * season
    return peak * math.sin(math.pi * (hour - sunrise) / day_length) ** 1.3


def reading_values(
    weather: DayWeather, day: datetime, hour: float, rng: random.Random
) -> dict[str, float]:
    """Temperature, humidity, PM2.5 and irradiance at one local hour."""
    shape = diurnal_shape(hour)
    flicker = rng.uniform(0.7, 1.0) if weather.cloud < 0.5 else 1.0
    irradiance = clear_sky_irradiance(day, hour) * weather.cloud * flicker
    humidity = 72.0 - 22.0 * shape + (12.0 if weather.cloud < 0.5 else 0.0)
    return {
        "temperature": round(
            weather.mean_c + weather.range_c / 2 * shape + rng.gauss(0, 0.2), 1
        ),
        "humidity": round(min(100.0, max(15.0, humidity + rng.gauss(0, 2))), 0),
        "pm25": round(max(1.0, weather.pm25 * (1.1 - 0.2 * shape)), 0),
        "irradiance": round(irradiance, 0),
    }


def generate(
    device_ids: Sequence[str],
    start: datetime,
    days: int,
    interval_s: int = 600,
    faulty_share: float = 0.01,
    seed: int = 0,
    altitude_m: float = 1950.0,
) -> Iterator[SimMessage]:
    """Messages of every device, every ``interval_s`` from ``start`` for ``days``.

    ``start`` is an aware datetime; messages come in time order. A device also
    sends its GPS altitude in the first message of each hour.
    """
    rng = random.Random(seed)
    # One orchard's devices share its weather; each reads it with its own noise.
    weather: dict[int, DayWeather] = {}
    steps = days * 86_400 // interval_s
    for step in range(steps):
        moment = (start + timedelta(seconds=step * interval_s)).astimezone(LOCAL)
        hour = moment.hour + moment.minute / 60 + moment.second / 3600
        day_key = moment.toordinal()
        today = weather.get(day_key)
        if today is None:
            today = weather[day_key] = draw_day(moment, rng)

        for device_id in device_ids:
            values = reading_values(today, moment, hour, rng)
            if moment.minute * 60 + moment.second < interval_s:
                values["altitude"] = round(altitude_m + rng.gauss(0, 3), 1)

            yield _message(device_id, moment, values, faulty_share, rng)


def _message(
    device_id: str,
    moment: datetime,
    values: dict[str, float],
    faulty_share: float,
    rng: random.Random,
) -> SimMessage:
    body: dict[str, object] = {"time": moment.isoformat(), **values}
    if rng.random() >= faulty_share:
        return SimMessage(device_id, orjson.dumps(body), len(values), None)

    fault = rng.choice(FAULTS)
    return SimMessage(device_id, faulty_payload(fault, body), 0, fault)


def faulty_payload(fault: str, body: dict[str, object]) -> bytes:
    """A payload broken in one of the ways the ingester must refuse whole."""
    time = body["time"]
    if fault == "not_json":
        return orjson.dumps(body)[:-7]

    if fault == "nan":
        return f'{{"time": "{time}", "temperature": NaN}}'.encode()

    if fault == "out_of_range":
        return orjson.dumps({"time": time, "temperature": 999.0, "humidity": -5})

    if fault == "future":
        return orjson.dumps({**body, "time": "2099-01-01T00:00:00+08:00"})

    if fault == "unknown_quantity":
        return orjson.dumps({"time": time, "wind_speed": 3.2})

    return orjson.dumps({k: v for k, v in body.items() if k != "time"})
