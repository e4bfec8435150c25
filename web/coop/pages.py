"""Helpers shared by the co-op pages: the transaction, forms, values, rendering."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, g, render_template, request
from sqlmodel import Session

from appletrace.trace.accounts import Principal
from appletrace.trace.db import session_scope
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.models import Organization
from appletrace.web.app import engine_of, settings_of


@dataclass(frozen=True)
class FormField:
    """One input of a form: its name, label and kind of input."""

    name: str
    label: str
    kind: str = "text"  # text, number, date, select, textarea, file, password, check
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    step: str = "any"
    help: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@contextmanager
def transaction() -> Iterator[Session]:
    """A database session for one request's change; commits at the end."""
    with session_scope(engine_of(current_app)) as session:
        yield session


def me() -> Principal:
    """The principal of the request; views run only after ``requires``."""
    principal: Principal = g.principal
    return principal


def my_organization(session: Session) -> Organization:
    """The organization the request acts for."""
    organization = session.get(Organization, me().organization_id)
    assert organization is not None

    return organization


def today() -> date:
    """Today's date in the configured time zone (an orchard's local day)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(settings_of(current_app).timezone)).date()


def text(name: str, values: Mapping[str, Any] | None = None) -> str:
    """A form field's text, stripped."""
    source = request.form if values is None else values
    return str(source.get(name, "")).strip()


def number(name: str, required: bool = True, values: Any = None) -> float | None:
    """A form field as a number, or InvalidInput naming the field."""
    raw = text(name, values).replace(",", "")
    if not raw:
        if required:
            raise InvalidInput(name, f"{name} is needed")

        return None

    try:
        value = float(raw)
    except ValueError:
        value = math.nan

    if not math.isfinite(value):
        raise InvalidInput(name, f"{name} {raw!r} is not a number")

    return value


def day(name: str, values: Any = None) -> date:
    """A form field as a YYYY-MM-DD date, or InvalidInput naming the field."""
    raw = text(name, values)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            name, f"{name} {raw!r} is not a date; use YYYY-MM-DD"
        ) from None


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page of the co-op part."""
    return render_template(f"coop/{template}", **context), status


def render_form(
    title: str,
    fields: list[FormField],
    values: Mapping[str, Any],
    error: AppletraceError | None = None,
    **context: Any,
) -> tuple[str, int]:
    """The generic form page; a mistake keeps the values and marks its field."""
    status = 200
    error_field = None
    if error is not None:
        status = 409 if type(error).__name__ == "Conflict" else 400
        error_field = getattr(error, "field", None)

    return render(
        "form.html",
        status,
        title=title,
        fields=fields,
        values=values,
        error=error,
        error_field=error_field,
        **context,
    )
