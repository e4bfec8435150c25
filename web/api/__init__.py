"""The JSON API under ``/api/``: token auth, one error shape, an OpenAPI document.

Each view is declared once with ``route``: that registers the Flask rule, its
authorization rule and its operation in the document at ``/api/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, abort, g, jsonify, request

from appletrace.trace import accounts
from appletrace.trace.db import session_scope
from appletrace.trace.errors import InvalidInput
from appletrace.web.api import openapi, validate
from appletrace.web.app import engine_of
from appletrace.web.coop.auth import public, requires

bp = Blueprint("api", __name__, url_prefix="/api")
PATHS: dict[str, dict[str, Any]] = {}
_PARAM = re.compile(r"{(\w+)}")


def _flask_rule(path: str) -> str:
    def convert(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_id") and name != "device_id":
            return f"<int(max={openapi.MAX_ID}):{name}>"

        return f"<{name}>"

    return _PARAM.sub(convert, path)


def route(
    path: str, method: str, capability: str, **spec: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view under /api{path} for one method, documented by ``spec``."""
    names = _PARAM.findall(path)
    if names:
        spec.setdefault("parameters", [openapi.PARAMS[n] for n in names])

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        guarded = requires(capability)(view)
        endpoint = f"{view.__name__}"
        bp.add_url_rule(_flask_rule(path), endpoint, guarded, methods=[method.upper()])
        summary = (view.__doc__ or "").strip()
        PATHS.setdefault(f"/api{path}", {})[method.lower()] = openapi.operation(
            summary, **spec
        )
        return guarded

    return decorate


def body(schema: str) -> dict[str, Any]:
    """The request's JSON body, checked against a published schema."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("body", f"send a JSON object ({schema}) as application/json")

    checked: dict[str, Any] = validate.check(openapi.SCHEMAS[schema], data, schema)
    return checked


def load_token() -> None:
    """Find the principal of the bearer token, if any (before each API request)."""
    g.principal = None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return

    if len(raw) > 200 or not raw.isascii():
        abort(401, "the API token is not valid")

    with session_scope(engine_of_app()) as session:
        g.principal = accounts.resolve_token(session, raw)

    if g.principal is None:
        abort(401, "the API token is not valid or was revoked")


def engine_of_app() -> Any:
    """The current app's database engine."""
    from flask import current_app

    return engine_of(current_app)


bp.before_request(load_token)


@bp.route("/openapi.json")
@public
def openapi_json() -> Any:
    """The OpenAPI 3 document of this API."""
    doc = openapi.document(PATHS)
    doc["paths"]["/api/openapi.json"] = {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "The document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return jsonify(doc)


def register(app: Flask) -> None:
    """Register the API blueprint (with its views) on the app."""
    from appletrace.web.api import (  # noqa: F401 - adds routes
        admin,
        labels,
        records,
        registry,
        work,
    )

    app.register_blueprint(bp)
