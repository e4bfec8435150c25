"""Organization A cannot read, change, print or recall B's objects, by any route.

Every route of the app needs a case here: a new route without one fails
``test_every_route_has_a_case``. Each case is run by a member (or API token) of
co-op A or packing house P against co-op B's objects; afterwards B's rows must be
unchanged, and no answer may show B's codes.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from coop_world import World, csrf_of
from sqlmodel import Session, select

from appletrace.trace import certificate, devices, inspections, recalls, shipments
from appletrace.trace import lots as lot_service
from appletrace.trace.db import session_scope
from appletrace.trace.label_runs import create_label_run
from appletrace.trace.models import (
    ApiToken,
    AuditEvent,
    Lot,
    Member,
    Orchard,
    Organization,
)
from appletrace.trace.organizations import add_organization
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app, engine_of
from appletrace.web.coop.auth import rule_of

# B shares BB25-FJ-002 with P, so P sees that lot and its orchard, nothing else.
PACKER_SECRETS = ("BB25-FJ-001", "ld-ws1", "b_farmer")
# B's compliance certificate for its unshared lot.
B_CERTIFICATE = "20260101-BB25-FJ-001-1"
# What belongs to B and must never show to A.
SECRETS = (
    "LD-LONGS-01",
    "BB25-FJ-001",
    "BB25-FJ-002",
    "ld-ws1",
    "龙树果园",
    "b_farmer",
)


@dataclass
class Probe:
    """One request by one of A's or P's members (page) or tokens (api)."""

    who: str
    method: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)
    api: bool = False
    allowed: tuple[int, ...] = (302, 400, 403, 404, 405, 409)


def page(who: str, method: str, url: str, **data: Any) -> Probe:
    return Probe(who, method, url, data)


def api(who: str, method: str, url: str, **data: Any) -> Probe:
    return Probe(
        who, method, url, data, api=True, allowed=(400, 401, 403, 404, 405, 409)
    )


def read(who: str, url: str, api_call: bool = False) -> Probe:
    """A read that must answer 200 and hide B's objects."""
    probe = Probe(who, "GET", url, api=api_call, allowed=(200,))
    return probe


ORCHARD = {
    "name": "x",
    "county_code": "530602",
    "latitude": 27.0,
    "longitude": 103.0,
    "altitude_m": 1900.0,
}
LOT = {"variety": "富士", "window_start": "2025-04-01", "harvested_on": "2025-10-01"}
CSV = (
    "code,orchard,variety,window_start,harvested_on\n"
    "X1,LD-LONGS-01,富士,2025-04-01,2025-10-01\n"
)

GTIN = "06901234567892"
RUN = {"count": "5", "gtin": GTIN, "template": "a4-rect"}

# B's ids are fixed by the setup below: inspection 1, recall 1, shipment 1,
# b_admin's token is the 4th made by the world.
CASES: dict[str, list[Probe]] = {
    "static": [],
    "coop_signin.signin": [],
    "coop_signin.signout": [],
    "api.openapi_json": [],
    # The consumer's pages (the resolver's blueprint) are public by design.
    "resolver.resolve": [],
    "resolver.resolver_description": [],
    "resolver.recall_status": [],
    "resolver.inspection": [],
    "coop_signin.password": [read("a_farmer", "/coop/password")],
    "coop_dashboard.dashboard": [
        read("a_farmer", "/coop/"),
        read("p_packer", "/coop/"),
    ],
    "coop_orchards.orchards": [read("a_farmer", "/coop/orchards")],
    "coop_orchards.new_orchard": [
        page("a_farmer", "POST", "/coop/orchards/new", code="LD-LONGS-01", **ORCHARD)
    ],
    "coop_orchards.orchard": [page("a_farmer", "GET", "/coop/orchards/LD-LONGS-01")],
    "coop_orchards.edit_orchard": [
        page("a_farmer", "GET", "/coop/orchards/LD-LONGS-01/edit"),
        page("a_farmer", "POST", "/coop/orchards/LD-LONGS-01/edit", **ORCHARD),
    ],
    "coop_devices.devices": [read("a_farmer", "/coop/devices")],
    "coop_devices.new_device": [
        page(
            "a_farmer",
            "POST",
            "/coop/devices/new",
            device_id="a-ws9",
            orchard="LD-LONGS-01",
        ),
        page(
            "a_farmer",
            "POST",
            "/coop/devices/new",
            device_id="ld-ws1",
            orchard="ZY-SAYU-01",
        ),
    ],
    "coop_devices.device": [page("a_farmer", "GET", "/coop/devices/ld-ws1")],
    "coop_devices.new_password": [
        page("a_farmer", "POST", "/coop/devices/ld-ws1/password")
    ],
    "coop_devices.set_active": [
        page("a_farmer", "POST", "/coop/devices/ld-ws1/active", active="0")
    ],
    "coop_lots.lots": [read("a_farmer", "/coop/lots"), read("p_packer", "/coop/lots")],
    "coop_lots.new_lot": [
        page(
            "a_farmer",
            "POST",
            "/coop/lots/new",
            code="X1",
            orchard="LD-LONGS-01",
            **LOT,
        ),
        page(
            "a_farmer",
            "POST",
            "/coop/lots/new",
            code="BB25-FJ-001",
            orchard="ZY-SAYU-01",
            **LOT,
        ),
    ],
    "coop_lots.lot": [
        page("a_farmer", "GET", "/coop/lots/BB25-FJ-001"),
        page("p_packer", "GET", "/coop/lots/bb25-fj-001"),
    ],
    "coop_lots.edit_lot": [
        page("a_farmer", "GET", "/coop/lots/BB25-FJ-001/edit"),
        page("a_farmer", "POST", "/coop/lots/BB25-FJ-001/edit", **LOT),
        page("p_packer", "POST", "/coop/lots/ZY25-FJ-001/edit", **LOT),
    ],
    "coop_lots.share": [
        page(
            "a_farmer",
            "POST",
            "/coop/lots/BB25-FJ-001/share",
            packing_house="昭阳包装厂",
        ),
        page(
            "p_packer",
            "POST",
            "/coop/lots/BB25-FJ-001/share",
            packing_house="昭阳包装厂",
        ),
    ],
    "coop_inspections.new_inspection": [
        page("a_farmer", "GET", "/coop/lots/BB25-FJ-001/inspections/new"),
        page(
            "a_farmer",
            "POST",
            "/coop/lots/BB25-FJ-001/inspections/new",
            lab="x",
            inspected_on="2025-10-01",
        ),
    ],
    "coop_inspections.report": [
        page("a_farmer", "GET", "/coop/lots/BB25-FJ-001/inspections/1/report"),
        page("a_farmer", "GET", "/coop/lots/ZY25-FJ-001/inspections/1/report"),
        page("p_packer", "GET", "/coop/lots/ZY25-FJ-001/inspections/1/report"),
    ],
    "coop_recalls.recalls": [
        read("a_farmer", "/coop/recalls"),
        read("p_packer", "/coop/recalls"),
    ],
    "coop_recalls.new_recall": [
        page(
            "a_farmer",
            "POST",
            "/coop/recalls/new",
            lot="BB25-FJ-001",
            reason="偷偷召回",
        ),
        page(
            "p_packer",
            "POST",
            "/coop/recalls/new",
            lot="ZY25-FJ-001",
            reason="不是我的",
        ),
    ],
    "coop_recalls.recall": [page("a_farmer", "GET", "/coop/recalls/1")],
    "coop_recalls.lift": [page("a_farmer", "POST", "/coop/recalls/1/lift")],
    "coop_shipments.shipments": [read("a_farmer", "/coop/shipments")],
    "coop_shipments.new_shipment": [
        page(
            "a_farmer",
            "POST",
            "/coop/shipments/new",
            consignee="x",
            shipped_on="2025-11-01",
            lots="BB25-FJ-001",
        ),
    ],
    "coop_shipments.shipment": [page("a_farmer", "GET", "/coop/shipments/1")],
    "coop_import.start": [read("a_farmer", "/coop/import")],
    "coop_import.preview": [
        page(
            "a_farmer",
            "POST",
            "/coop/import",
            kind="lots",
            file=(CSV.encode(), "lots.csv"),
        )
    ],
    "coop_import.confirm": [
        page(
            "a_farmer",
            "POST",
            "/coop/import/confirm",
            kind="lots",
            rows=json.dumps(
                [{"number": 2, "raw": {"code": "X1", "orchard": "LD-LONGS-01", **LOT}}]
            ),
        )
    ],
    "coop_users.members": [read("a_admin", "/coop/members")],
    "coop_users.new_member": [
        page(
            "a_admin",
            "POST",
            "/coop/members/new",
            username="b_farmer",
            role="farmer",
            password="long enough pass",
        )
    ],
    "coop_users.update_member": [
        page("a_admin", "POST", "/coop/members/b_farmer", role="auditor", active="0"),
        page("a_farmer", "POST", "/coop/members/a_auditor", role="admin"),
    ],
    "coop_users.tokens": [read("a_admin", "/coop/tokens")],
    "coop_users.new_token": [
        page("a_farmer", "POST", "/coop/tokens/new", name="x", role="admin")
    ],
    "coop_users.revoke_token": [page("a_admin", "POST", "/coop/tokens/4/revoke")],
    "api.list_orchards": [read("a_farmer", "/api/orchards", True)],
    "api.add_orchard": [
        api("a_farmer", "POST", "/api/orchards", code="LD-LONGS-01", **ORCHARD),
        api("a_auditor", "POST", "/api/orchards", code="ZY-NEW-9", **ORCHARD),
    ],
    "api.get_orchard": [api("a_farmer", "GET", "/api/orchards/LD-LONGS-01")],
    "api.change_orchard": [
        api("a_farmer", "PATCH", "/api/orchards/LD-LONGS-01", name="y")
    ],
    "api.list_devices": [read("a_farmer", "/api/devices", True)],
    "api.add_device": [
        api(
            "a_farmer", "POST", "/api/devices", device_id="a-ws9", orchard="LD-LONGS-01"
        ),
        api(
            "a_farmer", "POST", "/api/devices", device_id="ld-ws1", orchard="ZY-SAYU-01"
        ),
    ],
    "api.get_device": [api("a_farmer", "GET", "/api/devices/ld-ws1")],
    "api.change_device": [
        api("a_farmer", "PATCH", "/api/devices/ld-ws1", active=False)
    ],
    "api.new_device_password": [
        api("a_farmer", "POST", "/api/devices/ld-ws1/password")
    ],
    "api.list_lots": [
        read("a_farmer", "/api/lots", True),
        read("p_packer", "/api/lots", True),
    ],
    "api.add_lot": [
        api("a_farmer", "POST", "/api/lots", code="X1", orchard="LD-LONGS-01", **LOT),
        api("p_packer", "POST", "/api/lots", code="X2", orchard="ZY-SAYU-01", **LOT),
    ],
    "api.get_lot": [
        api("a_farmer", "GET", "/api/lots/BB25-FJ-001"),
        api("p_packer", "GET", "/api/lots/BB25-FJ-001"),
    ],
    "api.change_lot": [
        api("a_farmer", "PATCH", "/api/lots/BB25-FJ-001", grade="特级"),
        api("p_packer", "PATCH", "/api/lots/ZY25-FJ-001", grade="特级"),
    ],
    "api.share_lot": [
        api(
            "a_farmer",
            "POST",
            "/api/lots/BB25-FJ-001/shares",
            packing_house="昭阳包装厂",
        )
    ],
    "api.unshare_lot": [
        api("a_farmer", "DELETE", "/api/lots/BB25-FJ-002/shares/昭阳包装厂")
    ],
    "api.list_inspections": [
        api("a_farmer", "GET", "/api/lots/BB25-FJ-001/inspections")
    ],
    "api.add_inspection": [
        api(
            "a_farmer",
            "POST",
            "/api/lots/BB25-FJ-001/inspections",
            lab="x",
            inspected_on="2025-10-01",
            passed=True,
        )
    ],
    "api.put_report": [
        Probe(
            "a_farmer",
            "PUT",
            "/api/lots/BB25-FJ-001/inspections/1/report",
            {"raw": b"%PDF-1.4 x"},
            api=True,
            allowed=(404,),
        )
    ],
    "api.get_report": [
        api("a_farmer", "GET", "/api/lots/BB25-FJ-001/inspections/1/report")
    ],
    "coop_certificates.new_certificate": [
        page("a_farmer", "GET", "/coop/lots/BB25-FJ-001/certificates/new"),
        page(
            "a_farmer",
            "POST",
            "/coop/lots/BB25-FJ-001/certificates/new",
            basis="own-control",
        ),
        page("p_packer", "GET", "/coop/lots/ZY25-FJ-001/certificates/new"),
    ],
    "coop_certificates.certificate_pdf": [
        page("a_farmer", "GET", f"/coop/certificates/{B_CERTIFICATE}"),
        page("p_packer", "GET", f"/coop/certificates/{B_CERTIFICATE}"),
    ],
    "api.lot_epcis": [api("a_farmer", "GET", "/api/lots/BB25-FJ-001/epcis")],
    "api.lot_fsma": [api("a_farmer", "GET", "/api/lots/BB25-FJ-001/fsma")],
    "api.list_certificates": [
        api("a_farmer", "GET", "/api/lots/BB25-FJ-001/certificates")
    ],
    "api.issue_certificate": [
        api("a_farmer", "POST", "/api/lots/BB25-FJ-001/certificates"),
        api("p_packer", "POST", "/api/lots/ZY25-FJ-001/certificates"),
    ],
    "api.certificate_pdf": [
        api("a_farmer", "GET", f"/api/certificates/{B_CERTIFICATE}"),
        api("p_packer", "GET", f"/api/certificates/{B_CERTIFICATE}"),
    ],
    "api.list_recalls": [read("a_farmer", "/api/recalls", True)],
    "api.add_recall": [
        api("a_farmer", "POST", "/api/recalls", lot="BB25-FJ-001", reason="偷偷召回"),
        api("p_packer", "POST", "/api/recalls", lot="ZY25-FJ-001", reason="不是我的"),
    ],
    "api.get_recall": [api("a_farmer", "GET", "/api/recalls/1")],
    "api.lift_recall": [api("a_farmer", "POST", "/api/recalls/1/lift")],
    "api.list_shipments": [read("a_farmer", "/api/shipments", True)],
    "api.add_shipment": [
        api(
            "a_farmer",
            "POST",
            "/api/shipments",
            consignee="x",
            shipped_on="2025-11-01",
            lots=[{"code": "BB25-FJ-001"}],
        )
    ],
    "api.get_shipment": [api("a_farmer", "GET", "/api/shipments/1")],
    "api.import_sheet": [
        Probe(
            "a_farmer",
            "POST",
            "/api/imports/lots",
            {"raw": CSV.encode(), "content_type": "text/csv"},
            api=True,
            allowed=(200,),
        )
    ],
    "coop_label_runs.label_runs": [
        read("a_farmer", "/coop/label-runs"),
        read("p_packer", "/coop/label-runs"),
    ],
    "coop_label_runs.new_label_run": [
        page("p_packer", "GET", "/coop/lots/BB25-FJ-001/label-runs/new"),
        page("p_packer", "POST", "/coop/lots/BB25-FJ-001/label-runs/new", **RUN),
        page("a_farmer", "POST", "/coop/lots/ZY25-FJ-001/label-runs/new", **RUN),
    ],
    "coop_label_runs.label_run": [
        page("a_farmer", "GET", "/coop/label-runs/1"),
        page("p_packer", "GET", "/coop/label-runs/1"),
    ],
    "coop_label_runs.download": [
        page("p_packer", "GET", "/coop/label-runs/1/labels.pdf"),
        page("p_packer", "GET", "/coop/label-runs/1/labels.zpl?from=0&to=1"),
        page("b_farmer", "GET", "/coop/label-runs/1/labels.pdf"),
    ],
    "coop_label_runs.void": [
        page("p_packer", "POST", "/coop/label-runs/1/void", indexes="0-2"),
        page("b_farmer", "POST", "/coop/label-runs/1/void", indexes="0"),
    ],
    "api.list_label_runs": [
        read("a_farmer", "/api/label-runs", True),
        read("p_packer", "/api/label-runs", True),
    ],
    "api.add_label_run": [
        api("p_packer", "POST", "/api/lots/BB25-FJ-001/label-runs", count=5, gtin=GTIN),
        api("a_farmer", "POST", "/api/lots/ZY25-FJ-001/label-runs", count=5, gtin=GTIN),
    ],
    "api.get_label_run": [
        api("a_farmer", "GET", "/api/label-runs/1"),
        api("p_packer", "GET", "/api/label-runs/1"),
    ],
    "api.get_labels": [
        api("p_packer", "GET", "/api/label-runs/1/labels?format=pdf"),
        api("b_farmer", "GET", "/api/label-runs/1/labels?format=zpl"),
    ],
    "api.void_labels": [
        api("p_packer", "POST", "/api/label-runs/1/void", indexes=[0]),
        api("b_admin", "POST", "/api/label-runs/1/void", indexes=[0]),
    ],
    "api.list_members": [read("a_admin", "/api/members", True)],
    "api.add_member": [
        api(
            "a_admin",
            "POST",
            "/api/members",
            username="b_farmer",
            role="farmer",
            password="long enough pass",
        ),
        api(
            "a_farmer",
            "POST",
            "/api/members",
            username="a_new",
            role="admin",
            password="long enough pass",
        ),
    ],
    "api.list_tokens": [read("a_admin", "/api/tokens", True)],
    "api.add_token": [api("a_farmer", "POST", "/api/tokens", name="x", role="admin")],
    "api.revoke_token": [api("a_admin", "POST", "/api/tokens/4/revoke")],
}

# An import answers 200 with the row refused; the fingerprint shows nothing was made.
for _probe in CASES["coop_import.preview"] + CASES["coop_import.confirm"]:
    _probe.allowed = (200,)


def test_every_route_has_a_case(tmp_path) -> None:
    settings = Settings.from_env(
        {
            "APPLETRACE_INSTANCE_PATH": str(tmp_path),
            "APPLETRACE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "APPLETRACE_SECRET_KEY": "k",
        }
    )
    app = create_app(settings)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    assert endpoints - set(CASES) == set(), "routes without an authorization case"
    assert set(CASES) - endpoints == set(), "cases for routes that are gone"
    for endpoint in endpoints - {"static"}:
        if endpoint.startswith("resolver."):
            continue  # public by design; each still needs its (empty) case above

        view = app.view_functions[endpoint]
        assert rule_of(view) is not None, f"{endpoint} has no @public or @requires"
        if not CASES[endpoint]:
            assert rule_of(view) == "public", f"{endpoint} is not public: probe it"


def b_objects(world: World) -> None:
    """Give co-op B a device, an inspection, a shipment and a recalled, shared lot."""
    with session_scope(engine_of(world.app)) as session:
        coop_b = session.exec(
            select(Organization).where(Organization.name == "鲁甸苹果合作社")
        ).one()
        house = session.exec(
            select(Organization).where(Organization.kind == "packing_house")
        ).one()
        orchard = session.exec(
            select(Orchard).where(Orchard.code == "LD-LONGS-01")
        ).one()
        lot = session.exec(select(Lot).where(Lot.code == "BB25-FJ-001")).one()
        second = lot_service.add_lot(
            session,
            coop_b,
            orchard,
            "b",
            date(2026, 1, 1),
            code="BB25-FJ-002",
            **{
                **LOT,
                "window_start": date(2025, 4, 1),
                "harvested_on": date(2025, 10, 1),
            },
        )
        lot_service.share_lot(session, second, house, "b")
        devices.add_device(session, "ld-ws1", orchard)
        inspections.add_inspection(
            session,
            lot,
            "b",
            date(2026, 1, 1),
            lab="b lab",
            inspected_on=date(2025, 10, 22),
            passed=True,
            report_path="b.pdf",
        )
        shipments.add_shipment(
            session,
            coop_b,
            "b",
            date(2026, 1, 1),
            [(lot, None)],
            consignee="b buyer",
            shipped_on=date(2025, 11, 1),
        )
        address = "https://trace.example.cn/01/06901234567892/10/BB25-FJ-001"
        certificate.issue_certificate(
            session, lot, "b", date(2026, 1, 1), address, certificate.IssueRequest()
        )
        recalls.recall(session, second, "B's own recall", "b")
        # Another packing house prints B's unshared-with-P lot: run 1.
        other = add_organization(session, "鲁甸包装厂", "packing_house")
        lot_service.share_lot(session, lot, other, "b")
        create_label_run(
            session, lot, other, GTIN, 5, "q", world.app.config["SECRET_KEY"]
        )


def fingerprint(world: World) -> list[Any]:
    """Everything about B (and the members and tokens of all) that could change."""
    with Session(engine_of(world.app)) as session:
        events = session.exec(
            select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.after)
        ).all()
        members = session.exec(
            select(Member.username, Member.role, Member.active)
        ).all()
        tokens = session.exec(select(ApiToken.name, ApiToken.revoked_at)).all()
        b_lots = session.exec(select(Lot).where(Lot.code.like("BB%"))).all()

    return [
        sorted(map(str, events)),
        sorted(map(str, members)),
        sorted(map(str, tokens)),
        sorted(str(x) for x in b_lots),
    ]


def run(world: World, probe: Probe, clients: dict[str, Any]) -> Any:
    """Send the probe as its member (signed in once per test) or token."""
    if probe.api:
        data = dict(probe.data)
        raw = data.pop("raw", None)
        if raw is not None:
            content_type = data.pop("content_type", "application/pdf")
            return world.api(
                probe.who, probe.method, probe.url, data=raw, content_type=content_type
            )

        return world.api(probe.who, probe.method, probe.url, json=data or None)

    if probe.who not in clients:
        clients[probe.who] = world.client(probe.who)

    client = clients[probe.who]
    if probe.method == "GET":
        return client.get(probe.url)

    data = {
        k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v
        for k, v in probe.data.items()
    }
    token = csrf_of(client.get("/coop/").text)
    return client.post(
        probe.url,
        data={**data, "csrf_token": token},
        content_type="multipart/form-data",
    )


def problems_of(world: World, probe: Probe, clients: dict[str, Any]) -> list[str]:
    """What went wrong with one probe: a status, a leaked code, a change to B."""
    before = fingerprint(world)
    answer = run(world, probe, clients)
    body = answer.get_data(as_text=True)
    found = []
    if answer.status_code not in probe.allowed:
        found.append(f"status {answer.status_code}: {body[:200]}")

    asked = (probe.url + repr(probe.data)).lower()
    for secret in PACKER_SECRETS if probe.who.startswith("p_") else SECRETS:
        # An error may quote what was asked for; it must reveal nothing else.
        if secret.lower() not in asked and secret in body:
            found.append(f"shows {secret}")

    if fingerprint(world) != before:
        found.append("changed what it may not")

    return found


def test_organization_a_cannot_reach_bs_objects(world: World) -> None:
    """Walk every route with its probes; report every failing one at once."""
    b_objects(world)
    clients: dict[str, Any] = {}
    failures = []
    for endpoint, probes in sorted(CASES.items()):
        for probe in probes:
            for problem in problems_of(world, probe, clients):
                failures.append(
                    f"{endpoint} {probe.who} {probe.method} {probe.url}: {problem}"
                )

    assert failures == []
