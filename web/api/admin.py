"""API for an organization's members and tokens (admins only)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from appletrace.trace import accounts
from appletrace.trace.models import ApiToken, Member
from appletrace.trace.types import utcnow
from appletrace.web.api import body, route
from appletrace.web.api.openapi import array, ref
from appletrace.web.api.registry import me_id
from appletrace.web.coop.pages import my_organization, transaction


def member_row(member: Member) -> dict[str, Any]:
    """A member without the password hash."""
    return {
        "username": member.username,
        "display_name": member.display_name,
        "role": member.role,
        "active": member.active,
    }


def token_row(token: ApiToken) -> dict[str, Any]:
    """A token without its hash."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "created_at": token.created_at.isoformat(),
        "revoked": token.revoked_at is not None,
    }


@route("/members", "get", "manage", answer=array(ref("Member")))
def list_members() -> Any:
    """The organization's members."""
    with transaction() as session:
        return jsonify([member_row(m) for m in accounts.list_members(session, me_id())])


@route(
    "/members",
    "post",
    "manage",
    answer=ref("Member"),
    status="201",
    body="MemberNew",
    errors=("401", "403", "409"),
)
def add_member() -> Any:
    """Add a member with a first password."""
    values = body("MemberNew")
    with transaction() as session:
        member = accounts.add_member(
            session,
            my_organization(session),
            values["username"],
            values["password"],
            values["role"],
            values.get("display_name", ""),
        )
        return jsonify(member_row(member)), 201


@route("/tokens", "get", "manage", answer=array(ref("Token")))
def list_tokens() -> Any:
    """The organization's API tokens, revoked ones included."""
    with transaction() as session:
        return jsonify([token_row(t) for t in accounts.list_tokens(session, me_id())])


@route(
    "/tokens",
    "post",
    "manage",
    answer=ref("Token"),
    status="201",
    body="TokenNew",
    errors=("401", "403"),
)
def add_token() -> Any:
    """Create a token; the answer's ``token`` is shown once."""
    values = body("TokenNew")
    with transaction() as session:
        raw, token = accounts.create_token(
            session, me_id(), values["name"], values["role"]
        )
        row = {**token_row(token), "token": raw}

    return jsonify(row), 201, {"Cache-Control": "no-store"}


@route("/tokens/{token_id}/revoke", "post", "manage", answer=ref("Token"))
def revoke_token(token_id: int) -> Any:
    """Revoke a token; it stops working at once."""
    with transaction() as session:
        token = accounts.revoke_token(session, me_id(), token_id, utcnow())
        return jsonify(token_row(token))
