"""Mosquitto's password file and ACL, written from the registered devices.

Pure formatting, plus one query. A password file line is ``user:hash`` where the
hash is Mosquitto's own ``$7$`` form: PBKDF2-HMAC-SHA512 over the password with
a 12-byte salt, ``$7$ITERATIONS$BASE64(SALT)$BASE64(KEY)`` (the format
``mosquitto_passwd`` of Mosquitto 2.0 writes; checked against a file it wrote).
Each device may publish only to its own readings topic; the ingester's user may
only read them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from appletrace.trace.models import Device

ITERATIONS = 101  # mosquitto_passwd's default in Mosquitto 2.0
SALT_BYTES = 12
HASH_PATTERN = re.compile(
    r"\$7\$(?P<iterations>[1-9][0-9]*)\$(?P<salt>[A-Za-z0-9+/=]+)"
    r"\$(?P<key>[A-Za-z0-9+/=]{88})"
)


@dataclass(frozen=True)
class Export:
    """The two files' text, and the devices left out with why."""

    passwd: str
    acl: str
    skipped: list[tuple[str, str]]


def hash_password(
    password: str, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """The password as a Mosquitto ``$7$`` PBKDF2-SHA512 hash."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    encoded = [base64.b64encode(part).decode() for part in (salt, key)]
    return f"$7${iterations}${encoded[0]}${encoded[1]}"


def check_password(password: str, hashed: str) -> bool:
    """True when the password matches a ``$7$`` hash."""
    found = HASH_PATTERN.fullmatch(hashed)
    if found is None:
        return False

    salt = base64.b64decode(found["salt"])
    expected = hash_password(password, salt, int(found["iterations"]))
    return hmac.compare_digest(expected, hashed)


def is_mosquitto_hash(value: str | None) -> bool:
    """True when the value has the form of a ``$7$`` hash Mosquitto can check."""
    return value is not None and HASH_PATTERN.fullmatch(value) is not None


def password_file(entries: Iterable[tuple[str, str]]) -> str:
    """Password file text from (user, ``$7$`` hash) pairs."""
    return "".join(f"{user}:{hashed}\n" for user, hashed in entries)


def acl_file(prefix: str, device_ids: Sequence[str], ingest_user: str) -> str:
    """ACL text: each device writes its own readings topic; the ingester reads all."""
    blocks = [f"user {ingest_user}\ntopic read {prefix}/+/readings\n"]
    blocks += [f"user {d}\ntopic write {prefix}/{d}/readings\n" for d in device_ids]
    return "\n".join(blocks)


def export(
    session: Session, prefix: str, ingest_user: str, ingest_hash: str | None
) -> Export:
    """Both files for the active devices with a ``$7$`` credential hash."""
    devices = session.exec(select(Device).order_by(Device.id)).all()
    skipped = [(d.id, "inactive") for d in devices if not d.active]
    skipped += [
        (d.id, "no Mosquitto credential hash")
        for d in devices
        if d.active and not is_mosquitto_hash(d.credential_hash)
    ]
    left_out = {device_id for device_id, _ in skipped}
    kept = [d for d in devices if d.id not in left_out]

    entries = [(d.id, str(d.credential_hash)) for d in kept]
    if ingest_hash is not None:
        entries.insert(0, (ingest_user, ingest_hash))

    acl = acl_file(prefix, [d.id for d in kept], ingest_user)
    return Export(password_file(entries), acl, sorted(skipped))
