"""Checking JSON bodies against the schemas the OpenAPI document publishes.

A small subset of JSON Schema, the one our document uses: type (with
``nullable``), required, additionalProperties false, minLength, maxLength,
minimum, maximum, enum, format date, items. The first fault becomes InvalidInput
naming the field, so the API answers 400 in the one error shape.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from appletrace.trace.errors import InvalidInput

_TYPES = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def check(schema: dict[str, Any], value: Any, where: str = "body") -> Any:
    """The value if it fits the schema; dates come back as ``date``."""
    if value is None:
        if schema.get("nullable"):
            return None

        raise InvalidInput(where, f"{where} must not be null")

    kind = schema.get("type")
    if kind in ("number", "integer"):
        return _number(schema, value, where)

    if kind in _TYPES and not isinstance(value, _TYPES[kind]):
        raise InvalidInput(where, f"{where} must be of type {kind}")

    if kind == "string":
        return _string(schema, value, where)

    if kind == "object":
        return _object(schema, value, where)

    if kind == "array":
        return _array(schema, value, where)

    return value


def _number(schema: dict[str, Any], value: Any, where: str) -> float | int:
    integer = schema["type"] == "integer"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(where, f"{where} must be a number")

    if integer and not isinstance(value, int):
        raise InvalidInput(where, f"{where} must be a whole number")

    if not math.isfinite(value):
        raise InvalidInput(where, f"{where} must be a finite number")

    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(where, f"{where} {value} is outside {low} to {high}")

    return value


def _string(schema: dict[str, Any], value: str, where: str) -> Any:
    if "\x00" in value:
        raise InvalidInput(where, f"{where} holds a NUL character")

    if len(value) < schema.get("minLength", 0):
        raise InvalidInput(where, f"{where} is shorter than {schema['minLength']}")

    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise InvalidInput(where, f"{where} is longer than {schema['maxLength']}")

    if "enum" in schema and value not in schema["enum"]:
        raise InvalidInput(where, f"{where} {value!r} is not one of {schema['enum']}")

    if schema.get("format") == "date":
        try:
            return date.fromisoformat(value) if len(value) == 10 else _bad_date(where)
        except ValueError:
            _bad_date(where)

    return value


def _bad_date(where: str) -> Any:
    raise InvalidInput(where, f"{where} is not a date; use YYYY-MM-DD")


def _object(schema: dict[str, Any], value: dict[str, Any], where: str) -> Any:
    properties = schema.get("properties", {})
    unknown = sorted(set(value) - set(properties))
    if unknown and schema.get("additionalProperties") is False:
        raise InvalidInput(unknown[0], f"{unknown[0]!r} is not a field of {where}")

    for name in schema.get("required", ()):
        if name not in value:
            raise InvalidInput(name, f"{name} is needed")

    return {
        name: check(properties[name], item, name)
        for name, item in value.items()
        if name in properties
    }


def _array(schema: dict[str, Any], value: list[Any], where: str) -> Any:
    if len(value) < schema.get("minItems", 0):
        raise InvalidInput(where, f"{where} needs at least {schema['minItems']} items")

    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise InvalidInput(where, f"{where} has more than {schema['maxItems']} items")

    return [check(schema.get("items", {}), item, where) for item in value]
