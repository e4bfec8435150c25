"""The audit chain: honest history verifies; edits behind the app's back do not."""

from datetime import date

import pytest
from factories import make_coop, make_lot, make_orchard
from sqlalchemy import text
from sqlmodel import Session

from appletrace.trace import audit, lots
from appletrace.trace.db import session_scope


@pytest.fixture
def season(engine):
    with session_scope(engine) as session:
        coop = make_coop(session)
        orchard = make_orchard(session, coop)
        lot = make_lot(session, coop, orchard)
        lots.update_lot(session, lot, "clerk", date(2026, 12, 1), quantity_kg=11800.0)

    return engine


def test_honest_history_verifies(season, cli) -> None:
    with Session(season) as session:
        assert audit.verify(session) is None

    result = cli("audit", "verify")
    assert result.code == 0
    assert "intact" in result.out


def test_a_lot_edited_in_the_database_is_named(season, cli) -> None:
    with season.begin() as connection:
        connection.execute(
            text("UPDATE lot SET quantity_kg = 20000 WHERE code = 'ZY25-FJ-001'")
        )

    with Session(season) as session:
        finding = audit.verify(session)

    assert finding is not None
    assert (finding.entity, finding.entity_id) == ("lot", "ZY25-FJ-001")
    assert "quantity_kg" in finding.problem
    result = cli("audit", "verify")
    assert result.code == 1
    assert "lot ZY25-FJ-001" in result.err
    assert "quantity_kg" in result.err


def test_an_edited_event_breaks_the_chain(season) -> None:
    with season.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET actor = 'someone' WHERE id = 1")
        )

    with Session(season) as session:
        finding = audit.verify(session)

    assert finding is not None
    assert finding.event_id == 1
    assert "hash mismatch" in finding.problem


def test_a_removed_event_breaks_the_chain(season) -> None:
    with season.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = 2"))

    with Session(season) as session:
        finding = audit.verify(session)

    assert finding is not None
    assert finding.event_id == 3
    assert "removed or reordered" in finding.problem


def test_a_row_inserted_outside_the_app_is_found(season) -> None:
    with season.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lot (organization_id, code, orchard_id, variety, "
                "window_start, harvested_on, grade, status, created_at, updated_at) "
                "SELECT organization_id, 'ZZ-FAKE', orchard_id, variety, window_start, "
                "harvested_on, grade, status, created_at, updated_at FROM lot"
            )
        )

    with Session(season) as session:
        finding = audit.verify(session)

    assert finding is not None
    assert finding.entity_id == "ZZ-FAKE"
    assert "no audit event" in finding.problem
