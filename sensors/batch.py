"""From received messages to rows and refusals: pure, no broker, no database."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from appletrace.sensors.payload import parse
from appletrace.sensors.store import Device, Refusal, Row
from appletrace.trace.quantities import QUANTITIES

# (topic, payload, received at as Unix seconds)
Message = tuple[str, bytes, float]

_UNITS = {name: q.unit for name, q in QUANTITIES.items()}
MAX_REASON_CHARS = 2000


@dataclass(slots=True)
class Prepared:
    """A batch's readings as rows, and its messages that cannot be stored."""

    rows: list[Row] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


def device_of(topic: str, prefix: str) -> str | None:
    """The device id in '{prefix}/{device_id}/readings', or None."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != prefix or parts[2] != "readings":
        return None

    return parts[1] or None


def prepare(
    messages: Sequence[Message], devices: Mapping[str, Device], prefix: str
) -> Prepared:
    """Parse each message; keep its valid readings and say why the rest fails."""
    prepared = Prepared()
    for topic, payload, received_s in messages:
        received_us = math.floor(received_s * 1_000_000)
        problem, orchard_id = _device_problem(topic, devices, prefix)
        if problem:
            prepared.refusals.append((topic, payload, problem, received_us))
            continue

        parsed = parse(payload, received_s)
        device_id = topic.split("/", 2)[1]
        for quantity, taken_us, value in parsed.readings:
            prepared.rows.append(
                (
                    device_id,
                    quantity,
                    taken_us,
                    value,
                    _UNITS[quantity],
                    received_us,
                    orchard_id,
                )
            )

        if parsed.problems:
            reason = _reason(parsed.problems, stored=len(parsed.readings))
            prepared.refusals.append((topic, payload, reason, received_us))

    return prepared


def _device_problem(
    topic: str, devices: Mapping[str, Device], prefix: str
) -> tuple[str | None, int]:
    device_id = device_of(topic, prefix)
    if device_id is None:
        return f"topic {topic[:200]!r} is not {prefix}/DEVICE_ID/readings", 0

    device = devices.get(device_id)
    if device is None:
        return (
            f"unknown device {device_id[:64]!r}; register it with "
            "'appletrace devices add'",
            0,
        )

    if not device.active:
        return f"device {device_id!r} is inactive", 0

    return None, device.orchard_id


def _reason(problems: list[str], stored: int) -> str:
    reason = "; ".join(problems)
    if stored:
        reason = f"{stored} reading(s) stored, the rest refused: {reason}"

    return reason[:MAX_REASON_CHARS]
