"""Orchards: list, add, see and edit a co-op's own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from appletrace.trace import devices as device_service
from appletrace.trace import lots as lot_service
from appletrace.trace import orchards as orchard_service
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.errors import AppletraceError, InvalidInput
from appletrace.trace.reports import orchard_row
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    my_organization,
    number,
    render,
    render_form,
    text,
    transaction,
)

bp = Blueprint("coop_orchards", __name__, template_folder="templates")

COUNTY_OPTIONS = (("", "—"),) + tuple(
    (code, f"{name} {code}") for code, name in ZHAOTONG_COUNTIES.items()
)
PLACE_FIELDS = [
    FormField("name", "Name", required=True),
    FormField("county_code", "County", "select", True, COUNTY_OPTIONS),
    FormField("township", "Township"),
    FormField("village", "Village"),
    FormField("latitude", "Latitude", "number", True, help="27.387"),
    FormField("longitude", "Longitude", "number", True, help="103.588"),
    FormField("altitude_m", "Altitude (m)", "number", True, help="1935"),
    FormField("variety", "Variety", help="富士"),
]
NEW_FIELDS = [
    FormField("code", "Code", required=True, help="ZY-SAYU-01"),
    *PLACE_FIELDS,
]


def place_values() -> dict[str, Any]:
    """The place fields of the posted form, typed."""
    values: dict[str, Any] = {
        name: text(name)
        for name in ("name", "county_code", "township", "village", "variety")
    }
    for name in ("latitude", "longitude", "altitude_m"):
        values[name] = number(name)

    if not values["name"]:
        raise InvalidInput("name", "an orchard needs a name")

    return values


@bp.route("/orchards")
@requires("view")
def orchards() -> Any:
    """The co-op's orchards."""
    with transaction() as session:
        rows = [
            [
                {"href": url_for(".orchard", code=r["code"]), "text": r["code"]},
                r["name"],
                r["county"],
                r["township"],
                f"{r['altitude_m']:g}",
            ]
            for r in map(
                orchard_row,
                orchard_service.list_orchards(session, me().organization_id),
            )
        ]

    actions = [("Add", url_for(".new_orchard"))] if me().can("grow") else []
    return render(
        "table.html",
        title=None,
        heading="Orchards",
        headers=["Code", "Name", "County", "Township", "Altitude (m)"],
        rows=rows,
        actions=actions,
    )


@bp.route("/orchards/new", methods=["GET", "POST"])
@requires("grow")
def new_orchard() -> Any:
    """Add an orchard."""
    if request.method == "GET":
        return render_form("Orchards", NEW_FIELDS, {}, submit="Add")

    try:
        with transaction() as session:
            orchard = orchard_service.add_orchard(
                session,
                my_organization(session),
                me().actor,
                code=text("code"),
                **place_values(),
            )
    except AppletraceError as error:
        return render_form("Orchards", NEW_FIELDS, request.form, error, submit="Add")

    return redirect(url_for(".orchard", code=orchard.code))


@bp.route("/orchards/<code>")
@requires("view")
def orchard(code: str) -> Any:
    """One orchard with its devices and lots."""
    org_id = me().organization_id
    with transaction() as session:
        found = orchard_service.get_orchard(session, code, org_id)
        devices = [
            d
            for d, o in device_service.list_devices(session, org_id)
            if o.id == found.id
        ]
        lots = [
            lot for lot, o in lot_service.list_lots(session, org_id) if o.id == found.id
        ]

    return render(
        "orchard.html", orchard=orchard_row(found), devices=devices, lots=lots
    )


@bp.route("/orchards/<code>/edit", methods=["GET", "POST"])
@requires("grow")
def edit_orchard(code: str) -> Any:
    """Change an orchard's name, place or variety."""
    with transaction() as session:
        found = orchard_service.get_orchard(session, code, me().organization_id)
        if request.method == "GET":
            return render_form(f"{found.code}", PLACE_FIELDS, found.model_dump())

        try:
            orchard_service.update_orchard(session, found, me().actor, **place_values())
        except AppletraceError as error:
            session.rollback()
            return render_form(found.code, PLACE_FIELDS, request.form, error)

    return redirect(url_for(".orchard", code=found.code))
