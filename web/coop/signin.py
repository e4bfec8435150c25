"""Signing in and out, and changing one's password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for

from appletrace.trace import accounts
from appletrace.trace.errors import InvalidInput
from appletrace.trace.models import Member
from appletrace.trace.types import utcnow
from appletrace.web.coop.auth import client_address, public, requires, sign_in, sign_out
from appletrace.web.coop.pages import FormField, render, render_form, transaction

bp = Blueprint("coop_signin", __name__, template_folder="templates")

PASSWORD_FIELDS = [
    FormField(
        "current",
        "Password",
        "password",
        True,
        extra={"autocomplete": "current-password"},
    ),
    FormField("password", "New password", "password", True),
]


@bp.route("/signin", methods=["GET", "POST"])
@public
def signin() -> Any:
    """The sign-in form; a success starts a fresh session."""
    if request.method == "GET":
        return render("signin.html", values={})

    username = request.form.get("username", "")
    password = request.form.get("password", "")
    now = utcnow()
    with transaction() as session:
        try:
            accounts.check_signin_allowed(session, username, client_address(), now)
        except accounts.SigninLimited as error:
            return render("signin.html", 429, values=request.form, error=str(error))

        member = accounts.verify_signin(
            session, username, password, client_address(), now
        )
        if member is not None:
            sign_in(session, member)

    if member is None:
        return render(
            "signin.html", 401, values=request.form, error="Wrong username or password."
        )

    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    # Only a local path: an open redirect would let a link send people elsewhere.
    if (
        target
        and target.startswith("/coop/")
        and "//" not in target
        and "\\" not in target
    ):
        return target

    return url_for("coop_dashboard.dashboard")


@bp.route("/signout", methods=["POST"])
@public
def signout() -> Any:
    """End the session."""
    with transaction() as session:
        sign_out(session)

    return redirect(url_for("coop_signin.signin"))


@bp.route("/password", methods=["GET", "POST"])
@requires("view")
def password() -> Any:
    """Change one's own password."""
    if request.method == "GET":
        return render_form("Change password", PASSWORD_FIELDS, {})

    with transaction() as session:
        member = session.get(Member, g.member.id)
        assert member is not None
        try:
            if not accounts.verify_password(member, request.form.get("current", "")):
                raise InvalidInput("current", "the current password is wrong")

            accounts.set_password(session, member, request.form.get("password", ""))
        except InvalidInput as error:
            session.rollback()
            return render_form("Change password", PASSWORD_FIELDS, {}, error)

        sign_in(session, member)

    return redirect(url_for("coop_dashboard.dashboard"))
