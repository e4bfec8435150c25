"""Error responses: one JSON shape for the API, a short page for people."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from appletrace.trace.errors import Conflict, InvalidInput, NotFound


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict:
    """The API's one error shape: {"error": {"status", "code", "message", "field"}}."""
    error: dict[str, object] = {"status": status, "code": code, "message": message}
    if field is not None:
        error["field"] = field

    return {"error": error}


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON."""
    if request.path.startswith("/api/"):
        return True

    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _respond(
    status: int, code: str, message: str, field: str | None = None
) -> Response:
    if wants_json():
        response = jsonify(error_body(status, code, message, field))
    else:
        response = Response(
            f"<!doctype html><meta charset=utf-8><title>{status}</title>"
            f"<p>{_escape(message)}</p>",
            mimetype="text/html",
        )

    response.status_code = status
    return response


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def register(app: Flask) -> None:
    """Install handlers so no error leaks a stack trace."""

    @app.errorhandler(InvalidInput)
    def invalid(error: InvalidInput) -> Response:
        return _respond(400, "invalid", error.message, error.field)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> Response:
        return _respond(409, "conflict", str(error), error.field)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        return _respond(404, "not_found", str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return _respond(
            status, error.name.lower().replace(" ", "_"), error.description or ""
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "internal", "internal error; it has been logged")
