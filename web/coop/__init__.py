"""The pages co-ops and packing houses work in, under ``/coop/``."""

from __future__ import annotations

from flask import Flask, abort, request

# Uploads: a scanned inspection report (10 MiB) or an import sheet, with room
# for the form around it.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024


def register(app: Flask) -> None:
    """Register the co-op blueprints and their hooks on the app."""
    from appletrace.web.coop import (
        auth,
        certificates,
        dashboard,
        devices,
        i18n,
        imports,
        inspections,
        label_runs,
        lots,
        orchards,
        recalls,
        shipments,
        signin,
        users,
    )

    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    for module in (
        signin,
        dashboard,
        orchards,
        devices,
        lots,
        inspections,
        label_runs,
        certificates,
        recalls,
        shipments,
        imports,
        users,
    ):
        app.register_blueprint(module.bp, url_prefix="/coop")

    app.before_request(refuse_nul)
    i18n.install(app)
    auth.install(app)
    app.jinja_env.globals["blueprints"] = app.blueprints


def refuse_nul() -> None:
    """Answer 400 to a NUL character in the path, query or form (before each request).

    PostgreSQL cannot hold one in text and would fail with an error naming no
    field; no user types one.
    """
    if not (request.blueprint or "").startswith(("coop", "api")):
        return

    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()

    if any("\x00" in value for value in values):
        abort(400, "the request holds a NUL character; remove it")
