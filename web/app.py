"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.engine import Engine

from appletrace.trace.db import get_engine
from appletrace.trace.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings default to the environment's."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        APPLETRACE_SETTINGS=settings,
        JSON_AS_ASCII=False,
    )
    app.extensions["appletrace.engine"] = get_engine(settings)
    app.after_request(_security_headers)

    from appletrace.web import api, coop, errors
    from appletrace.web.resolver import bp as resolver_bp

    errors.register(app)
    app.register_blueprint(resolver_bp)
    coop.register(app)
    api.register(app)

    from appletrace.web.scan_page import ScanPage

    # The page of a scanned serial, answered before Flask (web/scan_page.py).
    app.wsgi_app = ScanPage(app, app.wsgi_app)  # type: ignore[method-assign]

    return app


def engine_of(app: Flask) -> Engine:
    """The app's database engine."""
    engine: Engine = app.extensions["appletrace.engine"]
    return engine


def settings_of(app: Flask) -> Settings:
    """The app's settings."""
    settings: Settings = app.config["APPLETRACE_SETTINGS"]
    return settings


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")

    return response
