"""Plumbing shared by every part's commands: settings, the engine, output.

The root group (``appletrace.web.cli``) puts a ``CliContext`` in ``ctx.obj``;
commands in ``sensors`` and ``labels`` reach it through ``pass_context`` without
importing ``web``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import click

from appletrace.trace.errors import InvalidInput
from appletrace.trace.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])


class CliContext:
    """Settings and engine, made on first use so '--help' needs neither."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @cached_property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()

        return self._settings

    @cached_property
    def engine(self) -> Engine:
        # Imported here: the ingester's process never loads SQLAlchemy (26 MB).
        from appletrace.trace.db import get_engine

        return get_engine(self.settings)


pass_context = click.make_pass_decorator(CliContext, ensure=True)


def configure_logging(level: str) -> None:
    """Configure the root logger once, for an entry point."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def parse_date(value: str, field: str) -> date:
    """A YYYY-MM-DD date, or InvalidInput naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, f"{field} {value!r} is not a date; use YYYY-MM-DD"
        ) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()

    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit_json(value: Any) -> None:
    """Print a value as indented JSON (dates as ISO 8601)."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)
    click.echo(text)


def emit_table(headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    """Print rows as aligned columns; empty cells for None."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]

    for row in [list(headers), *cells]:
        padded = (c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True))
        click.echo("  ".join(padded).rstrip())


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
