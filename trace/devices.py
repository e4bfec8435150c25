"""Devices: sensor stations registered to orchards."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.models import Device, Orchard
from appletrace.trace.types import row_id

# The device id is an MQTT topic level and a broker user name: no wildcards,
# separators or spaces.
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
KINDS = ("weather", "air", "gps", "soil")


def add_device(
    session: Session, device_id: str, orchard: Orchard, kind: str = "weather"
) -> Device:
    """Register a device to an orchard; its id must be new."""
    if not DEVICE_ID_PATTERN.fullmatch(device_id):
        raise InvalidInput(
            "device_id",
            f"device id {device_id!r} must be 1 to 64 of letters, digits, '_', "
            "'.' or '-', starting with a letter or digit",
        )

    if kind not in KINDS:
        raise InvalidInput("kind", f"kind {kind!r} is not one of {', '.join(KINDS)}")

    if session.get(Device, device_id) is not None:
        raise Conflict("device_id", f"device {device_id!r} is registered already")

    device = Device(id=device_id, orchard_id=row_id(orchard), kind=kind)
    session.add(device)
    session.flush()

    return device


def get_device(session: Session, device_id: str) -> Device:
    """The device with this id."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("device", device_id)

    return device


def list_devices(
    session: Session, organization_id: int | None = None
) -> list[tuple[Device, Orchard]]:
    """Devices with their orchards, by id."""
    query = (
        select(Device, Orchard)
        .join(Orchard, Device.orchard_id == Orchard.id)  # type: ignore[arg-type]
        .order_by(Device.id)
    )
    if organization_id is not None:
        query = query.where(Orchard.organization_id == organization_id)

    return [(device, orchard) for device, orchard in session.exec(query)]
