"""Label runs: create one for a lot, reprint, void labels, verify a serial.

A run is one row however many labels it has; each label's serial derives from the
secret key and the run's salt (``trace.serials``), so nothing is stored per label
until one is voided or scanned.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, select

from appletrace.trace import audit, serials
from appletrace.trace.digital_link import DigitalLink, build_uri
from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.identifiers import check_ai_text, normalize_gtin
from appletrace.trace.models import LabelRun, Lot, Organization, VoidedLabel
from appletrace.trace.types import row_id

log = logging.getLogger(__name__)

MAX_COUNT = 1_000_000
# Replacements take indexes after the run's count, within the serial's 20 bits.
MAX_ISSUED = serials.INDEX_LIMIT
DEFAULT_TEMPLATE = "a4-rect"
_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class LabelMatch:
    """A serial that verified: its run, lot and label index, and if voided."""

    run: LabelRun
    lot: Lot
    index: int
    voided: bool
    replaced_by: int | None = None


def issued(run: LabelRun) -> int:
    """How many labels the run has issued: its count plus replacements."""
    return run.count + run.replacement_count


def check_count(count: int) -> int:
    """A run's count must be 1 to MAX_COUNT."""
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(
            "count",
            f"count {count} is outside 1 to {MAX_COUNT:,} labels; "
            "split a larger job into several runs",
        )

    return count


def check_lot_code(code: str) -> str:
    """A lot code must be printable as GS1 AI 10 in upper case."""
    return check_ai_text(code.strip().upper(), "lot", "lot code")


def default_gtin(session: Session, lot: Lot) -> str:
    """The lot's GTIN, else its co-op's registered one, else a clear error."""
    if lot.gtin:
        return lot.gtin

    coop = session.get(Organization, lot.organization_id)
    if coop is not None and coop.gtin:
        return coop.gtin

    raise InvalidInput(
        "gtin",
        f"lot {lot.code!r} has no GTIN and its co-op registered none; "
        "pass --gtin with the 13- or 14-digit number of the product",
    )


def create_label_run(
    session: Session,
    lot: Lot,
    packing_house: Organization,
    gtin: str,
    count: int,
    actor: str,
    secret_key: str,
    template: str = DEFAULT_TEMPLATE,
    short: bool = False,
) -> LabelRun:
    """Create a run of ``count`` labels for a lot, packed by ``packing_house``.

    ``secret_key`` must be the key the labels will be printed and verified with;
    it is never stored.
    """
    if not secret_key:
        raise InvalidInput("secret_key", "APPLETRACE_SECRET_KEY is empty; set it")

    check_lot_code(lot.code)
    gtin = normalize_gtin(gtin)
    check_count(count)
    if not _TEMPLATE_NAME.fullmatch(template):
        raise InvalidInput("template", f"template name {template!r} is not valid")

    run = LabelRun(
        lot_id=row_id(lot),
        organization_id=row_id(packing_house),
        gtin=gtin,
        count=count,
        salt=secrets.token_hex(16),
        template=template,
        short_uri=short,
        created_by=actor,
    )
    session.add(run)
    session.flush()
    if row_id(run) > serials.MAX_RUN_ID:
        raise Conflict("run", "label run ids are exhausted; see docs/labels.md")

    audit.record(
        session, actor, "create", "label_run", run.id, None, audit.snapshot(run)
    )
    log.info("label run %s: %s labels of lot %s", run.id, count, lot.code)

    return run


class RunNotFound(NotFound):
    """No label run has this id."""

    def __init__(self, run_id: int) -> None:
        super().__init__("label run", run_id)
        self.args = (
            f"no label run {run_id}; list a lot's runs with "
            "'appletrace labels runs LOT'",
        )


def get_label_run(session: Session, run_id: int) -> LabelRun:
    """The run with this id, or RunNotFound."""
    run = session.get(LabelRun, run_id)
    if run is None:
        raise RunNotFound(run_id)

    return run


def list_label_runs(session: Session, lot: Lot) -> list[LabelRun]:
    """The lot's runs, oldest first."""
    query = select(LabelRun).where(LabelRun.lot_id == lot.id).order_by(LabelRun.id)  # type: ignore[arg-type]

    return list(session.exec(query))


def lot_of(session: Session, run: LabelRun) -> Lot:
    """The lot a run labels."""
    lot = session.get(Lot, run.lot_id)
    assert lot is not None

    return lot


def check_range(run: LabelRun, start: int, stop: int) -> tuple[int, int]:
    """Labels ``start`` to ``stop - 1`` must be labels the run has issued."""
    if not 0 <= start < stop <= issued(run):
        raise InvalidInput(
            "range",
            f"labels {start} to {stop - 1} are not within run {run.id}, "
            f"which has labels 0 to {issued(run) - 1}",
        )

    return start, stop


def run_key(run: LabelRun, secret_key: str) -> serials.RunKey:
    """The key material of a run."""
    return serials.run_key(secret_key, row_id(run), run.salt)


def label_uris(
    run: LabelRun,
    lot: Lot,
    base_url: str,
    secret_key: str,
    start: int,
    stop: int,
    short: bool | None = None,
) -> Iterator[str]:
    """The QR addresses of labels ``start`` to ``stop - 1``, in order.

    ``short`` leaves out ``/10/{lot}``; None follows the run's choice.
    """
    check_range(run, start, stop)
    short = run.short_uri if short is None else short
    prefix = build_uri(base_url, run.gtin, lot.code)
    if short:
        prefix = build_uri(base_url, run.gtin)

    for serial in serials.make_serials(run_key(run, secret_key), start, stop):
        yield f"{prefix}/21/{serial}"


def void_label(
    session: Session, run: LabelRun, index: int, actor: str, reason: str = ""
) -> VoidedLabel:
    """Declare label ``index`` damaged; its serial stops verifying as genuine."""
    check_range(run, index, index + 1)
    key = (row_id(run), index)
    if session.get(VoidedLabel, key) is not None:
        raise Conflict("index", f"label {index} of run {run.id} is voided already")

    voided = VoidedLabel(label_run_id=key[0], label_index=index, reason=reason[:200])
    session.add(voided)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "voided_label",
        f"{run.id}/{index}",
        None,
        audit.snapshot(voided),
    )

    return voided


def issue_replacements(
    session: Session, run: LabelRun, indexes: list[int], actor: str, reason: str = ""
) -> list[int]:
    """Void each label (if not yet) and issue one new label for it; new indexes."""
    for index in indexes:
        check_range(run, index, index + 1)

    if issued(run) + len(indexes) > MAX_ISSUED:
        raise InvalidInput(
            "indexes", f"run {run.id} cannot issue more labels; create a new run"
        )

    before = audit.snapshot(run)
    new: list[int] = []
    for index in indexes:
        voided = session.get(VoidedLabel, (row_id(run), index))
        if voided is None:
            voided = void_label(session, run, index, actor, reason)

        if voided.replaced_by is not None:
            raise Conflict(
                "index",
                f"label {index} of run {run.id} was replaced already by label "
                f"{voided.replaced_by}; reprint that one",
            )

        voided.replaced_by = issued(run)
        run.replacement_count += 1
        session.add_all([voided, run])
        new.append(voided.replaced_by)

    session.flush()
    after = audit.snapshot(run)
    audit.record(session, actor, "update", "label_run", run.id, before, after)

    return new


def list_voided(session: Session, run: LabelRun) -> list[VoidedLabel]:
    """The voided labels of a run, by index."""
    query = (
        select(VoidedLabel)
        .where(VoidedLabel.label_run_id == run.id)
        .order_by(VoidedLabel.label_index)  # type: ignore[arg-type]
    )

    return list(session.exec(query))


def verify_serial(
    session: Session, link: DigitalLink, secret_key: str
) -> LabelMatch | None:
    """Which run and label a scanned address names, or None if it is not genuine.

    Two queries at most, whatever the run's size: the run with its lot, then the
    label's void record. None for a forged or altered serial, or one printed for
    another GTIN or lot. Works for the short form without the lot.
    """
    if link.serial is None:
        return None

    run_id = serials.run_id_of(link.serial)
    if run_id is None:
        return None

    row = session.exec(
        select(LabelRun, Lot)
        .join(Lot, Lot.id == LabelRun.lot_id)  # type: ignore[arg-type]
        .where(LabelRun.id == run_id)
    ).first()
    if row is None:
        return None

    run, lot = row
    if link.gtin != run.gtin or (link.lot is not None and link.lot != lot.code):
        return None

    index = serials.verify(run_key(run, secret_key), link.serial)
    if index is None or index >= issued(run):
        return None

    voided = session.get(VoidedLabel, (run_id, index))
    replaced_by = voided.replaced_by if voided else None

    return LabelMatch(run, lot, index, voided is not None, replaced_by)
