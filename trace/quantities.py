"""What a reading measures: each quantity's unit, physical range and meaning.

A reading is stored in its quantity's unit (a SenML unit symbol, RFC 8428 and
RFC 8798). A SenML record may use another unit of the same dimension; it is
converted on the way in. Pure data: no I/O, importable by the ingester without
the database layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """One measured quantity: stored unit, accepted range and meaning.

    ``minimum`` and ``maximum`` bound what a working sensor can report in an
    orchard; a value outside them is refused, not clipped. ``epcis_type`` and
    ``rec20`` name the quantity and unit for GS1 EPCIS sensor reports (UN/ECE
    Recommendation 20 unit codes).
    """

    name: str
    unit: str
    symbol: str
    minimum: float
    maximum: float
    meaning: str
    meaning_zh: str
    epcis_type: str
    rec20: str


QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        Quantity(
            "temperature",
            "Cel",
            "°C",
            -60.0,
            60.0,
            "air temperature in the orchard, in the shade",
            "果园气温（遮阴处）",
            "Temperature",
            "CEL",
        ),
        Quantity(
            "humidity",
            "%RH",
            "%",
            0.0,
            100.0,
            "relative humidity of the air",
            "空气相对湿度",
            "RelativeHumidity",
            "P1",
        ),
        Quantity(
            "pm25",
            "ug/m3",
            "µg/m³",
            0.0,
            1000.0,
            "mass concentration of fine particles (PM2.5)",
            "细颗粒物（PM2.5）质量浓度",
            "MassConcentration",
            "GQ",
        ),
        # A pyranometer reads a few W/m² below zero at night (thermal offset):
        # such values are real instrument output and are kept.
        Quantity(
            "irradiance",
            "W/m2",
            "W/m²",
            -20.0,
            1600.0,
            "global solar irradiance on a horizontal surface",
            "水平面太阳总辐照度",
            "Irradiance",
            "D54",
        ),
        Quantity(
            "illuminance",
            "lx",
            "lx",
            0.0,
            200_000.0,
            "illuminance (visible light); not used for sunshine",
            "光照度",
            "Illuminance",
            "LUX",
        ),
        Quantity(
            "altitude",
            "m",
            "m",
            -500.0,
            9000.0,
            "height above sea level from the device's GPS fix",
            "GPS 海拔高度",
            "Altitude",
            "MTR",
        ),
    )
}


@dataclass(frozen=True)
class UnitConversion:
    """A SenML unit accepted for a quantity: stored = value × scale + offset."""

    quantity: str
    scale: float = 1.0
    offset: float = 0.0


# SenML unit symbols per quantity. Primary units are from RFC 8428's registry
# (kg/m3 added by RFC 8798); "ug/m3" is an RFC 8798 secondary unit, 1e-9 kg/m3.
SENML_UNITS: dict[tuple[str, str], UnitConversion] = {
    ("temperature", "Cel"): UnitConversion("temperature"),
    ("temperature", "K"): UnitConversion("temperature", offset=-273.15),
    ("humidity", "%RH"): UnitConversion("humidity"),
    ("pm25", "ug/m3"): UnitConversion("pm25"),
    ("pm25", "kg/m3"): UnitConversion("pm25", scale=1e9),
    ("irradiance", "W/m2"): UnitConversion("irradiance"),
    ("illuminance", "lx"): UnitConversion("illuminance"),
    ("altitude", "m"): UnitConversion("altitude"),
}


def check_value(quantity: Quantity, value: object) -> str | None:
    """Why a value cannot be a reading of this quantity, or None if it can."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{quantity.name} value {value!r} is not a number"

    if not math.isfinite(value):
        return f"{quantity.name} value {value!r} is not a finite number"

    if not quantity.minimum <= value <= quantity.maximum:
        return (
            f"{quantity.name} value {value:g} {quantity.symbol} is outside "
            f"{quantity.minimum:g} to {quantity.maximum:g}"
        )

    return None


def accepted_units(quantity: str) -> list[str]:
    """The SenML unit symbols a record of this quantity may carry."""
    return [unit for (name, unit) in SENML_UNITS if name == quantity]
