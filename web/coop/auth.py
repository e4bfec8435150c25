"""Who is asking: the session cookie, CSRF tokens, and the rules on each view.

Every view of the co-op pages and of the API carries a rule: ``public`` or
``requires(capability)``. A view without one is refused (and the authorization
test walks the URL map to catch it before it ships).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, g, redirect, request, url_for
from sqlmodel import Session

from appletrace.trace import accounts
from appletrace.trace.accounts import Principal
from appletrace.trace.db import session_scope
from appletrace.trace.models import Member
from appletrace.trace.types import utcnow
from appletrace.web.app import engine_of

SESSION_COOKIE = "appletrace_session"
CSRF_COOKIE = "appletrace_csrf"
CSRF_FIELD = "csrf_token"
RULE_ATTRIBUTE = "appletrace_rule"

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as open to anyone (sign-in page, API description)."""
    setattr(view, RULE_ATTRIBUTE, "public")
    return view


def requires(capability: str) -> Callable[[F], F]:
    """Let a view run only for a signed-in member (or token) with the capability."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal: Principal | None = g.get("principal")
            if principal is None:
                if request.blueprint == "api":
                    abort(401, "give an API token: Authorization: Bearer at_…")

                return redirect(url_for("coop_signin.signin", next=request.full_path))

            if not principal.can(capability):
                abort(403, f"your role ({principal.role}) may not do this")

            return view(*args, **kwargs)

        setattr(guarded, RULE_ATTRIBUTE, capability)
        return guarded  # type: ignore[return-value]

    return decorate


def rule_of(view: Callable[..., Any]) -> str | None:
    """The rule a view was marked with, or None."""
    return getattr(view, RULE_ATTRIBUTE, None)


def load_session() -> None:
    """Find the signed-in member from the session cookie (before each request)."""
    g.principal = None
    g.member = None
    g.csrf = None
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or not ours():
        return

    with session_scope(engine_of_app()) as session:
        found = accounts.resolve_session(session, raw, utcnow())
        if found is None:
            g.drop_session = True
            return

        row, member = found
        g.member = member
        g.csrf = row.csrf_token
        g.principal = accounts.principal_of(session, member)


def ours() -> bool:
    """Whether the request is for the co-op pages (not the API or the resolver)."""
    return (request.blueprint or "").startswith("coop")


def engine_of_app() -> Any:
    """The current app's database engine."""
    from flask import current_app

    return engine_of(current_app)


def csrf_token() -> str:
    """The token forms must carry: the session's, or a cookie's before sign-in."""
    if g.get("csrf"):
        return str(g.csrf)

    token = request.cookies.get(CSRF_COOKIE) or g.get("new_csrf")
    if not token:
        token = g.new_csrf = secrets.token_urlsafe(32)

    return str(token)


def check_csrf() -> None:
    """Refuse a form post whose token does not match (before each request)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not ours():
        return

    expected = g.get("csrf") or request.cookies.get(CSRF_COOKIE)
    given = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected), given):
        abort(400, "the form has expired or did not come from this site; reload it")


def set_cookies(response: Response) -> Response:
    """Write or drop the cookies this request decided on (after each request)."""
    if g.get("new_session"):
        _cookie(response, SESSION_COOKIE, g.new_session)
    elif g.get("drop_session"):
        response.delete_cookie(
            SESSION_COOKIE, secure=True, httponly=True, samesite="Lax"
        )

    if g.get("new_csrf") and not g.get("csrf"):
        _cookie(response, CSRF_COOKIE, g.new_csrf)

    return response


def _cookie(response: Response, name: str, value: str) -> None:
    # No max_age: the cookie ends with the browser; the server ends idle ones.
    response.set_cookie(
        name, value, secure=True, httponly=True, samesite="Lax", path="/"
    )


def sign_in(session: Session, member: Member) -> None:
    """Start a new session for the member, ending the one the browser had."""
    raw, row = accounts.start_session(
        session, member, utcnow(), previous=request.cookies.get(SESSION_COOKIE)
    )
    g.new_session = raw
    g.csrf = row.csrf_token


def sign_out(session: Session) -> None:
    """End the browser's session."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.end_session(session, raw)

    g.drop_session = True


def client_address() -> str:
    """The client's address for sign-in limits (the proxy must set REMOTE_ADDR)."""
    return (request.remote_addr or "unknown")[:64]


def install(app: Flask) -> None:
    """Install the hooks that load sessions, check CSRF and write cookies."""
    app.before_request(load_session)
    app.before_request(check_csrf)
    app.after_request(set_cookies)
    app.jinja_env.globals["csrf_token"] = csrf_token
