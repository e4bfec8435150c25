"""Devices: sensor stations registered to orchards, and their broker passwords."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.models import Device, Orchard
from appletrace.trace.types import row_id

log = logging.getLogger(__name__)

# The device id is an MQTT topic level and a broker user name: no wildcards,
# separators or spaces.
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
KINDS = ("weather", "air", "gps", "soil")
# mosquitto_passwd's own default for "$7$" (PBKDF2-SHA512) lines: 101 rounds,
# a 12-byte salt and a 64-byte key. The password is 144 random bits, so more
# rounds would cost the broker at every connect and protect nothing.
MOSQUITTO_ITERATIONS = 101


@dataclass(frozen=True)
class DeviceCredentials:
    """What a device needs to publish: shown once, never stored in clear."""

    username: str
    password: str
    topic: str
    acl: str


def mosquitto_hash(
    password: str, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS
) -> str:
    """A Mosquitto password-file hash: ``$7$rounds$salt$key`` (PBKDF2-SHA512)."""
    salt = secrets.token_bytes(12) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    encoded = (base64.b64encode(v).decode() for v in (salt, key))

    return f"$7${iterations}$" + "$".join(encoded)


def check_mosquitto_hash(stored: str, password: str) -> bool:
    """Whether the password matches a ``$7$`` hash, as the broker would check it."""
    try:
        _, kind, rounds, salt, key = stored.split("$")
        expected = base64.b64decode(key)
        derived = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt), int(rounds), 64
        )
    except ValueError:
        return False

    return kind == "7" and secrets.compare_digest(derived, expected)


def acl_lines(device_id: str, topic_prefix: str) -> str:
    """The broker ACL entry that lets one device publish only its own readings."""
    return f"user {device_id}\ntopic write {topic_prefix}/{device_id}/readings"


def issue_credentials(
    session: Session, device: Device, topic_prefix: str, actor: str
) -> DeviceCredentials:
    """Give a device a new random broker password; only its hash is kept."""
    password = secrets.token_urlsafe(18)
    device.credential_hash = mosquitto_hash(password)
    session.add(device)
    session.flush()
    log.info("broker password of device %s issued by %s", device.id, actor)

    return DeviceCredentials(
        username=device.id,
        password=password,
        topic=f"{topic_prefix}/{device.id}/readings",
        acl=acl_lines(device.id, topic_prefix),
    )


def add_device(
    session: Session,
    device_id: str,
    orchard: Orchard,
    kind: str = "weather",
    actor: str = "cli",
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
    log.info("device %s registered to %s by %s", device_id, orchard.code, actor)

    return device


def get_device(
    session: Session, device_id: str, organization_id: int | None = None
) -> Device:
    """The device with this id, within one organization when one is given."""
    device = session.get(Device, device_id)
    if device is not None and organization_id is not None:
        orchard = session.get(Orchard, device.orchard_id)
        if orchard is None or orchard.organization_id != organization_id:
            device = None

    if device is None:
        raise NotFound("device", device_id)

    return device


def set_active(session: Session, device: Device, active: bool, actor: str) -> Device:
    """Switch a device on or off; readings of an inactive device are refused."""
    device.active = active
    session.add(device)
    session.flush()
    log.info("device %s switched %s by %s", device.id, "on" if active else "off", actor)

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
