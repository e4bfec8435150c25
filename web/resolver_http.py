"""The resolver's plain HTTP answers: errors, JSON, OPTIONS, and the lot's
machine-readable resources (gs1:recallStatus, gs1:certificationInfo) and the
resolver description. Routes are registered on the resolver's blueprint.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request
from sqlmodel import Session, select

from appletrace.trace.models import Inspection, Lot
from appletrace.web import consumer, linkset
from appletrace.web.app import engine_of

ALLOWED = "GET, HEAD, OPTIONS"


def options_response() -> Response:
    """204 to OPTIONS: the methods allowed and the CORS headers."""
    response = Response(status=204)
    response.headers["Allow"] = ALLOWED
    response.headers["Access-Control-Allow-Methods"] = ALLOWED
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


MALFORMED_ZH = "这不是有效的溯源码地址，请重新扫描苹果上的二维码。"
UNKNOWN_ZH = "我们的记录里没有这个码。它可能被抄错，也可能是仿冒的：请向卖家核实。"
UNKNOWN_EN = (
    "This code is not in our records. It may have been mistyped or may not be "
    "ours: please check with the seller."
)


def error_response(want: str, lang: str, status: int, zh: str, en: str) -> Response:
    """An error as a short page for people or the API's JSON for machines."""
    if want != "page":
        from appletrace.web.errors import error_body

        code = "malformed" if status == 400 else "not_found"
        return json_response(error_body(status, code, en), status, "application/json")

    response = Response(
        consumer.render_error(lang, status, zh, en),
        status=status,
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def json_response(value: Any, status: int, mimetype: str) -> Response:
    """A compact JSON body (UTF-8 kept as is) with this status and type."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype=mimetype)


def resolver_description() -> Response:
    """What this resolver supports (GS1 Digital Link 1.1 §8.7)."""
    if request.method == "OPTIONS":
        return options_response()

    root = request.host_url.rstrip("/")
    return json_response(linkset.resolver_description(root), 200, "application/json")


def recall_status(code: str) -> Response:
    """gs1:recallStatus: whether a lot (or any of its label runs) is recalled."""
    with Session(engine_of(current_app)) as session:
        lot = session.exec(select(Lot).where(Lot.code == code.upper())).first()
        if lot is None:
            return error_response("json", "en", 404, "", f"no lot {code!r}")

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
    return json_response(body, 200, "application/json")


def inspection(code: str, number: int) -> Response:
    """gs1:certificationInfo: one inspection of a lot."""
    with Session(engine_of(current_app)) as session:
        row = session.exec(
            select(Inspection, Lot)
            .join(Lot, Inspection.lot_id == Lot.id)  # type: ignore[arg-type]
            .where(Lot.code == code.upper(), Inspection.id == number)
        ).first()

    if row is None:
        return error_response(
            "json", "en", 404, "", f"no inspection {number} of lot {code!r}"
        )

    found, lot = row
    body = {
        "lot": lot.code,
        "lab": found.lab,
        "inspected_on": found.inspected_on.isoformat(),
        "passed": found.passed,
        "residues": json.loads(found.residues or "[]"),
        "notes": found.notes,
    }
    return json_response(body, 200, "application/json")
