"""Label runs: a packing house creates one for a shared lot, prints, reprints, voids."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    request,
    url_for,
)
from sqlalchemy import or_
from sqlmodel import Session, select

from appletrace.trace import label_runs as run_service
from appletrace.trace import lots as lot_service
from appletrace.trace.accounts import Principal
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.models import LabelRun, Lot, Organization
from appletrace.web.app import settings_of
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    number,
    render,
    render_form,
    text,
    transaction,
)

bp = Blueprint("coop_label_runs", __name__, template_folder="templates")

ZPL_DPIS = (203, 300)
FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "zpl": ("application/vnd.zebra-zpl", "zpl"),
}
TEMPLATES = (
    ("a4-rect", "a4-rect"),
    ("fruit-a4", "fruit-a4"),
    ("roll-25x25", "roll-25x25"),
    ("roll-50x30", "roll-50x30"),
)
_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def run_fields() -> list[FormField]:
    """The form to create a run."""
    return [
        FormField("count", "Count", "number", True, step="1", help="1000"),
        FormField("gtin", "GTIN", help="06901234567892"),
        FormField("template", "Template", "select", True, TEMPLATES),
        FormField("short", "Short address (without the lot)", "check"),
    ]


def visible_runs(organization_id: int) -> Any:
    """Runs a packing house made, or of lots a co-op owns."""
    owned_lots = select(Lot.id).where(Lot.organization_id == organization_id)
    return or_(
        LabelRun.organization_id == organization_id,  # type: ignore[arg-type]
        LabelRun.lot_id.in_(owned_lots),  # type: ignore[attr-defined]
    )


def get_run(
    session: Session, principal: Principal, run_id: int, printing: bool = False
) -> LabelRun:
    """A run this organization may see (or, ``printing``, the one that made it)."""
    query = select(LabelRun).where(LabelRun.id == run_id)
    query = (
        query.where(LabelRun.organization_id == principal.organization_id)
        if printing
        else query.where(visible_runs(principal.organization_id))
    )
    run = session.exec(query).first()
    if run is None:
        raise run_service.RunNotFound(run_id)

    return run


def parse_indexes(value: str) -> list[int]:
    """Label numbers written as ``3, 7-9``."""
    found: list[int] = []
    for part in value.replace("，", ",").split(","):
        if not part.strip():
            continue

        match = _RANGE.fullmatch(part)
        if match is None:
            raise InvalidInput(
                "indexes", f"{part.strip()!r} is not a label number or a range like 7-9"
            )

        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low or high - low > 10_000:
            raise InvalidInput(
                "indexes", f"range {part.strip()!r} is backwards or too long"
            )

        found.extend(range(low, high + 1))

    if not found:
        raise InvalidInput("indexes", "give label numbers, e.g. 3, 7-9")

    return sorted(set(found))


def _coop_gtin(session: Session, lot: Lot) -> str:
    coop = session.get(Organization, lot.organization_id)
    return (coop.gtin if coop else None) or ""


def create_run(
    session: Session, principal: Principal, code: str, values: dict[str, Any]
) -> LabelRun:
    """Create a run of a lot shared with this packing house."""
    lot = lot_service.get_visible_lot(session, code, principal.organization_id)
    house = session.get(Organization, principal.organization_id)
    assert house is not None
    count = values.get("count")
    if not isinstance(count, int):
        raise InvalidInput("count", "give the number of labels, e.g. 1000")

    gtin = values.get("gtin") or run_service.default_gtin(session, lot)
    return run_service.create_label_run(
        session,
        lot,
        house,
        gtin,
        count,
        principal.actor,
        settings_of(current_app).secret_key,
        template=values.get("template") or run_service.DEFAULT_TEMPLATE,
        short=bool(values.get("short")),
    )


def labels_response(
    session: Session, run: LabelRun, fmt: str, start: int | None, stop: int | None
) -> Response:
    """The run's labels (or a range) as a PDF or ZPL download, streamed."""
    from appletrace.labels.render import check_job, render
    from appletrace.labels.runs import make_job

    if fmt not in FORMATS:
        raise InvalidInput("format", f"format {fmt!r} is not pdf or zpl")

    settings = settings_of(current_app)
    job = make_job(
        session, run, settings.base_url, settings.secret_key, start or 0, stop
    )
    if fmt == "zpl" and job.dpi not in ZPL_DPIS:
        # Sheet templates are drawn at 600 dpi; thermal printers print 203.
        job = replace(job, dpi=ZPL_DPIS[0])

    check_job(job, fmt)
    media, suffix = FORMATS[fmt]
    name = f"label-run-{run.id}-{job.start}-{job.stop - 1}.{suffix}"
    return Response(
        # The job is plain data: drawing needs neither the request nor the database.
        render(job, fmt, workers=1),
        mimetype=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def range_of(values: Any) -> tuple[int | None, int | None]:
    """``from`` and ``to`` (both included) as a start and stop."""
    low, high = values.get("from", ""), values.get("to", "")
    if not low and not high:
        return None, None

    if not (str(low).isdigit() and str(high).isdigit()):
        raise InvalidInput(
            "range", "give the first and last label numbers, e.g. 0 and 99"
        )

    return int(low), int(high) + 1


@bp.route("/label-runs")
@requires("view")
def label_runs() -> Any:
    """Runs this organization made, or of its lots."""
    with transaction() as session:
        query = (
            select(LabelRun, Lot)
            .join(Lot, Lot.id == LabelRun.lot_id)  # type: ignore[arg-type]
            .where(visible_runs(me().organization_id))
            .order_by(LabelRun.id.desc())  # type: ignore[union-attr]
        )
        rows = [
            [
                {"href": url_for(".label_run", run_id=run.id), "text": f"#{run.id}"},
                lot.code,
                run.count,
                run.created_at.date().isoformat(),
            ]
            for run, lot in session.exec(query)
        ]

    return render(
        "table.html",
        heading="Label runs",
        headers=["Label run", "Lot", "Count", "Created"],
        rows=rows,
        actions=[],
    )


@bp.route("/lots/<code>/label-runs/new", methods=["GET", "POST"])
@requires("pack")
def new_label_run(code: str) -> Any:
    """Create a run of labels for a lot shared with this packing house."""
    if request.method == "GET":
        with transaction() as session:
            lot = lot_service.get_visible_lot(session, code, me().organization_id)
            gtin = lot.gtin or _coop_gtin(session, lot)

        values = {"template": run_service.DEFAULT_TEMPLATE, "gtin": gtin}
        return render_form("Create label run", run_fields(), values, intro=lot.code)

    try:
        with transaction() as session:
            count = number("count")
            run = create_run(
                session,
                me(),
                code,
                {
                    "count": int(count)
                    if count is not None and count.is_integer()
                    else None,
                    "gtin": text("gtin"),
                    "template": text("template"),
                    "short": request.form.get("short") == "1",
                },
            )
    except AppletraceError as error:
        return render_form(
            "Create label run", run_fields(), request.form, error, intro=code.upper()
        )

    return redirect(url_for(".label_run", run_id=run.id))


@bp.route("/label-runs/<int(max=2147483647):run_id>")
@requires("view")
def label_run(run_id: int) -> Any:
    """One run: its lot, counts, downloads, reprint and void forms."""
    with transaction() as session:
        run = get_run(session, me(), run_id)
        lot = run_service.lot_of(session, run)
        voided = run_service.list_voided(session, run)

    printer = run.organization_id == me().organization_id and me().can("pack")
    return render(
        "label_run.html",
        run=run,
        lot=lot,
        voided=voided,
        printer=printer,
        issued=run_service.issued(run),
    )


@bp.route("/label-runs/<int(max=2147483647):run_id>/labels.<fmt>")
@requires("pack")
def download(run_id: int, fmt: str) -> Any:
    """Download the run's labels, or the range ``from``–``to``, as PDF or ZPL."""
    with transaction() as session:
        run = get_run(session, me(), run_id, printing=True)
        start, stop = range_of(request.args)
        return labels_response(session, run, fmt, start, stop)


@bp.route("/label-runs/<int(max=2147483647):run_id>/void", methods=["POST"])
@requires("pack")
def void(run_id: int) -> Any:
    """Void damaged labels; with ``replace``, issue a new label for each."""
    with transaction() as session:
        run = get_run(session, me(), run_id, printing=True)
        indexes = parse_indexes(text("indexes"))
        if request.form.get("replace") == "1":
            run_service.issue_replacements(
                session, run, indexes, me().actor, text("reason")
            )
        else:
            for index in indexes:
                run_service.void_label(session, run, index, me().actor, text("reason"))

    return redirect(url_for(".label_run", run_id=run_id))
