"""The GS1 Digital Link resolver: the consumer page at the label's own address.

A phone gets the page at ``/01/{gtin}/10/{lot}/21/{serial}`` with no redirect. A
machine gets what a GS1 conformant resolver gives: a linkset for
``?linkType=all|linkset`` or ``Accept: application/linkset+json``, a 307 to one
link for ``?linkType=X`` (300 when several match, 404 when none), 400 for a
malformed address, HEAD, OPTIONS and CORS (GS1 Digital Link standard 1.1, §8).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, url_for
from sqlmodel import Session, select

from appletrace.trace.digital_link import DigitalLink, MalformedLink, parse_path
from appletrace.trace.models import Inspection, LabelRun, Lot
from appletrace.trace.scans import (
    ScanCount,
    ScanRecord,
    ScanRecorder,
    coarse_place,
    stored_scans,
    user_agent_hash,
)
from appletrace.web import consumer, linkset
from appletrace.web.app import engine_of, settings_of
from appletrace.web.consumer import LotCache, LotView, RecallNotice
from appletrace.web.consumer_text import LANGUAGES

bp = Blueprint("resolver", __name__)

PLACE_HEADER = "X-Coarse-Place"
ALLOWED = "GET, HEAD, OPTIONS"
# Filled in by the part that serves EPCIS documents (issue 7): an endpoint taking
# ``code`` (the lot). While no such endpoint exists the linkset leaves gs1:epcis out.
EPCIS_ENDPOINT = "exports.lot_epcis"


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
    app.extensions["appletrace.lots"] = LotCache()


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
        return _options()

    want = _wanted()
    lang = choose_language()
    try:
        link = parse_path("/01/" + rest)
    except MalformedLink as error:
        return _error(want, lang, 400, _MALFORMED_ZH, error.message)

    with Session(engine_of(current_app), expire_on_commit=False) as session:
        found = find(session, link)
        if found is None:
            return _error(want, lang, 404, _UNKNOWN_ZH, _UNKNOWN_EN)

        view = _lot_view(session, found)

    if link.serial is None and view.gtins and link.gtin not in view.gtins:
        return _error(want, lang, 404, _UNKNOWN_ZH, _UNKNOWN_EN)

    anchor = request.host_url.rstrip("/") + link.path()
    if want == "page":
        return _page(found, view, anchor, lang)

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
        from appletrace.trace.label_runs import verify_serial

        match = verify_serial(session, link, settings_of(current_app).secret_key)
        if match is None or match.voided:
            return None

        return Found(link, match.lot, match.run, match.index)

    lot = session.exec(select(Lot).where(Lot.code == link.lot)).first()
    if lot is None:
        return None

    return Found(link, lot)


def _lot_view(session: Session, found: Found) -> LotView:
    timezone = settings_of(current_app).timezone
    key = (int(found.lot.id or 0), found.run.id if found.run else None)
    view = lot_cache(current_app).get(
        key, lambda: consumer.build_lot_view(session, found.lot, found.run, timezone)
    )
    return view


def _page(found: Found, view: LotView, anchor: str, lang: str) -> Response:
    scans, recall = _scan_and_recall(found)
    settings = settings_of(current_app)
    body = (
        _head(lang)
        + consumer.render_verdict(lang, settings.timezone, scans, recall)
        + view.html[lang]
    )
    response = Response(body, mimetype="text/html")
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["Link"] = linkset.link_header(anchor, [])
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept, Accept-Language"

    return response


def _scan_and_recall(found: Found) -> tuple[ScanCount | None, RecallNotice | None]:
    """Read the recall state, and for a serial record this scan and count it."""
    engine = engine_of(current_app)
    lot_id = int(found.lot.id or 0)
    run_id = found.run.id if found.run else None

    if found.run is None or found.label_index is None or found.link.serial is None:
        with engine.connect() as connection:
            return None, consumer.active_recall(connection, lot_id, None)

    serial = found.link.serial

    def read() -> tuple[Any, RecallNotice | None]:
        with engine.connect() as connection:
            return (
                stored_scans(connection, int(run_id or 0), serial),
                consumer.active_recall(connection, lot_id, run_id),
            )

    scan = ScanRecord(
        label_run_id=int(run_id or 0),
        label_index=found.label_index,
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

    return recorder.record(scan, read)


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
                "EPCIS 2.0",
                "application/ld+json",
            )
        )

    return links


def _links(want: str, anchor: str, links: list[linkset.Link]) -> Response:
    """The linkset (200), or one link type: 307 to it, 300 if several, 404 if none."""
    if want == "linkset":
        response = _json(linkset.linkset(anchor, links), 200, linkset.LINKSET_TYPE)
    else:
        chosen = [link for link in links if link.link_type == want]
        if not chosen:
            known = ", ".join(sorted({link.link_type for link in links}))
            message = f"no link of type {want!r} for this item; it has: {known}"
            response = _error("linkset", "en", 404, "", message)
        elif len(chosen) == 1:
            response = Response(status=307, headers={"Location": chosen[0].href})
        else:
            response = _json(linkset.linkset(anchor, chosen), 300, linkset.LINKSET_TYPE)

    response.headers["Link"] = linkset.link_header(anchor, links)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"

    return response


def _options() -> Response:
    response = Response(status=204)
    response.headers["Allow"] = ALLOWED
    response.headers["Access-Control-Allow-Methods"] = ALLOWED
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


_MALFORMED_ZH = "这不是有效的溯源码地址，请重新扫描苹果上的二维码。"
_UNKNOWN_ZH = "我们的记录里没有这个码。它可能被抄错，也可能是仿冒的：请向卖家核实。"
_UNKNOWN_EN = (
    "This code is not in our records. It may have been mistyped or may not be "
    "ours: please check with the seller."
)


def _error(want: str, lang: str, status: int, zh: str, en: str) -> Response:
    """An error as a short page for people or the API's JSON for machines."""
    if want != "page":
        from appletrace.web.errors import error_body

        code = "malformed" if status == 400 else "not_found"
        return _json(error_body(status, code, en), status, "application/json")

    response = Response(
        consumer.render_error(lang, status, zh, en), status=status, mimetype="text/html"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(value: Any, status: int, mimetype: str) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype=mimetype)


_heads: dict[str, str] = {}


def _head(lang: str) -> str:
    head = _heads.get(lang)
    if head is None:
        head = _heads[lang] = consumer.render_head(lang)

    return head


@bp.route("/.well-known/gs1resolver", methods=["GET", "HEAD", "OPTIONS"])
def resolver_description() -> Response:
    """What this resolver supports (GS1 Digital Link 1.1 §8.7)."""
    if request.method == "OPTIONS":
        return _options()

    root = request.host_url.rstrip("/")
    return _json(linkset.resolver_description(root), 200, "application/json")


@bp.route("/lot/<code>/recall", methods=["GET", "HEAD"])
def recall_status(code: str) -> Response:
    """gs1:recallStatus: whether a lot (or any of its label runs) is recalled."""
    with Session(engine_of(current_app)) as session:
        lot = session.exec(select(Lot).where(Lot.code == code.upper())).first()
        if lot is None:
            return _error("json", "en", 404, "", f"no lot {code!r}")

        rows = consumer.active_recalls(session.connection(), int(lot.id or 0))

    body = {
        "lot": lot.code,
        "recalled": bool(rows),
        "recalls": [
            {
                "reason": r.reason,
                "recalled_at": r.recalled_at.isoformat(),
                "label_run": r.label_run_id,
            }
            for r in rows
        ],
    }
    return _json(body, 200, "application/json")


@bp.route("/lot/<code>/inspections/<int:number>", methods=["GET", "HEAD"])
def inspection(code: str, number: int) -> Response:
    """gs1:certificationInfo: one inspection of a lot."""
    with Session(engine_of(current_app)) as session:
        row = session.exec(
            select(Inspection, Lot)
            .join(Lot, Inspection.lot_id == Lot.id)  # type: ignore[arg-type]
            .where(Lot.code == code.upper(), Inspection.id == number)
        ).first()

    if row is None:
        return _error("json", "en", 404, "", f"no inspection {number} of lot {code!r}")

    found, lot = row
    body = {
        "lot": lot.code,
        "lab": found.lab,
        "inspected_on": found.inspected_on.isoformat(),
        "passed": found.passed,
        "residues": json.loads(found.residues or "[]"),
        "notes": found.notes,
    }
    return _json(body, 200, "application/json")
