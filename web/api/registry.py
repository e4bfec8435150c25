"""API for orchards, devices, lots, shares and inspections."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request, send_file
from sqlmodel import Session, select

from appletrace.trace import devices as device_service
from appletrace.trace import inspections as inspection_service
from appletrace.trace import lots as lot_service
from appletrace.trace import orchards as orchard_service
from appletrace.trace import recalls as recall_service
from appletrace.trace.errors import NotFound
from appletrace.trace.models import Device, Lot, Orchard, Organization
from appletrace.trace.reports import orchard_row
from appletrace.web.api import body, route
from appletrace.web.api.openapi import array, ref
from appletrace.web.app import settings_of
from appletrace.web.coop.pages import my_organization, today, transaction

BINARY = {"application/pdf", "image/png", "image/jpeg"}


def me_id() -> int:
    """The organization the token acts for."""
    return int(g.principal.organization_id)


def actor() -> str:
    """Who acts, for the audit trail."""
    return str(g.principal.actor)


@route("/orchards", "get", "view", answer=array(ref("Orchard")))
def list_orchards() -> Any:
    """List the organization's orchards."""
    with transaction() as session:
        return jsonify(
            [orchard_row(o) for o in orchard_service.list_orchards(session, me_id())]
        )


@route(
    "/orchards",
    "post",
    "grow",
    answer=ref("Orchard"),
    status="201",
    body="OrchardNew",
    errors=("401", "403", "409"),
)
def add_orchard() -> Any:
    """Register an orchard."""
    values = body("OrchardNew")
    with transaction() as session:
        orchard = orchard_service.add_orchard(
            session, my_organization(session), actor(), **values
        )
        return jsonify(orchard_row(orchard)), 201


@route("/orchards/{code}", "get", "view", answer=ref("Orchard"))
def get_orchard(code: str) -> Any:
    """One orchard by code."""
    with transaction() as session:
        return jsonify(orchard_row(orchard_service.get_orchard(session, code, me_id())))


@route("/orchards/{code}", "patch", "grow", answer=ref("Orchard"), body="OrchardChange")
def change_orchard(code: str) -> Any:
    """Change an orchard's name, place or variety."""
    values = body("OrchardChange")
    with transaction() as session:
        orchard = orchard_service.get_orchard(session, code, me_id())
        orchard_service.update_orchard(session, orchard, actor(), **values)
        return jsonify(orchard_row(orchard))


def device_row(device: Device, orchard: Orchard) -> dict[str, Any]:
    """A device with its orchard's code and its ACL lines."""
    prefix = settings_of(current_app).mqtt_topic_prefix
    return {
        "id": device.id,
        "orchard": orchard.code,
        "kind": device.kind,
        "active": device.active,
        "acl": device_service.acl_lines(device.id, prefix),
    }


@route("/devices", "get", "view", answer=array(ref("Device")))
def list_devices() -> Any:
    """List the organization's devices."""
    with transaction() as session:
        rows = [
            device_row(d, o) for d, o in device_service.list_devices(session, me_id())
        ]
        return jsonify(rows)


@route(
    "/devices",
    "post",
    "grow",
    answer=ref("Credentials"),
    status="201",
    body="DeviceNew",
    errors=("401", "403", "404", "409"),
)
def add_device() -> Any:
    """Register a device; the answer holds its one-time broker password."""
    values = body("DeviceNew")
    prefix = settings_of(current_app).mqtt_topic_prefix
    with transaction() as session:
        orchard = orchard_service.get_orchard(session, values["orchard"], me_id())
        device = device_service.add_device(
            session,
            values["device_id"],
            orchard,
            values.get("kind", "weather"),
            actor(),
        )
        credentials = device_service.issue_credentials(session, device, prefix, actor())

    return jsonify(credentials.__dict__), 201, {"Cache-Control": "no-store"}


@route("/devices/{device_id}", "get", "view", answer=ref("Device"))
def get_device(device_id: str) -> Any:
    """One device."""
    with transaction() as session:
        device = device_service.get_device(session, device_id, me_id())
        orchard = session.get(Orchard, device.orchard_id)
        assert orchard is not None
        return jsonify(device_row(device, orchard))


@route(
    "/devices/{device_id}", "patch", "grow", answer=ref("Device"), body="DeviceChange"
)
def change_device(device_id: str) -> Any:
    """Switch a device on or off."""
    values = body("DeviceChange")
    with transaction() as session:
        device = device_service.get_device(session, device_id, me_id())
        device_service.set_active(session, device, values["active"], actor())
        orchard = session.get(Orchard, device.orchard_id)
        assert orchard is not None
        return jsonify(device_row(device, orchard))


@route("/devices/{device_id}/password", "post", "grow", answer=ref("Credentials"))
def new_device_password(device_id: str) -> Any:
    """Give a device a new one-time broker password."""
    prefix = settings_of(current_app).mqtt_topic_prefix
    with transaction() as session:
        device = device_service.get_device(session, device_id, me_id())
        credentials = device_service.issue_credentials(session, device, prefix, actor())

    return jsonify(credentials.__dict__), 200, {"Cache-Control": "no-store"}


def lot_row(session: Session, lot: Lot) -> dict[str, Any]:
    """A lot as the API shows it to this organization."""
    orchard = session.get(Orchard, lot.orchard_id)
    assert orchard is not None
    owner = lot.organization_id == me_id()
    return {
        "code": lot.code,
        "orchard": orchard.code,
        "variety": lot.variety,
        "window_start": lot.window_start.isoformat(),
        "harvested_on": lot.harvested_on.isoformat(),
        "quantity_kg": lot.quantity_kg,
        "grade": lot.grade,
        "status": lot.status,
        "owner": owner,
        "shared_with": [o.name for o in lot_service.shared_with(session, lot)]
        if owner
        else [],
        "recalled": bool(recall_service.active_recalls(session, lot)),
    }


@route("/lots", "get", "view", answer=array(ref("Lot")))
def list_lots() -> Any:
    """Lots the organization owns or that were shared with it."""
    with transaction() as session:
        lots = lot_service.list_visible_lots(session, me_id())
        return jsonify([lot_row(session, lot) for lot, _ in lots])


@route(
    "/lots",
    "post",
    "grow",
    answer=ref("Lot"),
    status="201",
    body="LotNew",
    errors=("401", "403", "404", "409"),
)
def add_lot() -> Any:
    """Register a lot of one of the co-op's orchards."""
    values = body("LotNew")
    with transaction() as session:
        orchard = orchard_service.get_orchard(session, values.pop("orchard"), me_id())
        lot = lot_service.add_lot(
            session, my_organization(session), orchard, actor(), today(), **values
        )
        return jsonify(lot_row(session, lot)), 201


@route("/lots/{code}", "get", "view", answer=ref("Lot"))
def get_lot(code: str) -> Any:
    """One lot the organization can see."""
    with transaction() as session:
        return jsonify(
            lot_row(session, lot_service.get_visible_lot(session, code, me_id()))
        )


@route("/lots/{code}", "patch", "grow", answer=ref("Lot"), body="LotChange")
def change_lot(code: str) -> Any:
    """Change a lot's variety, window, quantity or grade."""
    values = body("LotChange")
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        lot_service.update_lot(session, lot, actor(), today(), **values)
        return jsonify(lot_row(session, lot))


def packing_house(session: Session, name: str) -> Organization:
    """A packing house by name."""
    house = session.exec(select(Organization).where(Organization.name == name)).first()
    if house is None:
        raise NotFound("organization", name)

    return house


@route("/lots/{code}/shares", "post", "grow", answer=ref("Lot"), body="Share")
def share_lot(code: str) -> Any:
    """Let a packing house print labels for the lot."""
    values = body("Share")
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        house = packing_house(session, values["packing_house"])
        lot_service.share_lot(session, lot, house, actor())
        return jsonify(lot_row(session, lot))


@route("/lots/{code}/shares/{name}", "delete", "grow", answer=ref("Lot"))
def unshare_lot(code: str, name: str) -> Any:
    """Stop sharing the lot with a packing house."""
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        lot_service.unshare_lot(session, lot, packing_house(session, name), actor())
        return jsonify(lot_row(session, lot))


@route("/lots/{code}/inspections", "get", "view", answer=array(ref("Inspection")))
def list_inspections(code: str) -> Any:
    """A lot's inspections, newest first."""
    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me_id())
        rows = inspection_service.list_inspections(session, lot)
        return jsonify([inspection_service.inspection_row(i) for i in rows])


@route(
    "/lots/{code}/inspections",
    "post",
    "grow",
    answer=ref("Inspection"),
    status="201",
    body="InspectionNew",
)
def add_inspection(code: str) -> Any:
    """Record a lab's test of one of the co-op's lots."""
    values = body("InspectionNew")
    values["residues"] = inspection_service.check_findings(values.get("residues", []))
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        inspection = inspection_service.add_inspection(
            session, lot, actor(), today(), **values
        )
        return jsonify(inspection_service.inspection_row(inspection)), 201


REPORT_BODY = {
    "required": True,
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(BINARY)
    },
}
REPORT_FILE = {
    "description": "The report file.",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(BINARY)
    },
}


@route(
    "/lots/{code}/inspections/{inspection_id}/report",
    "put",
    "grow",
    answer=ref("Inspection"),
    requestBody=REPORT_BODY,
)
def put_report(code: str, inspection_id: int) -> Any:
    """Attach the report file (PDF, PNG or JPEG) to an inspection."""
    from appletrace.web.coop.inspections import report_folder

    data = request.get_data()
    inspection_service.report_suffix(data)
    with transaction() as session:
        lot = lot_service.get_lot(session, code, me_id())
        inspection = inspection_service.get_inspection(session, lot, inspection_id)
        name = inspection_service.store_report(report_folder(), lot, data)
        inspection_service.attach_report(session, inspection, name, actor())
        return jsonify(inspection_service.inspection_row(inspection))


@route(
    "/lots/{code}/inspections/{inspection_id}/report",
    "get",
    "view",
    answer=None,
    responses_override=REPORT_FILE,
)
def get_report(code: str, inspection_id: int) -> Response:
    """Download an inspection's report file."""
    from appletrace.web.coop.inspections import MEDIA_TYPES, report_folder

    with transaction() as session:
        lot = lot_service.get_visible_lot(session, code, me_id())
        inspection = inspection_service.get_inspection(session, lot, inspection_id)

    if not inspection.report_path:
        raise NotFound("report", inspection_id)

    path = report_folder() / inspection.report_path.rsplit("/", 1)[-1]
    return send_file(
        path, mimetype=MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    )
