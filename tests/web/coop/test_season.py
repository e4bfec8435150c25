"""The lot page shows the growing summary and the season chart from daily summaries."""

from datetime import date, timedelta

from coop_world import World
from sqlmodel import Session, select

from appletrace.trace.models import Orchard
from appletrace.web.app import engine_of

ALL_HOURS = (1 << 24) - 1


def test_the_lot_page_builds_up_its_summary_and_chart(world: World) -> None:
    from appletrace.trace.models import DailySummary

    client = world.client("a_farmer")
    assert 'id="season-chart"' not in client.get("/coop/lots/ZY25-FJ-001").text

    with Session(engine_of(world.app)) as session:
        orchard = session.exec(
            select(Orchard).where(Orchard.code == "ZY-SAYU-01")
        ).one()
        for offset in range(3):
            session.add(
                DailySummary(
                    orchard_id=orchard.id,
                    day=date(2025, 9, 1) + timedelta(days=offset),
                    temperature_min=10.0,
                    temperature_max=24.0,
                    temperature_sum=17.0 * 24,
                    temperature_count=24,
                    temperature_hours=ALL_HOURS,
                )
            )

        session.commit()

    page = client.get("/coop/lots/ZY25-FJ-001").text

    assert 'id="season-chart"' in page
    assert "14.0 °C" in page
    assert "3 / 184" in page
