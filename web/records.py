"""Commands for records a regulator or buyer relies on: the audit chain."""

from __future__ import annotations

import click
from sqlmodel import Session

from appletrace.trace import audit
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
