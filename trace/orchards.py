"""Orchards: registering and listing them, with their place checked."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.models import Orchard, Organization
from appletrace.trace.types import check_lengths, row_id, utcnow

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
ALTITUDE_RANGE_M = (-500.0, 9000.0)


def check_code(code: str, field: str = "code", what: str = "code") -> str:
    """Upper-case a code and check it is 1–20 of A–Z, 0–9 and '-'.

    Codes end up in QR codes whose path is upper case (alphanumeric mode), so a
    code is stored in upper case and compared that way.
    """
    code = code.strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            field,
            f"{what} {code!r} must be 1 to 20 letters A-Z, digits or '-', "
            "starting with a letter or digit",
        )

    return code


def check_place(values: dict[str, Any]) -> None:
    """Check county, coordinates and altitude; InvalidInput names the first bad one."""
    county = values.get("county_code")
    if county not in ZHAOTONG_COUNTIES:
        known = ", ".join(f"{c} {n}" for c, n in ZHAOTONG_COUNTIES.items())
        raise InvalidInput(
            "county_code",
            f"county {county!r} is not a Zhaotong GB/T 2260 code; use one of: {known}",
        )

    _check_number(values, "latitude", -90.0, 90.0, "degrees north (WGS 84)")
    _check_number(values, "longitude", -180.0, 180.0, "degrees east (WGS 84)")
    low, high = ALTITUDE_RANGE_M
    _check_number(values, "altitude_m", low, high, "metres above sea level")


def _check_number(
    values: dict[str, Any], field: str, low: float, high: float, unit: str
) -> None:
    value = values.get(field)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field, f"{field} {value!r} is not a number ({unit})")

    if not low <= value <= high:
        raise InvalidInput(
            field, f"{field} {value:g} is outside {low:g} to {high:g} {unit}"
        )


def add_orchard(
    session: Session, organization: Organization, actor: str, **values: Any
) -> Orchard:
    """Register an orchard for a co-op; the code must be new."""
    values["code"] = check_code(values.get("code", ""), what="orchard code")
    check_place(values)
    check_lengths(Orchard, values)
    if not str(values.get("name", "")).strip():
        raise InvalidInput("name", "an orchard needs a name")

    if session.exec(select(Orchard).where(Orchard.code == values["code"])).first():
        raise Conflict("code", f"orchard code {values['code']!r} is taken already")

    orchard = Orchard(organization_id=row_id(organization), **values)
    session.add(orchard)
    session.flush()
    audit.record(
        session, actor, "create", "orchard", orchard.code, None, audit.snapshot(orchard)
    )

    return orchard


def update_orchard(
    session: Session, orchard: Orchard, actor: str, **changes: Any
) -> Orchard:
    """Change an orchard's fields (not its code), checking the place again."""
    before = audit.snapshot(orchard)
    merged = {**orchard.model_dump(), **changes}
    check_place(merged)
    check_lengths(Orchard, changes)
    for key, value in changes.items():
        setattr(orchard, key, value)

    orchard.updated_at = utcnow()
    session.add(orchard)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "orchard",
        orchard.code,
        before,
        audit.snapshot(orchard),
    )

    return orchard


def get_orchard(
    session: Session, code: str, organization_id: int | None = None
) -> Orchard:
    """The orchard with this code, within one organization when one is given."""
    query = select(Orchard).where(Orchard.code == code.strip().upper())
    if organization_id is not None:
        query = query.where(Orchard.organization_id == organization_id)

    orchard = session.exec(query).first()
    if orchard is None:
        raise NotFound("orchard", code)

    return orchard


def list_orchards(
    session: Session, organization_id: int | None = None
) -> list[Orchard]:
    """Orchards by code, of one organization or of all."""
    query = select(Orchard).order_by(Orchard.code)
    if organization_id is not None:
        query = query.where(Orchard.organization_id == organization_id)

    return list(session.exec(query))
