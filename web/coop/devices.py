"""Devices: register one to an orchard and hand out its broker credentials."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, request, url_for

from appletrace.trace import devices as device_service
from appletrace.trace import orchards as orchard_service
from appletrace.trace.devices import DeviceCredentials
from appletrace.trace.errors import AppletraceError
from appletrace.trace.models import Orchard
from appletrace.web.app import settings_of
from appletrace.web.coop.auth import requires
from appletrace.web.coop.pages import (
    FormField,
    me,
    render,
    render_form,
    text,
    transaction,
)

bp = Blueprint("coop_devices", __name__, template_folder="templates")


def device_fields(orchards: list[Orchard]) -> list[FormField]:
    """The registration form, with the co-op's orchards to choose from."""
    options = tuple((o.code, f"{o.code} {o.name}") for o in orchards)
    kinds = tuple((k, k) for k in device_service.KINDS)
    return [
        FormField("device_id", "Device id", required=True, help="zy-sayu-01-ws1"),
        FormField("orchard", "Orchard", "select", True, options),
        FormField("kind", "Kind", "select", True, kinds),
    ]


def show_credentials(credentials: DeviceCredentials) -> Any:
    """The page that shows a password once; never cached."""
    body, status = render("credentials.html", credentials=credentials)
    return body, status, {"Cache-Control": "no-store"}


def topic_prefix() -> str:
    """The first topic level of sensor readings, from the settings."""
    return settings_of(current_app).mqtt_topic_prefix


@bp.route("/devices")
@requires("view")
def devices() -> Any:
    """The co-op's devices with their orchards."""
    with transaction() as session:
        rows = [
            [
                {"href": url_for(".device", device_id=d.id), "text": d.id},
                o.code,
                d.kind,
                "Active" if d.active else "Inactive",
            ]
            for d, o in device_service.list_devices(session, me().organization_id)
        ]

    actions = [("Register device", url_for(".new_device"))] if me().can("grow") else []
    return render(
        "table.html",
        heading="Devices",
        headers=["Device id", "Orchard", "Kind", "Status"],
        rows=rows,
        actions=actions,
    )


@bp.route("/devices/new", methods=["GET", "POST"])
@requires("grow")
def new_device() -> Any:
    """Register a device; the answer shows its one-time password."""
    with transaction() as session:
        fields = device_fields(
            orchard_service.list_orchards(session, me().organization_id)
        )
        if request.method == "GET":
            values = {"orchard": request.args.get("orchard", ""), "kind": "weather"}
            return render_form("Register device", fields, values, submit="Add")

        try:
            orchard = orchard_service.get_orchard(
                session, text("orchard"), me().organization_id
            )
            device = device_service.add_device(
                session, text("device_id"), orchard, text("kind"), actor=me().actor
            )
            credentials = device_service.issue_credentials(
                session, device, topic_prefix(), me().actor
            )
        except AppletraceError as error:
            session.rollback()
            return render_form(
                "Register device", fields, request.form, error, submit="Add"
            )

    return show_credentials(credentials)


@bp.route("/devices/<device_id>")
@requires("view")
def device(device_id: str) -> Any:
    """One device, its orchard and its broker settings."""
    with transaction() as session:
        found = device_service.get_device(session, device_id, me().organization_id)
        orchard = session.get(Orchard, found.orchard_id)

    acl = device_service.acl_lines(found.id, topic_prefix())
    return render("device.html", device=found, orchard=orchard, acl=acl)


@bp.route("/devices/<device_id>/password", methods=["POST"])
@requires("grow")
def new_password(device_id: str) -> Any:
    """Give a device a new broker password (the old one stops at the next export)."""
    with transaction() as session:
        found = device_service.get_device(session, device_id, me().organization_id)
        credentials = device_service.issue_credentials(
            session, found, topic_prefix(), me().actor
        )

    return show_credentials(credentials)


@bp.route("/devices/<device_id>/active", methods=["POST"])
@requires("grow")
def set_active(device_id: str) -> Any:
    """Switch a device on or off."""
    with transaction() as session:
        found = device_service.get_device(session, device_id, me().organization_id)
        device_service.set_active(
            session, found, request.form.get("active") == "1", me().actor
        )

    return redirect(url_for(".device", device_id=found.id))
