"""Last changed and corrections, as the consumer page shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from factories import make_lot
from records_factories import add_label_run, add_shipment, make_season
from sqlmodel import Session

from appletrace.trace import inspections, lots, orchards, shipments
from appletrace.trace.changes import Change, lot_changes, summarize
from appletrace.trace.db import session_scope
from appletrace.trace.errors import InvalidInput

AT = datetime(2025, 10, 20, 4, tzinfo=UTC)


def test_an_update_of_a_shown_value_is_a_correction() -> None:
    changes = [
        Change(AT, "lot", "create", None, {"grade": "一级", "variety": "富士"}),
        Change(
            AT.replace(hour=5),
            "lot",
            "update",
            {"grade": "一级", "quantity_kg": 1.0, "updated_at": "a"},
            {"grade": "特级", "quantity_kg": 2.0, "updated_at": "b"},
        ),
    ]

    summary = summarize(changes)

    assert summary.last_changed == AT.replace(hour=5)
    assert [(c.field, c.before, c.after) for c in summary.corrections] == [
        ("grade", "一级", "特级")
    ]


def test_a_new_lot_has_no_corrections() -> None:
    summary = summarize([Change(AT, "lot", "create", None, {"grade": "一级"})])

    assert summary.corrections == ()
    assert summarize([]).last_changed is None


def test_corrections_of_lot_and_orchard_are_read_from_the_chain(engine) -> None:
    with session_scope(engine) as session:
        season = make_season(session)
        lot, orchard = season["lot"], season["orchard"]
        lots.update_lot(
            session, lot, "clerk", date(2026, 12, 1), harvested_on=date(2025, 10, 19)
        )
        orchards.update_orchard(session, orchard, "clerk", altitude_m=1941.0)

    with Session(engine) as session:
        summary = lot_changes(session, lots.get_lot(session, lot.code))

    newest = [(c.entity, c.field, c.before, c.after) for c in summary.corrections]
    assert newest == [
        ("orchard", "altitude_m", 1935.0, 1941.0),
        ("lot", "harvested_on", "2025-10-20", "2025-10-19"),
    ]
    assert summary.last_changed == summary.corrections[0].at


def test_a_harvest_may_not_move_after_what_followed_it(engine) -> None:
    today = date(2026, 12, 1)
    with session_scope(engine) as session:
        season = make_season(session)
        coop, orchard, house = season["coop"], season["orchard"], season["house"]
        shipped = make_lot(session, coop, orchard, code="L-SHIPPED")
        add_shipment(session, house, shipped, date(2025, 10, 21), None)
        packed = make_lot(session, coop, orchard, code="L-PACKED")
        add_label_run(session, packed, house, 10, datetime(2025, 10, 21, 2, tzinfo=UTC))

        refusals = [
            (season["lot"], date(2025, 10, 23), "was inspected on 2025-10-22"),
            (shipped, date(2025, 10, 22), "was shipped on 2025-10-21"),
            (packed, date(2025, 10, 22), "was packed at 2025-10-21 02:00 UTC"),
        ]
        for lot, day, reason in refusals:
            with pytest.raises(InvalidInput, match=reason):
                lots.update_lot(session, lot, "clerk", today, harvested_on=day)

        # Packed at 10:00 local time on the harvest day itself: in order.
        lots.update_lot(
            session, packed, "clerk", today, harvested_on=date(2025, 10, 21)
        )

    with Session(engine) as session:
        assert lots.get_lot(session, "L-PACKED").harvested_on == date(2025, 10, 21)
        assert lots.get_lot(session, "L-SHIPPED").harvested_on == date(2025, 10, 20)


def test_an_inspection_or_shipment_before_harvest_is_refused(engine) -> None:
    today = date(2026, 12, 1)
    with session_scope(engine) as session:
        season = make_season(session)
        lot, house = season["lot"], season["house"]

        with pytest.raises(InvalidInput, match="before lot ZY25-FJ-001 was harvested"):
            inspections.add_inspection(
                session, lot, "clerk", today, lab="x", inspected_on=date(2025, 10, 19)
            )

        with pytest.raises(InvalidInput, match="before lot ZY25-FJ-001 was harvested"):
            shipments.add_shipment(
                session,
                house,
                "clerk",
                today,
                [(lot, None)],
                consignee="昆明",
                shipped_on=date(2025, 10, 19),
            )

        on_the_day = inspections.add_inspection(
            session, lot, "clerk", today, lab="x", inspected_on=date(2025, 10, 20)
        )
        assert on_the_day.id is not None
