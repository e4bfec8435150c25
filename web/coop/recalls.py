"""Recalls: withdraw a lot or one of its label runs, and see where it went."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from sqlmodel import Session, select

from appletrace.trace import lots as lot_service
from appletrace.trace import recalls as recall_service
from appletrace.trace import shipments as shipment_service
from appletrace.trace.accounts import Principal
from appletrace.trace.errors import AppletraceError, InvalidInput, NotFound
from appletrace.trace.models import LabelRun, Lot, Recall
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    render,
    render_form,
    text,
    transaction,
)

bp = Blueprint("coop_recalls", __name__, template_folder="templates")

FIELDS = [
    FormField("lot", "Lot code", required=True),
    FormField(
        "label_run",
        "Label run",
        "number",
        step="1",
        help="Leave empty to recall the whole lot.",
    ),
    FormField("reason", "Reason", "textarea", True),
]


def visible_lot_ids(organization_id: int) -> Any:
    """A query of the ids of lots the organization can see."""
    return select(Lot.id).where(lot_service.visible_to(organization_id))


def recall_target(
    session: Session, principal: Principal, code: str, run_id: int | None
) -> tuple[Lot, LabelRun | None]:
    """The lot (and label run) the principal may recall, or NotFound."""
    lot = lot_service.get_visible_lot(session, code, principal.organization_id)
    owner = lot.organization_id == principal.organization_id
    run = None if run_id is None else session.get(LabelRun, run_id)
    if run_id is not None and (run is None or run.lot_id != lot.id):
        raise NotFound("label run", run_id)

    may_lot = owner and principal.can("grow")
    may_run = run is not None and (
        may_lot
        or (principal.can("pack") and run.organization_id == principal.organization_id)
    )
    if not (may_run if run is not None else may_lot):
        raise NotFound(
            "lot" if run is None else "label run", code if run is None else run_id
        )

    return lot, run


def run_id_of(value: str) -> int | None:
    """The label run number from a form field; empty means the whole lot."""
    if not value:
        return None

    if not value.isdigit():
        raise InvalidInput("label_run", f"label run {value!r} is not a number")

    return int(value)


@bp.route("/recalls")
@requires("view")
def recalls() -> Any:
    """Recalls of the lots this organization can see."""
    with transaction() as session:
        rows = []
        for r in recall_service.list_recalls(
            session, visible_lot_ids(me().organization_id)
        ):
            lot = session.get(Lot, r.lot_id)
            assert lot is not None
            rows.append(
                [
                    {"href": url_for(".recall", recall_id=r.id), "text": f"#{r.id}"},
                    lot.code,
                    "" if r.label_run_id is None else f"#{r.label_run_id}",
                    r.reason,
                    r.recalled_at.date().isoformat(),
                    "Lifted" if r.lifted_at else "Recalled",
                ]
            )

    may = me().can("grow") or me().can("pack")
    return render(
        "table.html",
        heading="Recalls",
        headers=["Recall", "Lot", "Label run", "Reason", "Created", "Status"],
        rows=rows,
        actions=[("Recall", url_for(".new_recall"))] if may else [],
    )


@bp.route("/recalls/new", methods=["GET", "POST"])
@requires("view")
def new_recall() -> Any:
    """Recall a lot, or one label run of it, with a reason."""
    if not (me().can("grow") or me().can("pack")):
        return render(
            "table.html", 403, heading="Recalls", headers=[], rows=[], actions=[]
        )

    title = "Recall a lot or a label run"
    if request.method == "GET":
        values = {
            "lot": request.args.get("lot", ""),
            "label_run": request.args.get("run", ""),
        }
        return render_form(title, FIELDS, values, submit="Recall")

    try:
        with transaction() as session:
            lot, run = recall_target(
                session, me(), text("lot"), run_id_of(text("label_run"))
            )
            row = recall_service.recall(session, lot, text("reason"), me().actor, run)
    except AppletraceError as error:
        return render_form(title, FIELDS, request.form, error, submit="Recall")

    return redirect(url_for(".recall", recall_id=row.id))


@bp.route("/recalls/<int:recall_id>")
@requires("view")
def recall(recall_id: int) -> Any:
    """One recall and every shipment that carried its lot."""
    org_id = me().organization_id
    with transaction() as session:
        row = recall_service.get_recall(session, recall_id, visible_lot_ids(org_id))
        lot = session.get(Lot, row.lot_id)
        assert lot is not None
        went = shipment_service.where_it_went(session, lot)
        if lot.organization_id != org_id:
            mine = {s.id for s in shipment_service.list_shipments(session, org_id)}
            went = [w for w in went if w["shipment_id"] in mine]

    return render(
        "recall.html", recall=row, lot=lot, went=went, may_lift=_may_lift(row, lot)
    )


def _may_lift(row: Recall, lot: Lot) -> bool:
    return row.lifted_at is None and (
        lot.organization_id == me().organization_id and me().can("grow")
    )


@bp.route("/recalls/<int:recall_id>/lift", methods=["POST"])
@requires("grow")
def lift(recall_id: int) -> Any:
    """Lift a recall made by mistake (the co-op that owns the lot)."""
    with transaction() as session:
        row = recall_service.get_recall(
            session,
            recall_id,
            select(Lot.id).where(Lot.organization_id == me().organization_id),
        )
        recall_service.lift(session, row, me().actor)

    return redirect(url_for(".recall", recall_id=recall_id))
