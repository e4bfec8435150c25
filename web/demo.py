"""``appletrace demo``: a sample co-op with Zhaotong orchards and lots, printed."""

from __future__ import annotations

from datetime import date

import click
from sqlmodel import Session

from appletrace.trace import lots as lot_service
from appletrace.trace import migrate
from appletrace.trace import orchards as orchard_service
from appletrace.trace.cli import CliContext, emit_table, pass_context
from appletrace.trace.db import make_engine, session_scope
from appletrace.trace.organizations import add_organization

DEMO_ACTOR = "demo"

# Real places and heights of Zhaotong apple country (approximate coordinates).
DEMO_ORCHARDS = (
    dict(
        code="ZY-SAYU-01",
        name="洒渔镇示范果园",
        county_code="530602",
        township="洒渔镇",
        village="乐居村",
        latitude=27.3870,
        longitude=103.5880,
        altitude_m=1935.0,
        variety="富士",
    ),
    dict(
        code="LD-LONGS-01",
        name="龙树镇高山果园",
        county_code="530621",
        township="龙树镇",
        village="",
        latitude=27.0720,
        longitude=103.4160,
        altitude_m=2050.0,
        variety="富士",
    ),
    dict(
        code="QJ-YAOS-01",
        name="药山镇果园",
        county_code="530622",
        township="药山镇",
        village="",
        latitude=27.0330,
        longitude=103.0180,
        altitude_m=2180.0,
        variety="红露",
    ),
)


def demo_season_year(today: date) -> int:
    """The latest year whose Fuji harvest (late October) is over."""
    return today.year if (today.month, today.day) >= (11, 1) else today.year - 1


@click.command()
@click.option(
    "--database",
    default=None,
    help="Database URL (default: a fresh demo.db in the instance folder).",
)
@pass_context
def demo(context: CliContext, database: str | None) -> None:
    """Build a sample co-op with three Zhaotong orchards and their lots."""
    settings = context.settings
    if database is None:
        path = settings.instance_path / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

        database = f"sqlite:///{path}"

    engine = make_engine(database)
    migrate.upgrade(engine)
    year = demo_season_year(date.today())
    with session_scope(engine) as session:
        coop = add_organization(
            session, "昭通洒渔苹果专业合作社", "coop", phone="0870-0000000"
        )
        add_organization(session, "昭阳区果品包装厂", "packing_house")
        for values in DEMO_ORCHARDS:
            orchard = orchard_service.add_orchard(session, coop, DEMO_ACTOR, **values)
            lot_service.add_lot(
                session,
                coop,
                orchard,
                DEMO_ACTOR,
                date.today(),
                code=f"{orchard.code[:2]}{year % 100:02d}-FJ-001",
                variety=orchard.variety,
                window_start=date(year, 4, 20),
                harvested_on=date(year, 10, 20),
                quantity_kg=12000.0,
                grade="一级",
            )

    click.echo(f"demo database: {database}\n")
    with Session(engine) as session:
        emit_table(
            ["orchard", "county", "township", "altitude_m"],
            [
                [o.code, o.county_code, o.township, o.altitude_m]
                for o in orchard_service.list_orchards(session)
            ],
        )
        click.echo("")
        emit_table(
            ["lot", "orchard", "variety", "from", "harvested", "kg"],
            [
                [
                    lot.code,
                    o.code,
                    lot.variety,
                    lot.window_start,
                    lot.harvested_on,
                    lot.quantity_kg,
                ]
                for lot, o in lot_service.list_lots(session)
            ],
        )

    engine.dispose()
