"""Factories: rows with sensible Zhaotong defaults, made through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from appletrace.trace import lots, orchards
from appletrace.trace.models import Lot, Member, Orchard, Organization
from appletrace.trace.organizations import add_organization


def make_coop(
    session: Session, name: str = "洒渔苹果合作社", **values: Any
) -> Organization:
    """A co-op."""
    return add_organization(session, name, "coop", **values)


def make_packing_house(session: Session, name: str = "昭阳包装厂") -> Organization:
    """A packing house."""
    return add_organization(session, name, "packing_house")


def make_orchard(
    session: Session, coop: Organization, code: str = "ZY-SAYU-01", **values: Any
) -> Orchard:
    """An orchard in 洒渔镇, Zhaoyang, at 1,935 m."""
    defaults: dict[str, Any] = dict(
        name="洒渔示范果园",
        county_code="530602",
        township="洒渔镇",
        village="乐居村",
        latitude=27.387,
        longitude=103.588,
        altitude_m=1935.0,
        variety="富士",
    )
    return orchards.add_orchard(
        session, coop, "test", code=code, **{**defaults, **values}
    )


def make_lot(
    session: Session,
    coop: Organization,
    orchard: Orchard,
    code: str = "ZY25-FJ-001",
    **values: Any,
) -> Lot:
    """A Fuji lot of the 2025 season."""
    defaults: dict[str, Any] = dict(
        variety="富士",
        window_start=date(2025, 4, 20),
        harvested_on=date(2025, 10, 20),
        quantity_kg=12000.0,
        grade="一级",
    )
    return lots.add_lot(
        session,
        coop,
        orchard,
        "test",
        date(2026, 12, 1),
        code=code,
        **{**defaults, **values},
    )


# Test members' passwords are hashed with a cheap scrypt (n=2^10): signing in
# checks whatever cost the stored hash names, so page tests sign in in
# milliseconds; hash_password's real cost is tested in test_accounts.
PASSWORD = "apple blossom in zhaotong"
_HASHES: dict[str, str] = {}


def make_member(
    session: Session, organization: Organization, username: str, role: str
) -> Member:
    """A member whose password is PASSWORD."""
    from werkzeug.security import generate_password_hash

    if PASSWORD not in _HASHES:
        _HASHES[PASSWORD] = generate_password_hash(PASSWORD, "scrypt:1024:8:1")

    member = Member(
        organization_id=organization.id,
        username=username,
        password_hash=_HASHES[PASSWORD],
        role=role,
    )
    session.add(member)
    session.flush()

    return member
