"""``appletrace users``: members who sign in to the co-op pages.

There is no default account: the first admin of each organization is made here.
"""

from __future__ import annotations

import sys

import click
from sqlmodel import Session, select

from appletrace.trace import accounts
from appletrace.trace.cli import CliContext, emit_json, emit_table, pass_context
from appletrace.trace.db import session_scope
from appletrace.trace.errors import NotFound
from appletrace.trace.models import Organization


@click.group()
def users() -> None:
    """Members of co-ops and packing houses."""


def read_password(from_stdin: bool) -> str:
    """The password from one line of standard input, or asked twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")

    password: str = click.prompt(
        "Password (8 or more characters)", hide_input=True, confirmation_prompt=True
    )
    return password


def organization_named(session: Session, name: str) -> Organization:
    """The organization with this name."""
    found = session.exec(select(Organization).where(Organization.name == name)).first()
    if found is None:
        raise NotFound("organization", name)

    return found


@users.command("add")
@click.argument("username")
@click.option("--org", required=True, help="Organization name.")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--name", "display_name", default="", help="Name shown on pages.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
@pass_context
def users_add(
    context: CliContext,
    username: str,
    org: str,
    role: str,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Add a member (the first admin of an organization, say)."""
    password = read_password(password_stdin)
    with session_scope(context.engine) as session:
        organization = organization_named(session, org)
        member = accounts.add_member(
            session, organization, username, password, role, display_name
        )
        name = member.username

    click.echo(f"added {role} {name} to {org}")


@users.command("list")
@click.option("--org", required=True, help="Organization name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def users_list(context: CliContext, org: str, as_json: bool) -> None:
    """List an organization's members."""
    with Session(context.engine) as session:
        organization = organization_named(session, org)
        rows = [
            {"username": m.username, "role": m.role, "active": m.active}
            for m in accounts.list_members(session, organization.id or 0)
        ]

    if as_json:
        emit_json(rows)
    else:
        emit_table(["username", "role", "active"], [r.values() for r in rows])


@users.command("password")
@click.argument("username")
@click.option("--org", required=True, help="Organization name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
@pass_context
def users_password(
    context: CliContext, username: str, org: str, password_stdin: bool
) -> None:
    """Set a member's password (and unlock the account)."""
    password = read_password(password_stdin)
    with session_scope(context.engine) as session:
        organization = organization_named(session, org)
        member = accounts.get_member(session, organization.id or 0, username)
        accounts.set_password(session, member, password)

    click.echo(f"password of {username} changed")
