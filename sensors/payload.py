"""Reading a sensor message: bytes in, readings and the reasons for refusals out.

Two payload forms are accepted (docs/mqtt.md): a JSON object with a ``time`` and
one member per quantity, or a SenML pack (RFC 8428, JSON). Pure code: ``parse``
never raises, whatever the bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from appletrace.trace.quantities import (
    QUANTITIES,
    SENML_UNITS,
    Quantity,
    accepted_units,
    check_value,
)

MAX_PAYLOAD_BYTES = 65_536
MAX_AHEAD_S = 600
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
# RFC 8428 section 4.5.3: a SenML time below 2**28 is relative to "now". A
# reading's time must be absolute, or a redelivered message would be a new one.
SENML_RELATIVE_LIMIT = 2**28

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_EARLIEST_US = (EARLIEST - _EPOCH) // _ONE_US
# Beyond this many seconds from 1970 a number is no time a sensor would send.
_MAX_EPOCH_S = 1e16


@dataclass(slots=True)
class Parsed:
    """What a payload holds: readings as (quantity, µs since 1970 UTC, value)
    in the quantity's stored unit, and why any part of it was refused."""

    readings: list[tuple[str, int, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse(payload: bytes, received_s: float) -> Parsed:
    """Read a JSON or SenML payload received at Unix time ``received_s``."""
    parsed = Parsed()
    try:
        _parse(payload, received_s, parsed)
    except Exception as error:  # noqa: BLE001 - a payload must never crash the loop
        parsed.readings.clear()
        parsed.problems.append(f"payload could not be read: {error!r}")

    if not parsed.readings and not parsed.problems:
        parsed.problems.append("the message holds no reading")

    return parsed


def _parse(payload: bytes, received_s: float, parsed: Parsed) -> None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        parsed.problems.append(
            f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
        return

    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        parsed.problems.append(_json_problem(payload, error))
        return

    latest_us = int((received_s + MAX_AHEAD_S) * 1_000_000)
    if isinstance(document, dict):
        _parse_object(document, latest_us, parsed)
    elif isinstance(document, list):
        _parse_senml(document, latest_us, parsed)
    else:
        parsed.problems.append(
            f"payload is a JSON {type(document).__name__}; send an object with "
            "'time' and quantities, or a SenML array"
        )


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise _NotANumber(name)


def _json_problem(payload: bytes, error: Exception) -> str:
    """A reason for a payload orjson refused, naming NaN and Infinity."""
    try:
        json.loads(payload, parse_constant=_refuse_constant)
    except _NotANumber as constant:
        return (
            f"{constant} is not a reading: JSON has no NaN or Infinity; "
            "leave the quantity out or send null"
        )
    except (ValueError, RecursionError):
        pass

    return f"not JSON: {error}"


def _parse_object(document: dict[str, Any], latest_us: int, parsed: Parsed) -> None:
    if "time" not in document:
        parsed.problems.append("no 'time': give ISO 8601 with offset or epoch seconds")
        return

    taken_us, problem = _time_us(document["time"], latest_us)
    if problem:
        parsed.problems.append(problem)
        return

    for name, value in document.items():
        if name == "time" or value is None:
            continue

        quantity = QUANTITIES.get(name)
        if quantity is None:
            parsed.problems.append(_unknown_quantity(name))
            continue

        problem = check_value(quantity, value)
        if problem:
            parsed.problems.append(problem)
        else:
            parsed.readings.append((name, taken_us, float(value)))


def _unknown_quantity(name: object) -> str:
    known = ", ".join(QUANTITIES)
    return f"unknown quantity {str(name)[:40]!r}; known: {known}"


def _time_us(value: object, latest_us: int) -> tuple[int, str | None]:
    """A time as µs since 1970 UTC, or why it cannot be a reading's time."""
    if isinstance(value, str):
        taken_us, problem = _iso_time_us(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not -_MAX_EPOCH_S < value < _MAX_EPOCH_S:
            return 0, f"time {value!r} is out of range"

        taken_us, problem = round(value * 1_000_000), None
    else:
        return 0, f"time {value!r} is neither ISO 8601 text nor epoch seconds"

    if problem:
        return 0, problem

    return taken_us, _time_problem(value, taken_us, latest_us)


def _iso_time_us(text: str) -> tuple[int, str | None]:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return 0, f"time {text[:40]!r} is not ISO 8601, e.g. 2026-09-01T06:00:00+08:00"

    if moment.tzinfo is None:
        return 0, f"time {text!r} has no UTC offset; add one, e.g. +08:00"

    try:
        return (moment - _EPOCH) // _ONE_US, None
    except OverflowError:
        return 0, f"time {text!r} is out of range"


def _time_problem(value: object, taken_us: int, latest_us: int) -> str | None:
    if taken_us > latest_us:
        hint = " (milliseconds? send seconds)" if taken_us > latest_us * 100 else ""
        return (
            f"time {value!r} is more than {MAX_AHEAD_S // 60} minutes ahead of the "
            f"ingester's clock{hint}"
        )

    if taken_us < _EARLIEST_US:
        return f"time {value!r} is before {EARLIEST:%Y-%m-%d}: is the device clock set?"

    return None


def _parse_senml(records: list[Any], latest_us: int, parsed: Parsed) -> None:
    base: dict[str, Any] = {"bn": "", "bt": 0, "bu": None, "bv": 0}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            parsed.problems.append(f"SenML record {index} is not an object")
            continue

        # RFC 8428 section 4.4: a label ending in "_" must be understood, or the
        # whole pack refused; other unknown labels are ignored.
        must = [label for label in record if label.endswith("_")]
        if must:
            parsed.readings.clear()
            parsed.problems.append(
                f"SenML label {must[0][:20]!r} must be understood and is not"
            )
            return

        for key in ("bn", "bt", "bu", "bv"):
            if key in record:
                base[key] = record[key]

        _parse_record(index, record, base, latest_us, parsed)


def _parse_record(
    index: int,
    record: dict[str, Any],
    base: dict[str, Any],
    latest_us: int,
    parsed: Parsed,
) -> None:
    where = f"SenML record {index}"
    name = f"{base['bn']}{record.get('n', '')}"
    if not isinstance(base["bn"], str) or not isinstance(record.get("n", ""), str):
        parsed.problems.append(f"{where}: the name is not text")
        return

    quantity = QUANTITIES.get(_last_segment(name))
    if quantity is None:
        parsed.problems.append(f"{where}: {_unknown_quantity(name)}")
        return

    value, problem = _senml_value(quantity, record, base)
    if problem is None:
        taken_us, problem = _senml_time(record, base, latest_us)

    if problem:
        parsed.problems.append(f"{where}: {problem}")
    else:
        parsed.readings.append((quantity.name, taken_us, value))


def _last_segment(name: str) -> str:
    for separator in (":", "/"):
        name = name.rsplit(separator, 1)[-1]

    return name


def _senml_value(
    quantity: Quantity, record: dict[str, Any], base: dict[str, Any]
) -> tuple[float, str | None]:
    unit = record.get("u", base["bu"]) or quantity.unit
    conversion = (
        SENML_UNITS.get((quantity.name, unit)) if isinstance(unit, str) else None
    )
    if conversion is None:
        units = ", ".join(accepted_units(quantity.name))
        return 0.0, f"unit {unit!r} is not one of {units} for {quantity.name}"

    if "v" not in record:
        return 0.0, f"{quantity.name} has no numeric value 'v'"

    raw, offset = record["v"], base["bv"]
    for number in (raw, offset):
        if isinstance(number, bool) or not isinstance(number, int | float):
            return 0.0, f"{quantity.name} value {number!r} is not a number"

    value = offset + raw
    if conversion.scale != 1.0 or conversion.offset != 0.0:
        # Six decimals drop the binary noise of the conversion (285.55 K gives
        # 12.4 °C, not 12.400000000000034); no sensor resolves finer.
        value = round(value * conversion.scale + conversion.offset, 6)

    return float(value), check_value(quantity, value)


def _senml_time(
    record: dict[str, Any], base: dict[str, Any], latest_us: int
) -> tuple[int, str | None]:
    offset, relative = base["bt"], record.get("t", 0)
    for number in (offset, relative):
        if isinstance(number, bool) or not isinstance(number, int | float):
            return 0, f"time {number!r} is not a number"

    moment = offset + relative
    if moment < SENML_RELATIVE_LIMIT:
        return 0, (
            f"time {moment!r} is relative (RFC 8428 4.5.3); send absolute "
            "epoch seconds so a redelivered message is not stored twice"
        )

    return _time_us(moment, latest_us)
