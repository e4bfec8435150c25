"""A print job: one range of one run's labels, with everything drawing needs.

A job is plain data (it crosses into worker processes); ``make_job`` builds it
from the database rows at the edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session

from appletrace.labels import qr
from appletrace.labels.templates import Template, load_template
from appletrace.labels.text import LabelText
from appletrace.trace import label_runs, serials
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.digital_link import build_uri
from appletrace.trace.models import LabelRun, Lot, Orchard


@dataclass(frozen=True)
class LabelJob:
    """Labels ``start`` to ``stop - 1`` of one run, as one template prints them."""

    key: serials.RunKey
    uri_prefix: str
    start: int
    stop: int
    template: Template
    dpi: int
    text: LabelText

    @property
    def count(self) -> int:
        """How many labels the job prints."""
        return self.stop - self.start

    def uris(self, start: int, stop: int) -> list[str]:
        """Addresses of labels ``start`` to ``stop - 1`` (within the job)."""
        made = serials.make_serials(self.key, start, stop, tables=True)

        return [self.uri_prefix + serial for serial in made]

    def labels(self, start: int, stop: int) -> Iterator[tuple[int, str, qr.Matrix]]:
        """Each label's index, address and QR symbol."""
        for offset, uri in enumerate(self.uris(start, stop)):
            yield start + offset, uri, qr.encode(uri)


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
