"""EPCIS 2.0 sensor summaries of a lot's growing season (pure).

GS1 asks for summaries, not raw readings: one sensor element for the whole
growing window, then one per measured local day, each report with its UN/ECE
Recommendation 20 unit code. The numbers are the lot's provenance, as
``LotProvenance.as_dict()`` gives them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from statistics import fmean
from typing import Any

from appletrace.trace.lot_history import LotHistory

PREFIX = "appletrace"

# UN/ECE Recommendation 20 common codes, as EPCIS 2.0 requires for ``uom``.
UOM_KILOGRAM = "KGM"
UOM_CELSIUS = "CEL"
UOM_METRE = "MTR"
UOM_WATT_PER_SQUARE_METRE = "D54"
UOM_MICROGRAM_PER_CUBIC_METRE = "GQ"
UOM_PERCENT = "P1"


def sensor_elements(
    season: Mapping[str, Any], history: LotHistory, zone: tzinfo
) -> list[dict[str, Any]]:
    """The season's summary, then one element per measured day (GS1: summaries)."""
    days = [_day_values(d) for d in season.get("days") or ()]
    elements = []
    whole = _season_reports(season, days)
    if whole:
        first = history.window_start
        last = history.harvested_on
        elements.append(_element(first, last, zone, whole))

    for values in days:
        reports = _day_reports(values)
        if reports:
            elements.append(_element(values["day"], values["day"], zone, reports))

    return elements


def _element(
    first: date, last: date, zone: tzinfo, reports: list[dict[str, Any]]
) -> dict[str, Any]:
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)

    return {
        "sensorMetadata": {"startTime": stamp(start), "endTime": stamp(end)},
        "sensorReport": reports,
    }


def _day_values(day: Any) -> dict[str, Any]:
    values = dict(day if isinstance(day, Mapping) else vars(day))
    if isinstance(values["day"], str):
        values["day"] = date.fromisoformat(values["day"])

    return values


def _season_reports(
    season: Mapping[str, Any], days: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    reports = []
    # An altitude copied from the orchard record is no measurement: it travels
    # in the ilmd only. A GPS altitude is the median of its daily means.
    gps = season.get("altitude_source", "gps") == "gps"
    if season.get("altitude_m") is not None and gps:
        reports.append(_report("Altitude", UOM_METRE, value=season["altitude_m"]))

    lows = _present(days, "temperature_min_c")
    highs = _present(days, "temperature_max_c")
    means = _present(days, "temperature_mean_c")
    if lows and highs and means:
        mean = season.get("temperature_mean_c")
        reports.append(
            _report(
                "Temperature",
                UOM_CELSIUS,
                minValue=min(lows),
                maxValue=max(highs),
                meanValue=fmean(means) if mean is None else mean,
            )
        )

    irradiance = _present(days, "irradiance_mean_wm2")
    if irradiance:
        reports.append(
            _report(
                "Irradiance", UOM_WATT_PER_SQUARE_METRE, meanValue=fmean(irradiance)
            )
        )

    if season.get("pm25_mean_ugm3") is not None:
        reports.append(_pm25(season["pm25_mean_ugm3"]))

    if season.get("humidity_mean_pct") is not None:
        reports.append(
            _report(
                "RelativeHumidity", UOM_PERCENT, meanValue=season["humidity_mean_pct"]
            )
        )

    return reports


def _day_reports(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    # A day lacking a value is left out of that report, never guessed.
    reports = []
    temperature = {
        name: values.get(key)
        for name, key in (
            ("minValue", "temperature_min_c"),
            ("maxValue", "temperature_max_c"),
            ("meanValue", "temperature_mean_c"),
        )
        if values.get(key) is not None
    }
    if temperature:
        reports.append(_report("Temperature", UOM_CELSIUS, **temperature))

    if values.get("irradiance_mean_wm2") is not None:
        mean = values["irradiance_mean_wm2"]
        reports.append(_report("Irradiance", UOM_WATT_PER_SQUARE_METRE, meanValue=mean))

    if values.get("pm25_mean_ugm3") is not None:
        reports.append(_pm25(values["pm25_mean_ugm3"]))

    if values.get("humidity_mean_pct") is not None:
        mean = values["humidity_mean_pct"]
        reports.append(_report("RelativeHumidity", UOM_PERCENT, meanValue=mean))

    return reports


def _present(days: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [d[key] for d in days if d.get(key) is not None]


def _report(kind: str, uom: str, **values: Any) -> dict[str, Any]:
    return {"type": kind, **values, "uom": uom}


def _pm25(mean: float) -> dict[str, Any]:
    # MassConcentration alone does not say of what: name the particle size.
    report = _report("MassConcentration", UOM_MICROGRAM_PER_CUBIC_METRE, meanValue=mean)
    report[f"{PREFIX}:particulateMatter"] = "PM2.5"

    return report


def stamp(at: datetime) -> str:
    """An ISO 8601 time to the second, UTC written as Z."""
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")
