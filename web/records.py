"""Commands for the records: audit chain, backup, exports and certificates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlmodel import Session

from appletrace.labels.certificate import render_certificate
from appletrace.trace import audit, backup, certificate, epcis, exports, fsma
from appletrace.trace import lots as lot_service
from appletrace.trace.cli import (
    CliContext,
    emit_json,
    emit_table,
    parse_date,
    pass_context,
)
from appletrace.trace.db import session_scope
from appletrace.trace.errors import InvalidInput
from appletrace.trace.lot_history import LotHistory
from appletrace.trace.types import utcnow

CLI_ACTOR = "cli"


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident history of changes."""


@audit_group.command("verify")
@pass_context
def audit_verify(context: CliContext) -> None:
    """Check the audit chain and every audited row against it; exit 1 on a mismatch."""
    with Session(context.engine) as session:
        finding = audit.verify(session)

    if finding is not None:
        click.echo(f"audit chain broken: {finding}", err=True)
        raise SystemExit(1)

    click.echo("audit chain intact: every audited row matches its last event")


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
@pass_context
def backup_command(context: CliContext, out: Path) -> None:
    """Write a consistent backup of the database to OUT while it stays in use."""
    written = backup.backup(context.settings.database_url, out)
    click.echo(f"backup written to {written}")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing SQLite file.")
@pass_context
def restore_command(context: CliContext, source: Path, force: bool) -> None:
    """Replace the database with a backup made by 'appletrace backup'."""
    backup.restore(context.settings.database_url, source, force=force)
    click.echo(f"restored {source}")


def _zone(context: CliContext) -> ZoneInfo:
    return ZoneInfo(context.settings.timezone)


def _range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    if (start is None) != (end is None):
        raise InvalidInput(
            "from" if start is None else "to",
            "give both --from DATE and --to DATE (YYYY-MM-DD), or neither",
        )

    first = None if start is None else parse_date(start, "--from")
    last = None if end is None else parse_date(end, "--to")
    if first is not None and last is not None and last < first:
        raise InvalidInput(
            "to", f"--to {last} is before --from {first}; give the earlier date first"
        )

    return first, last


def _histories(
    session: Session,
    codes: tuple[str, ...],
    first: date | None,
    last: date | None,
    zone: ZoneInfo,
) -> list[LotHistory]:
    if codes:
        return exports.histories_for(session, codes)

    if first is None or last is None:
        raise InvalidInput(
            "lot", "name a lot, or give --from DATE --to DATE for every lot with events"
        )

    return exports.histories_between(session, first, last, zone)


def _write(out: Path, data: bytes) -> None:
    """Write a file whole or not at all: a reader never sees half an export."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    partial.replace(out)


out_option = click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="File to write."
)
range_options = [
    click.option("--from", "start", default=None, help="First day, YYYY-MM-DD."),
    click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD."),
]


def _with_range(command: Any) -> Any:
    for option in reversed(range_options):
        command = option(command)

    return command


@click.group("export")
def export_group() -> None:
    """Exports for regulators and buyers: GS1 EPCIS 2.0 and FSMA 204."""


@export_group.command("epcis")
@click.argument("lot", required=False)
@_with_range
@out_option
@pass_context
def export_epcis(
    context: CliContext, lot: str | None, start: str | None, end: str | None, out: Path
) -> None:
    """Write a lot's events (or every lot's from --from to --to) as EPCIS 2.0."""
    first, last = _range(start, end)
    zone = _zone(context)
    with Session(context.engine) as session:
        codes = (lot,) if lot else ()
        histories = _histories(session, codes, first, last, zone)

    base_url = context.settings.base_url
    document = epcis.build_document(histories, utcnow(), zone, base_url, first, last)
    _write(out, json.dumps(document, ensure_ascii=False, indent=2).encode())
    count = len(document["epcisBody"]["eventList"])
    click.echo(f"wrote {count} events of {len(histories)} lots to {out}")


@export_group.command("fsma")
@click.argument("lots", nargs=-1)
@_with_range
@out_option
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="Default: from the file name's suffix, else csv.",
)
@pass_context
def export_fsma(
    context: CliContext,
    lots: tuple[str, ...],
    start: str | None,
    end: str | None,
    out: Path,
    form: str | None,
) -> None:
    """Write the FSMA 204 sheet of lots (or of every lot from --from to --to)."""
    first, last = _range(start, end)
    zone = _zone(context)
    with Session(context.engine) as session:
        histories = _histories(session, lots, first, last, zone)

    rows = fsma.build_rows(histories, zone, first, last)
    form = form or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    _write(out, fsma.to_xlsx(rows) if form == "xlsx" else fsma.to_csv(rows))
    click.echo(f"wrote {len(rows)} events of {len(histories)} lots to {out}")


@click.group("certificates")
def certificates_group() -> None:
    """Compliance certificates (承诺达标合格证) with the lot's QR code."""


@certificates_group.command("issue")
@click.argument("lot")
@click.option(
    "--basis",
    type=click.Choice(list(certificate.BASES)),
    default="own-control",
    show_default=True,
    help="What the promise rests on; a test basis attaches a passed inspection.",
)
@click.option("--inspection", type=int, default=None, help="Inspection id to attach.")
@click.option("--shipment", type=int, default=None, help="One shipment's load only.")
@click.option("--quantity", type=float, default=None, help="Kilograms certified.")
@out_option
@pass_context
def certificates_issue(
    context: CliContext,
    lot: str,
    basis: str,
    inspection: int | None,
    shipment: int | None,
    quantity: float | None,
    out: Path,
) -> None:
    """Issue a certificate for a lot and write its PDF."""
    request = certificate.IssueRequest(basis, inspection, shipment, quantity)
    with session_scope(context.engine) as session:
        row = lot_service.get_lot(session, lot)
        address = exports.lot_address(session, row, context.settings.base_url)
        issued = certificate.issue_certificate(
            session, row, CLI_ACTOR, date.today(), address, request
        )
        # Written inside the transaction: no certificate without its PDF.
        _write(out, render_certificate(certificate.certificate_sheet(session, issued)))
        number = issued.number

    click.echo(f"issued certificate {number}, written to {out}")


@certificates_group.command("print")
@click.argument("number")
@out_option
@pass_context
def certificates_print(context: CliContext, number: str, out: Path) -> None:
    """Write the PDF of an issued certificate again, exactly as first printed."""
    with Session(context.engine) as session:
        issued = certificate.get_certificate(session, number)
        sheet = certificate.certificate_sheet(session, issued)

    _write(out, render_certificate(sheet))
    click.echo(f"certificate {sheet.number} written to {out}")


@certificates_group.command("list")
@click.argument("lot")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def certificates_list(context: CliContext, lot: str, as_json: bool) -> None:
    """List a lot's certificates, oldest first."""
    with Session(context.engine) as session:
        row = lot_service.get_lot(session, lot)
        rows = [
            certificate.certificate_row(c, row.code)
            for c in certificate.list_certificates(session, row)
        ]

    if as_json:
        emit_json(rows)
        return

    columns = ["number", "issued_on", "basis", "quantity_kg", "issued_by"]
    emit_table(columns, [[r[c] for c in columns] for r in rows])
