"""Members, roles, passwords, sign-in limits, browser sessions and API tokens.

Passwords are kept as werkzeug's scrypt hashes (n=2^15, r=8, p=1: about 32 MiB and
0.1 s per try, salted per password); scrypt comes with Flask, so no compiled
dependency is added. API tokens are 256 random bits, so one SHA-256 of each is
enough to keep them unreadable in the table.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files

from sqlalchemy import delete, func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from appletrace.trace.errors import AppletraceError, Conflict, InvalidInput, NotFound
from appletrace.trace.models import (
    ApiToken,
    Member,
    MemberSession,
    Organization,
    SigninFailure,
)
from appletrace.trace.types import check_lengths, row_id

ROLES = ("admin", "farmer", "packer", "auditor")
ROLES_BY_KIND = {
    "coop": ("admin", "farmer", "auditor"),
    "packing_house": ("admin", "packer", "auditor"),
}
# What each capability needs: the organization kinds and the roles allowed.
CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "view": (("coop", "packing_house"), ROLES),
    "grow": (("coop",), ("admin", "farmer")),
    "pack": (("packing_house",), ("admin", "packer")),
    "ship": (("coop", "packing_house"), ("admin", "farmer", "packer")),
    "manage": (("coop", "packing_house"), ("admin",)),
}

PASSWORD_MIN = 8
# Long passphrases are welcome; the cap only bounds the work of one hash.
PASSWORD_MAX = 1024
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.@-]{2,79}")

ACCOUNT_FAILURES = 5
ACCOUNT_LOCK = timedelta(minutes=15)
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=12)
SESSION_TOUCH = timedelta(seconds=60)
TOKEN_PREFIX = "at_"

# Checked against when the username is unknown, so that a wrong name takes as
# long as a wrong password and does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class SigninLimited(AppletraceError):
    """Too many failed sign-ins for this account or from this address (HTTP 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who acts: an organization, a role and a name for the audit trail."""

    organization_id: int
    organization_kind: str
    role: str
    actor: str

    def can(self, capability: str) -> bool:
        """Whether this role in this kind of organization has the capability."""
        kinds, roles = CAPABILITIES[capability]
        return self.organization_kind in kinds and self.role in roles


@cache
def common_passwords() -> frozenset[str]:
    """The refused passwords shipped in trace/data/common-passwords.txt."""
    text = files("appletrace.trace").joinpath("data/common-passwords.txt").read_text()
    lines = (line.strip().lower() for line in text.splitlines())

    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    """Refuse short, overlong, common or username-like passwords."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            "password",
            f"the password has {len(password)} characters; use at least "
            f"{PASSWORD_MIN} (a phrase of several words is easiest to remember)",
        )

    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            "password", f"the password is longer than {PASSWORD_MAX} characters"
        )

    folded = password.strip().lower()
    if folded in common_passwords() or (username and folded == username.lower()):
        raise InvalidInput(
            "password",
            "this password is among the commonest ones and is guessed first; "
            "choose another",
        )


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password."""
    return generate_password_hash(password, method="scrypt")


def check_username(username: str) -> str:
    """Lower-case a username and check its characters."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            "username",
            f"username {username!r} must be 3 to 80 of a-z, 0-9, '_', '.', '@' "
            "or '-', e.g. a phone number or zhang.san",
        )

    return username


def add_member(
    session: Session,
    organization: Organization,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
) -> Member:
    """Add a member to an organization, in a role that kind of organization has."""
    username = check_username(username)
    allowed = ROLES_BY_KIND[organization.kind]
    if role not in allowed:
        raise InvalidInput(
            "role",
            f"role {role!r} does not exist in a {organization.kind}; "
            f"use one of {', '.join(allowed)}",
        )

    check_password(password, username)
    check_lengths(Member, {"display_name": display_name.strip()})
    if session.exec(select(Member).where(Member.username == username)).first():
        raise Conflict("username", f"username {username!r} is taken already")

    member = Member(
        organization_id=row_id(organization),
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
    )
    session.add(member)
    session.flush()

    return member


def update_member(
    session: Session,
    organization_id: int,
    username: str,
    role: str | None = None,
    active: bool | None = None,
) -> Member:
    """Change a member's role or switch the account off; its sessions end."""
    member = get_member(session, organization_id, username)
    organization = session.get(Organization, organization_id)
    assert organization is not None
    if role is not None:
        if role not in ROLES_BY_KIND[organization.kind]:
            raise InvalidInput("role", f"role {role!r} does not exist here")

        member.role = role

    if active is not None:
        member.active = active

    session.add(member)
    session.execute(delete(MemberSession).where(MemberSession.member_id == member.id))  # type: ignore[arg-type]
    session.flush()

    return member


def set_password(session: Session, member: Member, password: str) -> None:
    """Give a member a new password, checked like a first one."""
    check_password(password, member.username)
    member.password_hash = hash_password(password)
    member.failed_signins = 0
    member.locked_until = None
    session.add(member)
    session.flush()


def get_member(session: Session, organization_id: int, username: str) -> Member:
    """A member of this organization by username."""
    member = session.exec(
        select(Member).where(
            Member.username == username.strip().lower(),
            Member.organization_id == organization_id,
        )
    ).first()
    if member is None:
        raise NotFound("member", username)

    return member


def list_members(session: Session, organization_id: int) -> list[Member]:
    """The members of one organization, by username."""
    query = (
        select(Member)
        .where(Member.organization_id == organization_id)
        .order_by(Member.username)
    )
    return list(session.exec(query))


def principal_of(session: Session, member: Member) -> Principal:
    """The principal a signed-in member acts as."""
    organization = session.get(Organization, member.organization_id)
    assert organization is not None

    return Principal(
        organization.id or 0, organization.kind, member.role, member.username
    )


def check_signin_allowed(
    session: Session, username: str, address: str, now: datetime
) -> None:
    """Raise SigninLimited if the account is locked or the address tried too often."""
    since = now - ADDRESS_WINDOW
    failures = session.exec(
        select(func.count())
        .select_from(SigninFailure)
        .where(SigninFailure.address == address, SigninFailure.at >= since)
    ).one()
    if failures >= ADDRESS_FAILURES:
        raise SigninLimited(
            f"{failures} failed sign-ins from this address in the last "
            f"{ADDRESS_WINDOW.seconds // 60} minutes; wait and try again",
            int(ADDRESS_WINDOW.total_seconds()),
        )

    member = session.exec(
        select(Member).where(Member.username == username.strip().lower())
    ).first()
    if member and member.locked_until and member.locked_until > now:
        wait = int((member.locked_until - now).total_seconds()) + 1
        raise SigninLimited(
            f"this account is locked after {ACCOUNT_FAILURES} wrong passwords; "
            f"try again in {wait // 60 + 1} minutes or ask your admin",
            wait,
        )


def verify_signin(
    session: Session, username: str, password: str, address: str, now: datetime
) -> Member | None:
    """The member if the password is right; else record the failure and give None."""
    username = username.strip().lower()
    member = session.exec(select(Member).where(Member.username == username)).first()
    stored = member.password_hash if member else _DUMMY_HASH
    good = check_password_hash(stored, password[:PASSWORD_MAX])
    if member is not None and good and member.active:
        member.failed_signins = 0
        member.locked_until = None
        session.add(member)
        return member

    session.add(SigninFailure(address=address, username=username[:80], at=now))
    if member is not None:
        member.failed_signins += 1
        if member.failed_signins >= ACCOUNT_FAILURES:
            member.locked_until = now + ACCOUNT_LOCK
            member.failed_signins = 0

        session.add(member)

    session.flush()
    return None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(
    session: Session, member: Member, now: datetime, previous: str | None = None
) -> tuple[str, MemberSession]:
    """A new session id for the member; the previous one (if any) ends."""
    if previous:
        end_session(session, previous)

    raw = secrets.token_urlsafe(32)
    row = MemberSession(
        id_hash=_digest(raw),
        member_id=row_id(member),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()

    return raw, row


def resolve_session(
    session: Session, raw: str, now: datetime
) -> tuple[MemberSession, Member] | None:
    """The live session and its member, or None when unknown, idle or too old."""
    row = session.get(MemberSession, _digest(raw))
    if row is None:
        return None

    member = session.get(Member, row.member_id)
    expired = (
        now - row.last_seen_at > SESSION_IDLE or now - row.created_at > SESSION_MAX
    )
    if expired or member is None or not member.active:
        session.delete(row)
        return None

    # Writing on every request would serialize page views on SQLite.
    if now - row.last_seen_at > SESSION_TOUCH:
        row.last_seen_at = now
        session.add(row)

    return row, member


def end_session(session: Session, raw: str) -> None:
    """Forget a session id."""
    session.execute(
        delete(MemberSession).where(MemberSession.id_hash == _digest(raw))  # type: ignore[arg-type]
    )


def create_token(
    session: Session, organization_id: int, name: str, role: str
) -> tuple[str, ApiToken]:
    """A new API token; the raw value is returned once and only its hash kept."""
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput("name", "give the token a name of 1 to 120 characters")

    organization = session.get(Organization, organization_id)
    allowed = ROLES_BY_KIND[organization.kind] if organization else ()
    if role not in allowed:
        raise InvalidInput(
            "role",
            f"role {role!r} does not exist here; use one of {', '.join(allowed)}",
        )

    check_lengths(ApiToken, {"name": name})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=organization_id, name=name, role=role, token_hash=_digest(raw)
    )
    session.add(token)
    session.flush()

    return raw, token


def resolve_token(session: Session, raw: str) -> Principal | None:
    """The principal of a live token, or None."""
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == _digest(raw.strip()))
    ).first()
    if token is None or token.revoked_at is not None:
        return None

    organization = session.get(Organization, token.organization_id)
    assert organization is not None

    return Principal(
        token.organization_id, organization.kind, token.role, f"token:{token.name}"
    )


def list_tokens(session: Session, organization_id: int) -> list[ApiToken]:
    """An organization's tokens, newest first, revoked ones included."""
    query = (
        select(ApiToken)
        .where(ApiToken.organization_id == organization_id)
        .order_by(ApiToken.id.desc())  # type: ignore[union-attr]
    )
    return list(session.exec(query))


def revoke_token(
    session: Session, organization_id: int, token_id: int, now: datetime
) -> ApiToken:
    """Revoke one of the organization's tokens; it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None or token.organization_id != organization_id:
        raise NotFound("token", token_id)

    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)
        session.flush()

    return token


def verify_password(member: Member, password: str) -> bool:
    """Whether the password is the member's."""
    return check_password_hash(member.password_hash, password[:PASSWORD_MAX])
