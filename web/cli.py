"""The ``appletrace`` command: one click group over every part's commands.

Each part registers its commands under the ``appletrace.commands`` entry-point
group in pyproject.toml; they are imported only when named, so the ingester runs
without Flask and the web app without paho.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from typing import Any

import click

from appletrace import __version__
from appletrace.trace.cli import CliContext
from appletrace.trace.errors import AppletraceError

GROUP = "appletrace.commands"


class PartsGroup(click.Group):
    """A group whose subcommands come from entry points, loaded on demand."""

    def _points(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self._points()) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]

        point = self._points().get(name)
        if point is None:
            return None

        command: click.Command = point.load()
        return command


@click.group(cls=PartsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="appletrace")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Traceability for Zhaotong apples: orchards, sensors, lots, labels, scans.

    Settings come from APPLETRACE_* environment variables (docs/settings.md).
    """
    ctx.ensure_object(CliContext)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; a user's mistake exits 1 with one line on stderr."""
    try:
        status = cli.main(args=argv, prog_name="appletrace", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except AppletraceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)

    # Without standalone mode click returns ctx.exit()'s code instead of exiting.
    sys.exit(status if isinstance(status, int) else 0)
