"""The GS1 Digital Link resolver: the consumer page at the label's own address.

A phone gets the page at ``/01/{gtin}/10/{lot}/21/{serial}`` with no redirect. A
machine gets what a GS1 conformant resolver gives: a linkset for
``?linkType=all|linkset`` or ``Accept: application/linkset+json``, a 307 to one
link for ``?linkType=X`` (300 when several match, 404 when none), 400 for a
malformed address, HEAD, OPTIONS and CORS (GS1 Digital Link standard 1.1, §8).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, url_for
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from appletrace.trace.digital_link import DigitalLink, MalformedLink, parse_path
from appletrace.trace.models import LabelRun, Lot
from appletrace.trace.scans import (
    ScanCount,
    ScanRecord,
    ScanRecorder,
    StoredScans,
    coarse_place,
    user_agent_hash,
)
from appletrace.web import consumer, linkset, resolver_http
from appletrace.web.app import engine_of, settings_of
from appletrace.web.connections import ThreadConnections
from appletrace.web.consumer import LabelState, LotCache, LotView
from appletrace.web.consumer_text import LANGUAGES
from appletrace.web.resolver_http import (
    MALFORMED_ZH,
    UNKNOWN_EN,
    UNKNOWN_ZH,
    error_response,
    json_response,
    options_response,
)
from appletrace.web.serial_check import RunCache, check_serial

bp = Blueprint("resolver", __name__)

PLACE_HEADER = "X-Coarse-Place"
# The API's EPCIS export of a lot (web/api/records.py), taking ``code``. It asks
# for an API token: EPCIS documents are for regulators and buyers, whom the co-op
# gives one. An app built without the API leaves gs1:epcis out of the linkset.
EPCIS_ENDPOINT = "api.lot_epcis"


@dataclass(frozen=True)
class Found:
    """What an address names: a lot, and for a serial its label run and index."""

    link: DigitalLink
    lot: Lot
    run: LabelRun | None = None
    label_index: int | None = None


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    app.extensions["appletrace.scans"] = ScanRecorder(engine_of(app))
    settings = settings_of(app)
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    folder = settings.instance_path / "cache" / database
    app.extensions["appletrace.lots"] = LotCache(folder)
    app.extensions["appletrace.connections"] = ThreadConnections(engine_of(app))
    app.extensions["appletrace.runs"] = RunCache(settings.secret_key)


def run_cache(app: Flask) -> RunCache:
    """The app's label runs held in memory."""
    runs: RunCache = app.extensions["appletrace.runs"]
    return runs


def connections(app: Flask) -> ThreadConnections:
    """The app's per-thread connections for the resolver."""
    held: ThreadConnections = app.extensions["appletrace.connections"]
    return held


def close_resolver(app: Flask) -> None:
    """Store the queued scans and give the resolver's connections back."""
    scan_recorder(app).close()
    connections(app).close()


def scan_recorder(app: Flask) -> ScanRecorder:
    """The app's scan recorder (one writer thread per process)."""
    recorder: ScanRecorder = app.extensions["appletrace.scans"]
    return recorder


def lot_cache(app: Flask) -> LotCache:
    """The app's cache of rendered lots."""
    cache: LotCache = app.extensions["appletrace.lots"]
    return cache


@bp.after_request
def _public(response: Response) -> Response:
    # CORS on every public response (GS1 Digital Link 1.1 §8: SHALL support CORS).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Link, Location"
    return response


@bp.route("/01/<path:rest>", methods=["GET", "HEAD", "OPTIONS"])
def resolve(rest: str) -> Response:
    """Answer a Digital Link address: page, linkset, redirect or error."""
    if request.method == "OPTIONS":
        return options_response()

    want = _wanted()
    lang = choose_language()
    try:
        link = parse_path("/01/" + rest)
    except MalformedLink as error:
        return error_response(want, lang, 400, MALFORMED_ZH, error.message)

    # One connection for the whole request: the label's lookup, the lot (when
    # not cached) and the scan and recall read.
    with connections(current_app).connection() as connection:
        session = Session(bind=connection, expire_on_commit=False)
        found = find(session, link)
        if found is None:
            return error_response(want, lang, 404, UNKNOWN_ZH, UNKNOWN_EN)

        view = _lot_view(session, found)
        if link.serial is None and view.gtins and link.gtin not in view.gtins:
            return error_response(want, lang, 404, UNKNOWN_ZH, UNKNOWN_EN)

        anchor = request.host_url.rstrip("/") + link.path()
        if want == "page":
            return _page(found, view, anchor, lang, connection)

        if _voided(found, connection):
            return error_response(want, lang, 404, UNKNOWN_ZH, UNKNOWN_EN)

    return _links(want, anchor, _links_of(found, view, anchor))


def choose_language() -> str:
    """``?lang=`` if given, else the best of Accept-Language; Chinese by default."""
    asked = request.args.get("lang", "").lower()[:2]
    if asked in LANGUAGES:
        return asked

    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def _wanted() -> str:
    """'page', 'linkset' or a link type, from ?linkType= and Accept."""
    link_type = request.args.get("linkType")
    if link_type is not None:
        link_type = linkset.normalize_link_type(link_type)
        return "linkset" if link_type in linkset.ALL else link_type

    best = request.accept_mimetypes.best_match(["text/html", linkset.LINKSET_TYPE])
    return "linkset" if best == linkset.LINKSET_TYPE else "page"


def find(session: Session, link: DigitalLink) -> Found | None:
    """The lot (and label) an address names, or None when it names nothing."""
    if link.serial is not None:
        match = check_serial(session, run_cache(current_app), link)
        if match is None:
            return None

        return Found(link, match.lot, match.run, match.index)

    lot = session.exec(select(Lot).where(Lot.code == link.lot)).first()
    if lot is None:
        return None

    return Found(link, lot)


def _lot_view(session: Session, found: Found) -> LotView:
    timezone = settings_of(current_app).timezone
    # The lot's own edits change its updated_at and so the key; other changes
    # (orchard, inspections, late readings) show when the entry expires.
    lot = found.lot
    key = (int(lot.id or 0), found.run.id if found.run else None, lot.updated_at)
    view = lot_cache(current_app).get(
        key, lambda: consumer.build_lot_view(session, found.lot, found.run, timezone)
    )
    return view


def _page(
    found: Found, view: LotView, anchor: str, lang: str, connection: Connection
) -> Response:
    scans, state = _scan_and_state(found, connection)
    if state.voided:
        return error_response("page", lang, 404, UNKNOWN_ZH, UNKNOWN_EN)

    settings = settings_of(current_app)
    body = (
        consumer.render_head(lang)
        + consumer.render_verdict(lang, settings.timezone, scans, state.recall)
        + view.html[lang]
    )
    response = Response(body, mimetype="text/html")
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["Link"] = linkset.link_header(anchor, [])
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept, Accept-Language"

    return response


def _scan_and_state(
    found: Found, connection: Connection
) -> tuple[ScanCount | None, LabelState]:
    """Read the recall (and void) state; for a serial record this scan, counted."""
    lot_id = int(found.lot.id or 0)
    if found.run is None or found.label_index is None or found.link.serial is None:
        return None, LabelState(consumer.active_recall(connection, lot_id, None), False)

    run_id, index = int(found.run.id or 0), found.label_index
    serial = found.link.serial

    def read() -> tuple[StoredScans, LabelState]:
        return consumer.label_state(connection, lot_id, run_id, index, serial)

    scan = ScanRecord(
        label_run_id=run_id,
        label_index=index,
        serial=serial,
        scanned_at=datetime.now(UTC),
        place=coarse_place(request.headers.get(PLACE_HEADER)),
        user_agent_hash=user_agent_hash(
            request.headers.get("User-Agent", ""),
            settings_of(current_app).secret_key,
        ),
    )
    recorder = scan_recorder(current_app)
    if request.method == "HEAD":
        # A HEAD is no page view: it answers as a GET would, but records nothing.
        return recorder.peek(scan, read)

    # A voided label is no genuine scan: it gets the unknown-code page, unrecorded.
    return recorder.record(scan, read, accept=lambda state: not state.voided)


def _voided(found: Found, connection: Connection) -> bool:
    """Whether the label was voided (for answers other than the page)."""
    if found.run is None or found.label_index is None or found.link.serial is None:
        return False

    _, state = consumer.label_state(
        connection,
        int(found.lot.id or 0),
        int(found.run.id or 0),
        found.label_index,
        found.link.serial,
    )
    return state.voided


def _links_of(found: Found, view: LotView, anchor: str) -> list[linkset.Link]:
    """Every link of the address, in the order of ``linkset.LINK_TYPES``."""
    code = found.lot.code
    links = [
        linkset.Link(
            linkset.PIP,
            anchor,
            "产品信息 / Product information",
            "text/html",
            ("zh", "en"),
        ),
        linkset.Link(
            linkset.RECALL_STATUS,
            url_for("resolver.recall_status", code=code, _external=True),
            "召回状态 / Recall status",
            "application/json",
        ),
    ]
    for i in view.inspections:
        links.append(
            linkset.Link(
                linkset.CERTIFICATION_INFO,
                url_for("resolver.inspection", code=code, number=i.id, _external=True),
                f"{i.lab} {i.inspected_on.isoformat()}",
                "application/json",
            )
        )

    if EPCIS_ENDPOINT in current_app.view_functions:
        links.append(
            linkset.Link(
                linkset.EPCIS,
                url_for(EPCIS_ENDPOINT, code=code, _external=True),
                "EPCIS 2.0（需 API 令牌）/ EPCIS 2.0 (API token)",
                "application/ld+json",
            )
        )

    return links


def _links(want: str, anchor: str, links: list[linkset.Link]) -> Response:
    """The linkset (200), or one link type: 307 to it, 300 if several, 404 if none."""
    if want == "linkset":
        response = json_response(
            linkset.linkset(anchor, links), 200, linkset.LINKSET_TYPE
        )
    else:
        chosen = [link for link in links if link.link_type == want]
        if not chosen:
            known = ", ".join(sorted({link.link_type for link in links}))
            message = f"no link of type {want!r} for this item; it has: {known}"
            response = error_response("linkset", "en", 404, "", message)
        elif len(chosen) == 1:
            response = Response(status=307, headers={"Location": chosen[0].href})
        else:
            response = json_response(
                linkset.linkset(anchor, chosen), 300, linkset.LINKSET_TYPE
            )

    response.headers["Link"] = linkset.link_header(anchor, links)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"

    return response


bp.add_url_rule(
    "/.well-known/gs1resolver",
    view_func=resolver_http.resolver_description,
    methods=["GET", "HEAD", "OPTIONS"],
)
bp.add_url_rule(
    "/lot/<code>/recall",
    view_func=resolver_http.recall_status,
    methods=["GET", "HEAD"],
)
bp.add_url_rule(
    "/lot/<code>/inspections/<int:number>",
    view_func=resolver_http.inspection,
    methods=["GET", "HEAD"],
)
