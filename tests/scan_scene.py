"""A scanned apple's world for the resolver tests: a lot with a season of daily
summaries, inspections, a label run and its label addresses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from factories import make_coop, make_lot, make_orchard, make_packing_house
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.trace.db import session_scope
from appletrace.trace.label_runs import create_label_run, label_uris
from appletrace.trace.models import DailySummary, Inspection, Lot, Organization

SECRET = "test-secret-key"
BASE = "https://trace.example.cn"
GTIN = "06901234567892"
WINDOW = (date(2025, 4, 20), date(2025, 10, 20))


@dataclass
class Scene:
    """Ids and addresses of one scanned apple's lot."""

    lot_id: int
    lot_code: str
    run_id: int
    paths: list[str]
    provenance: dict


ALL_HOURS = (1 << 24) - 1


def season(session: Session, orchard_id: int, first: date, last: date) -> None:
    """Daily summaries of a plausible Zhaotong season; a gap of three days.

    Each day has readings in every hour (144 a day); sunshine is stored the way
    the model keeps it (seconds above 120 W/m², or the count of such readings).
    """
    columns = DailySummary.model_fields
    day, n = first, 0
    while day <= last:
        if not 30 <= n < 33:
            low = 8.0 + 6.0 * math.sin(n / 58.0)
            sun_h = 4 + n % 6
            extra: dict = {}
            if "sunshine_s" in columns:
                extra["sunshine_s"] = 3600.0 * sun_h
            if "sunshine_count" in columns:
                extra["sunshine_count"] = 6 * sun_h
                extra["temperature_hours"] = extra["irradiance_hours"] = ALL_HOURS

            session.add(
                DailySummary(
                    orchard_id=orchard_id,
                    day=day,
                    temperature_min=round(low, 1),
                    temperature_max=round(low + 11.0 + (n % 5), 1),
                    temperature_sum=(low + 7.0) * 144,
                    temperature_count=144,
                    humidity_sum=78.0 * 144,
                    humidity_count=144,
                    pm25_sum=(10.0 + n % 7) * 144,
                    pm25_count=144,
                    irradiance_sum=260.0 * 144,
                    irradiance_count=144,
                    **extra,
                )
            )

        day += timedelta(days=1)
        n += 1


def needs_provenance() -> None:
    """Skip the test until lot provenance (issue 3) is merged; never fake it."""
    pytest.importorskip("appletrace.trace.provenance")


def build_scene(
    engine: Engine,
    labels: int = 6,
    code: str = "ZY25-FJ-001",
    provenance: bool = True,
) -> Scene:
    """Co-op, packing house, orchard, lot, season, two inspections, one label run.

    With ``provenance`` (pages are rendered) the test is skipped until the
    provenance module is merged.
    """
    if provenance:
        needs_provenance()

    with session_scope(engine) as session:
        coop = make_coop(session, phone="0870-2150000")
        house = make_packing_house(session)
        orchard = make_orchard(session, coop)
        lot = make_lot(session, coop, orchard, code=code)
        season(session, int(orchard.id or 0), *WINDOW)
        for lab, day in (("云南省农产品质量检测中心", 18), ("昭通市农检站", 19)):
            session.add(
                Inspection(
                    lot_id=lot.id,
                    lab=lab,
                    inspected_on=date(2025, 10, day),
                    passed=True,
                )
            )

        run = create_label_run(session, lot, house, GTIN, labels, "test", SECRET)
        uris = list(label_uris(run, lot, BASE, SECRET, 0, labels))
        session.flush()
        summary: dict = {}
        if provenance:
            from appletrace.trace.provenance import lot_provenance

            summary = lot_provenance(session, lot).as_dict()

        return Scene(
            int(lot.id or 0),
            lot.code,
            int(run.id or 0),
            [u.removeprefix(BASE) for u in uris],
            summary,
        )


def add_run(engine: Engine, lot_id: int, labels: int = 2) -> tuple[int, list[str]]:
    """A second label run of the same lot, by the same packing house."""
    with session_scope(engine) as session:
        lot = session.get(Lot, lot_id)
        house = session.exec(
            select(Organization).where(Organization.kind == "packing_house")
        ).one()
        assert lot is not None
        run = create_label_run(session, lot, house, GTIN, labels, "test", SECRET)
        uris = list(label_uris(run, lot, BASE, SECRET, 0, labels))
        session.flush()
        return int(run.id or 0), [u.removeprefix(BASE) for u in uris]
