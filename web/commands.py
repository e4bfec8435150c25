"""Commands for the registry: db, orgs, orchards, devices, lots.

Thin shells: parse options, call a service in ``trace``, print the result.
"""

from __future__ import annotations

from datetime import date

import click
from sqlmodel import Session

from appletrace.trace import devices as device_service
from appletrace.trace import lots as lot_service
from appletrace.trace import migrate
from appletrace.trace import orchards as orchard_service
from appletrace.trace import organizations as organization_service
from appletrace.trace.cli import (
    CliContext,
    emit_json,
    emit_table,
    parse_date,
    pass_context,
)
from appletrace.trace.db import session_scope
from appletrace.trace.models import Organization
from appletrace.trace.reports import lot_report, orchard_row
from appletrace.web.mosquitto import export_mosquitto

CLI_ACTOR = "cli"
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
org_option = click.option(
    "--org", default=None, help="Organization name (needed when there are several)."
)


@click.group()
def db() -> None:
    """Create, upgrade and check the database."""


@db.command("upgrade")
@pass_context
def db_upgrade(context: CliContext) -> None:
    """Create the database or upgrade it to the newest schema."""
    migrate.upgrade(context.engine)
    click.echo(f"database at revision {migrate.current(context.engine)}")


@db.command("check")
@pass_context
def db_check(context: CliContext) -> None:
    """Fail if the models and the newest migration differ (alembic check)."""
    migrate.check(context.engine)
    click.echo("models and migrations agree")


@click.group()
def orgs() -> None:
    """Co-ops and packing houses."""


@orgs.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(organization_service.KINDS), default="coop")
@click.option("--phone", default="", help="Contact phone shown to consumers.")
@click.option("--address", default="")
@click.option("--gtin", default=None, help="Default GTIN for label runs.")
@json_option
@pass_context
def orgs_add(
    context: CliContext,
    name: str,
    kind: str,
    phone: str,
    address: str,
    gtin: str | None,
    as_json: bool,
) -> None:
    """Register an organization."""
    with session_scope(context.engine) as session:
        org = organization_service.add_organization(
            session, name, kind, phone=phone, address=address, gtin=gtin
        )
        row = {"id": org.id, "name": org.name, "kind": org.kind, "gtin": org.gtin}

    emit_json(row) if as_json else click.echo(f"added {kind} {name}")


@orgs.command("list")
@json_option
@pass_context
def orgs_list(context: CliContext, as_json: bool) -> None:
    """List organizations."""
    with Session(context.engine) as session:
        rows = [
            {"name": o.name, "kind": o.kind, "phone": o.phone, "gtin": o.gtin}
            for o in organization_service.list_organizations(session)
        ]

    if as_json:
        emit_json(rows)
    else:
        emit_table(["name", "kind", "phone", "gtin"], [r.values() for r in rows])


@click.group()
def orchards() -> None:
    """Orchards and where they are."""


@orchards.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--county", required=True, help="GB/T 2260 code, e.g. 530602.")
@click.option("--township", default="")
@click.option("--village", default="")
@click.option("--latitude", type=float, required=True, help="Degrees north.")
@click.option("--longitude", type=float, required=True, help="Degrees east.")
@click.option("--altitude", type=float, required=True, help="Metres above sea.")
@click.option("--variety", default="", help="Main variety, e.g. 富士.")
@org_option
@json_option
@pass_context
def orchards_add(
    context: CliContext,
    code: str,
    county: str,
    altitude: float,
    org: str | None,
    as_json: bool,
    **values: object,
) -> None:
    """Register an orchard of a co-op."""
    with session_scope(context.engine) as session:
        organization = organization_service.get_organization(session, org, "coop")
        orchard = orchard_service.add_orchard(
            session,
            organization,
            CLI_ACTOR,
            code=code,
            county_code=county,
            altitude_m=altitude,
            **values,
        )
        row = orchard_row(orchard)

    emit_json(row) if as_json else click.echo(f"added orchard {row['code']}")


@orchards.command("list")
@json_option
@pass_context
def orchards_list(context: CliContext, as_json: bool) -> None:
    """List orchards."""
    with Session(context.engine) as session:
        rows = [orchard_row(o) for o in orchard_service.list_orchards(session)]

    if as_json:
        emit_json(rows)
        return

    emit_table(
        ["code", "name", "county", "township", "altitude_m", "variety"],
        [
            [
                r["code"],
                r["name"],
                r["county"],
                r["township"],
                r["altitude_m"],
                r["variety"],
            ]
            for r in rows
        ],
    )


@click.group()
def devices() -> None:
    """Sensor stations."""


@devices.command("add")
@click.argument("device_id")
@click.option("--orchard", "orchard_code", required=True, help="Orchard code.")
@click.option("--kind", type=click.Choice(device_service.KINDS), default="weather")
@json_option
@pass_context
def devices_add(
    context: CliContext, device_id: str, orchard_code: str, kind: str, as_json: bool
) -> None:
    """Register a device to an orchard."""
    with session_scope(context.engine) as session:
        orchard = orchard_service.get_orchard(session, orchard_code)
        device = device_service.add_device(session, device_id, orchard, kind)
        row = {"id": device.id, "orchard": orchard.code, "kind": device.kind}

    emit_json(row) if as_json else click.echo(f"added device {device_id}")


@devices.command("list")
@json_option
@pass_context
def devices_list(context: CliContext, as_json: bool) -> None:
    """List devices with their orchards."""
    with Session(context.engine) as session:
        rows = [
            {"id": d.id, "orchard": o.code, "kind": d.kind, "active": d.active}
            for d, o in device_service.list_devices(session)
        ]

    if as_json:
        emit_json(rows)
    else:
        emit_table(["id", "orchard", "kind", "active"], [r.values() for r in rows])


devices.add_command(export_mosquitto)


@click.group()
def lots() -> None:
    """Harvest lots."""


@lots.command("add")
@click.argument("code")
@click.option("--orchard", "orchard_code", required=True, help="Orchard code.")
@click.option("--variety", required=True, help="e.g. 富士 (Fuji).")
@click.option("--from", "window_start", required=True, help="Window start, YYYY-MM-DD.")
@click.option("--harvested", required=True, help="Harvest date, YYYY-MM-DD.")
@click.option("--quantity", type=float, default=None, help="Kilograms.")
@click.option("--grade", default="")
@json_option
@pass_context
def lots_add(
    context: CliContext,
    code: str,
    orchard_code: str,
    variety: str,
    window_start: str,
    harvested: str,
    quantity: float | None,
    grade: str,
    as_json: bool,
) -> None:
    """Register a harvest lot of an orchard."""
    start = parse_date(window_start, "--from")
    harvested_on = parse_date(harvested, "--harvested")
    with session_scope(context.engine) as session:
        orchard = orchard_service.get_orchard(session, orchard_code)
        organization = session.get(Organization, orchard.organization_id)
        assert organization is not None
        lot = lot_service.add_lot(
            session,
            organization,
            orchard,
            CLI_ACTOR,
            date.today(),
            code=code,
            variety=variety,
            window_start=start,
            harvested_on=harvested_on,
            quantity_kg=quantity,
            grade=grade,
        )
        report = lot_report(session, lot)

    emit_json(report) if as_json else click.echo(f"added lot {report['code']}")


@lots.command("list")
@json_option
@pass_context
def lots_list(context: CliContext, as_json: bool) -> None:
    """List lots, newest harvest first."""
    with Session(context.engine) as session:
        rows = [
            {
                "code": lot.code,
                "orchard": orchard.code,
                "variety": lot.variety,
                "window_start": lot.window_start,
                "harvested_on": lot.harvested_on,
                "quantity_kg": lot.quantity_kg,
                "grade": lot.grade,
                "status": lot.status,
            }
            for lot, orchard in lot_service.list_lots(session)
        ]

    if as_json:
        emit_json(rows)
    else:
        emit_table(list(rows[0]) if rows else ["code"], [r.values() for r in rows])


@lots.command("show")
@click.argument("code")
@json_option
@pass_context
def lots_show(context: CliContext, code: str, as_json: bool) -> None:
    """Show one lot with its orchard and provenance."""
    with Session(context.engine) as session:
        report = lot_report(session, lot_service.get_lot(session, code))

    if as_json:
        emit_json(report)
        return

    for key, value in report.items():
        click.echo(f"{key}: {value}")
