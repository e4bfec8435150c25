"""Commands for the records themselves: the audit chain, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click
from sqlmodel import Session

from appletrace.trace import audit, backup
from appletrace.trace.cli import CliContext, pass_context


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
