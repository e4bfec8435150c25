"""The scanned apple's page without Flask: the one path that must be fast.

Nearly every request the resolver gets is a phone opening the page of a
genuine serial whose label run and lot were seen a moment ago. Through Flask
and SQLAlchemy such a page cost about 1.7 ms of CPU, most of it in the
framework (request and response objects, hooks, the ORM's result machinery)
rather than in the work. ``ScanPage`` sits in front of the Flask app and
answers exactly that case itself: it checks the serial against the runs the
resolver already holds in memory, takes the lot's rendered part from the lot
cache, reads the label's scans, void and recall with one prepared statement on
the thread's own database connection, queues the scan, and writes the
response.

Anything else goes to Flask unchanged: other paths, other methods, a query
other than ``lang``, a client that may want the linkset, a run or lot not yet
in memory (Flask loads it, so the next scan of it is fast), a serial that does
not verify and a voided label (Flask answers those with their error pages).
The two ways must answer alike; tests/web/test_scan_page.py compares their
bytes and headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask import Flask
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.selectable import TextualSelect
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.wsgi import get_host

from appletrace.trace.digital_link import MalformedLink, parse_path
from appletrace.trace.scans import ScanRecord, StoredScans, coarse_place
from appletrace.trace.scans import user_agent_hash as keyed_hash
from appletrace.web import consumer, linkset
from appletrace.web.consumer import LabelState, RecallNotice
from appletrace.web.consumer_text import LANGUAGES

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Headers every public resolver response carries (CORS: GS1 Digital Link 1.1 §8).
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Link, Location"),
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")
PLACE_ENVIRON = "HTTP_X_COARSE_PLACE"


class ScanPage:
    """WSGI middleware: a genuine serial's page answered here, all else by Flask."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        from appletrace.web.app import engine_of, settings_of

        self.app = app
        self.next = wsgi_app
        self.settings = settings_of(app)
        self.dialect = engine_of(app).dialect
        self.label_sql = _Statement(consumer.LABEL_SQL, self.dialect)
        self.env = app.jinja_env
        # Pages answered here rather than by Flask (for tests and the benchmark).
        self.answered = 0

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        answer = None
        if environ.get("REQUEST_METHOD") == "GET":
            path = environ.get("PATH_INFO", "")
            if path.startswith("/01/"):
                answer = self._answer(environ, path)

        if answer is None:
            return self.next(environ, start_response)

        status, headers, body = answer
        self.answered += 1
        start_response(status, headers)
        return [body]

    def _answer(
        self, environ: dict[str, Any], path: str
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The page as (status, headers, body), or None to let Flask answer."""
        lang = _query_language(environ.get("QUERY_STRING", ""))
        if lang is None or "linkset" in environ.get("HTTP_ACCEPT", ""):
            return None

        try:
            link = parse_path(path)
        except MalformedLink:
            return None

        serial = link.serial
        if serial is None:
            return None

        from appletrace.web.resolver import (
            connections,
            lot_cache,
            run_cache,
            scan_recorder,
        )
        from appletrace.web.serial_check import check_known_serial

        match = check_known_serial(run_cache(self.app), link)
        if match is None:
            return None

        run_id, lot_id = int(match.run.id or 0), int(match.lot.id or 0)
        view = lot_cache(self.app).peek((lot_id, run_id, match.lot.updated_at))
        if view is None:
            return None

        lang = lang or _header_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        scan = ScanRecord(
            label_run_id=run_id,
            label_index=match.index,
            serial=serial,
            scanned_at=datetime.now(UTC),
            place=coarse_place(environ.get(PLACE_ENVIRON)),
            user_agent_hash=_agent_hash(
                environ.get("HTTP_USER_AGENT", ""), self.settings.secret_key
            ),
        )
        params = {"serial": serial, "run": run_id, "lot": lot_id, "index": match.index}

        with connections(self.app).connection() as connection:

            def read() -> tuple[StoredScans, LabelState]:
                return _label_state(self.label_sql.run(connection, params))

            scans, state = scan_recorder(self.app).record(
                scan, read, accept=lambda state: not state.voided
            )

        if state.voided:
            return None

        secure = environ.get("wsgi.url_scheme") == "https"
        root = environ.get("SCRIPT_NAME", "").rstrip("/")
        host = get_host(environ)
        anchor = f"{environ['wsgi.url_scheme']}://{host}{root}{link.path()}"
        body = (
            consumer.render_head(lang, self.env)
            + consumer.render_verdict(
                lang, self.settings.timezone, scans, state.recall, self.env
            )
            + view.html[lang]
        ).encode()

        return "200 OK", page_headers(lang, anchor, len(body), secure), body


def page_headers(
    lang: str, anchor: str, length: int, secure: bool
) -> list[tuple[str, str]]:
    """The consumer page's headers, as the Flask path also sends them."""
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(length)),
        ("Content-Language", "zh-CN" if lang == "zh" else "en"),
        ("Link", linkset.link_header(anchor, [])),
        ("Cache-Control", "no-store"),
        ("Vary", "Accept, Accept-Language"),
        *CORS_HEADERS,
        *SECURITY_HEADERS,
    ]
    if secure:
        headers.append(HSTS)

    return headers


def _query_language(query: str) -> str | None:
    """'' for no query, the language of ``lang=xx``; None for any other query.

    The resolver reads ``?lang=`` as its first two letters, lower-cased, and
    falls back on Accept-Language when they name no language of the page.
    """
    if not query:
        return ""

    name, equals, value = query.partition("=")
    if name != "lang" or not equals or "&" in value or "%" in value or "+" in value:
        return None

    value = value.lower()[:2]
    return value if value in LANGUAGES else ""


@lru_cache(maxsize=512)
def _header_language(header: str) -> str:
    """The best page language for an Accept-Language value; Chinese by default."""
    accept = parse_accept_header(header, LanguageAccept)
    return accept.best_match(LANGUAGES, default="zh") or "zh"


@lru_cache(maxsize=4096)
def _agent_hash(user_agent: str, key: str) -> str:
    # Phones of one make send the same string: hash each string once.
    return keyed_hash(user_agent, key)


def _label_state(row: tuple[Any, ...]) -> tuple[StoredScans, LabelState]:
    scanned_at, place, reason, recalled_at, run_id, count, voided = row
    recall = None
    if reason is not None:
        recall = RecallNotice(reason, recalled_at, run_id)

    return StoredScans(int(count), scanned_at, place or ""), LabelState(
        recall, bool(voided)
    )


class _Statement:
    """A ``text()`` query compiled once for the dialect, run on the DB-API cursor.

    SQLAlchemy's execute path costs more CPU than the query itself takes in
    PostgreSQL; the statement's result types still convert the values, as
    SQLAlchemy would.
    """

    def __init__(self, clause: TextualSelect, dialect: Dialect) -> None:
        compiled = clause.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positions = compiled.positiontup if compiled.positional else None
        self.prepare = dialect.driver == "psycopg"
        self.types = {column.name: column.type for column in clause.selected_columns}
        self.dialect = dialect
        self.converters: list[Any] | None = None

    def run(self, connection: Connection, params: dict[str, Any]) -> tuple[Any, ...]:
        """The one row of the query, converted to Python values."""
        dbapi: Any = connection.connection.driver_connection
        values: Any = params
        if self.positions is not None:
            values = tuple(params[name] for name in self.positions)

        cursor = dbapi.cursor()
        try:
            if self.prepare:
                cursor.execute(self.sql, values, prepare=True)
            else:
                cursor.execute(self.sql, values)

            row = cursor.fetchone()
            converters = self.converters or self._converters(cursor.description)
        finally:
            cursor.close()

        return tuple(
            value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, row, strict=True)
        )

    def _converters(self, description: Any) -> list[Any]:
        """Each result column's converter, by name, from the statement's types."""
        converters = []
        for column in description:
            kind = self.types.get(column[0])
            converters.append(
                kind
                and kind.dialect_impl(self.dialect).result_processor(self.dialect, None)
            )

        self.converters = converters
        return converters
