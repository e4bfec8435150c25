"""Jobs from the database: a range of a run's labels, with its lot's words."""

from __future__ import annotations

from sqlmodel import Session

from appletrace.labels.job import LabelJob
from appletrace.labels.templates import load_template
from appletrace.labels.text import LabelText
from appletrace.trace import label_runs
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.digital_link import build_uri
from appletrace.trace.models import LabelRun, Lot, Orchard


def label_text(session: Session, lot: Lot) -> LabelText:
    """What a lot's labels say: its code, orchard, county and altitude."""
    orchard = session.get(Orchard, lot.orchard_id)
    assert orchard is not None
    county = ZHAOTONG_COUNTIES.get(orchard.county_code, orchard.county_code)

    return LabelText(lot.code, orchard.name, county, orchard.altitude_m)


def make_job(
    session: Session,
    run: LabelRun,
    base_url: str,
    secret_key: str,
    start: int = 0,
    stop: int | None = None,
    template: str | None = None,
    dpi: int | None = None,
    short: bool | None = None,
) -> LabelJob:
    """A job for a range of a run (all of it by default), checked."""
    lot = label_runs.lot_of(session, run)
    stop = label_runs.issued(run) if stop is None else stop
    label_runs.check_range(run, start, stop)
    chosen = load_template(template or run.template)
    short = run.short_uri if short is None else short
    prefix = build_uri(base_url, run.gtin, None if short else lot.code) + "/21/"

    return LabelJob(
        key=label_runs.run_key(run, secret_key),
        uri_prefix=prefix,
        start=start,
        stop=stop,
        template=chosen,
        dpi=dpi or chosen.dpi,
        text=label_text(session, lot),
    )
