"""``appletrace devices export-mosquitto``: Mosquitto's password file and ACL."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from sqlmodel import Session

from appletrace.trace import mosquitto
from appletrace.trace.cli import CliContext, pass_context

DEFAULT_INGEST_USER = "ingest"
# Hashes only, yet still nobody else's business: the group is Mosquitto's.
FILE_MODE = 0o640


def ingest_credentials(mqtt_url: str, user: str | None) -> tuple[str, str | None]:
    """The ingester's user name, and its password from the URL if it carries one."""
    url = urlsplit(mqtt_url)
    name = user or unquote(url.username or "") or DEFAULT_INGEST_USER
    if url.password and unquote(url.username or "") == name:
        return name, unquote(url.password)

    return name, None


def write_file(path: Path, text: str) -> None:
    """Replace the file at once, so Mosquitto never reads half of it."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)

    os.replace(partial, path)


@click.command("export-mosquitto")
@click.option(
    "--passwd",
    "passwd_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Password file to write (Mosquitto's password_file).",
)
@click.option(
    "--acl",
    "acl_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="ACL file to write (Mosquitto's acl_file).",
)
@click.option(
    "--ingest-user",
    default=None,
    help="The ingester's broker user [default: the user in APPLETRACE_MQTT_URL, "
    "else 'ingest'].",
)
@pass_context
def export_mosquitto(
    context: CliContext, passwd_path: Path, acl_path: Path, ingest_user: str | None
) -> None:
    """Write Mosquitto's password file and per-device ACL from the devices."""
    settings = context.settings
    user, password = ingest_credentials(settings.mqtt_url, ingest_user)
    ingest_hash = mosquitto.hash_password(password) if password else None
    with Session(context.engine) as session:
        found = mosquitto.export(session, settings.mqtt_topic_prefix, user, ingest_hash)

    write_file(passwd_path, found.passwd)
    write_file(acl_path, found.acl)

    for device_id, reason in found.skipped:
        click.echo(f"warning: device {device_id} left out: {reason}", err=True)

    if ingest_hash is None:
        click.echo(
            f"warning: APPLETRACE_MQTT_URL carries no password for {user!r}: "
            "the ACL names it but the password file does not; put the "
            "ingester's password in APPLETRACE_MQTT_URL and export again",
            err=True,
        )

    devices = found.acl.count("topic write")
    click.echo(
        f"wrote {devices} devices to {passwd_path} and {acl_path}; "
        "send Mosquitto SIGHUP to reload them"
    )
