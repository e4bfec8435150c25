"""Members and API tokens of the organization, for its admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from appletrace.trace import accounts
from appletrace.trace.errors import AppletraceError
from appletrace.trace.types import utcnow
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    my_organization,
    render,
    render_form,
    text,
    transaction,
)

bp = Blueprint("coop_users", __name__, template_folder="templates")


def role_options() -> tuple[tuple[str, str], ...]:
    """The roles this kind of organization has."""
    return tuple((r, r) for r in accounts.ROLES_BY_KIND[me().organization_kind])


def member_fields() -> list[FormField]:
    """The form to add a member."""
    return [
        FormField("username", "Username", required=True, help="13800000000"),
        FormField("display_name", "Display name"),
        FormField("role", "Role", "select", True, role_options()),
        FormField("password", "Password", "password", True),
    ]


@bp.route("/members")
@requires("manage")
def members() -> Any:
    """The organization's members."""
    with transaction() as session:
        found = accounts.list_members(session, me().organization_id)

    return render("members.html", members=found, roles=role_options())


@bp.route("/members/new", methods=["GET", "POST"])
@requires("manage")
def new_member() -> Any:
    """Add a member with a first password."""
    if request.method == "GET":
        return render_form(
            "Add member", member_fields(), {"role": "farmer"}, submit="Add"
        )

    try:
        with transaction() as session:
            accounts.add_member(
                session,
                my_organization(session),
                text("username"),
                request.form.get("password", ""),
                text("role"),
                text("display_name"),
            )
    except AppletraceError as error:
        return render_form(
            "Add member", member_fields(), request.form, error, submit="Add"
        )

    return redirect(url_for(".members"))


@bp.route("/members/<username>", methods=["POST"])
@requires("manage")
def update_member(username: str) -> Any:
    """Change a member's role or switch the account on or off."""
    active = request.form.get("active")
    with transaction() as session:
        accounts.update_member(
            session,
            me().organization_id,
            username,
            role=request.form.get("role") or None,
            active=None if active is None else active == "1",
        )

    return redirect(url_for(".members"))


@bp.route("/tokens")
@requires("manage")
def tokens() -> Any:
    """The organization's API tokens."""
    with transaction() as session:
        found = accounts.list_tokens(session, me().organization_id)

    return render("tokens.html", tokens=found, roles=role_options(), created=None)


@bp.route("/tokens/new", methods=["POST"])
@requires("manage")
def new_token() -> Any:
    """Create a token; its value is shown once."""
    with transaction() as session:
        raw, _token = accounts.create_token(
            session, me().organization_id, text("name"), text("role")
        )
        found = accounts.list_tokens(session, me().organization_id)

    body, status = render(
        "tokens.html", tokens=found, roles=role_options(), created=raw
    )
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("manage")
def revoke_token(token_id: int) -> Any:
    """Revoke a token; it stops working at once."""
    with transaction() as session:
        accounts.revoke_token(session, me().organization_id, token_id, utcnow())

    return redirect(url_for(".tokens"))
