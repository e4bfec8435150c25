"""Organizations: co-ops and packing houses."""

from __future__ import annotations

from sqlmodel import Session, select

from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.identifiers import normalize_gtin
from appletrace.trace.models import Organization

KINDS = ("coop", "packing_house")


def add_organization(
    session: Session,
    name: str,
    kind: str,
    phone: str = "",
    address: str = "",
    gtin: str | None = None,
) -> Organization:
    """Register a co-op or packing house; names are unique."""
    name = name.strip()
    if not name:
        raise InvalidInput("name", "an organization needs a name")

    if kind not in KINDS:
        raise InvalidInput("kind", f"kind {kind!r} is not one of {', '.join(KINDS)}")

    if session.exec(select(Organization).where(Organization.name == name)).first():
        raise Conflict("name", f"organization {name!r} exists already")

    organization = Organization(
        name=name,
        kind=kind,
        phone=phone,
        address=address,
        gtin=normalize_gtin(gtin) if gtin else None,
    )
    session.add(organization)
    session.flush()

    return organization


def get_organization(session: Session, name: str | None, kind: str) -> Organization:
    """The organization named, or the only one of ``kind`` when no name is given."""
    query = select(Organization).where(Organization.kind == kind)
    if name is not None:
        found = session.exec(query.where(Organization.name == name)).first()
        if found is None:
            raise NotFound("organization", name)

        return found

    candidates = session.exec(query.limit(2)).all()
    if len(candidates) != 1:
        raise InvalidInput(
            "organization",
            f"there are {'several' if candidates else 'no'} organizations of kind "
            f"{kind!r}; name one with --org (add one with 'appletrace orgs add')",
        )

    return candidates[0]


def list_organizations(session: Session) -> list[Organization]:
    """Every organization, by name."""
    return list(session.exec(select(Organization).order_by(Organization.name)))
