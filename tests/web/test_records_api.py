"""Records through the API: EPCIS, FSMA and certificates, as a token sees them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from coop_world import World, post_form
from jsonschema import Draft7Validator
from sqlmodel import select

from appletrace.trace import fsma
from appletrace.trace.db import session_scope
from appletrace.trace.models import Organization
from appletrace.web.app import engine_of

SCHEMA = Path(__file__).parents[1] / "data" / "epcis" / "EPCIS-JSON-Schema.json"
GTIN = "06901234567892"


def give_gtin(world: World) -> None:
    with session_scope(engine_of(world.app)) as session:
        coop = session.exec(
            select(Organization).where(Organization.name == "洒渔苹果合作社")
        ).one()
        coop.gtin = GTIN
        session.add(coop)


def test_a_shared_lots_epcis_and_fsma_are_served(world: World) -> None:
    give_gtin(world)

    events = world.api("p_packer", "GET", "/api/lots/ZY25-FJ-001/epcis")
    sheet = world.api("p_packer", "GET", "/api/lots/ZY25-FJ-001/fsma")

    assert events.status_code == 200
    assert events.mimetype == "application/ld+json"
    document = json.loads(events.data)
    validator = Draft7Validator(
        json.loads(SCHEMA.read_text()), format_checker=Draft7Validator.FORMAT_CHECKER
    )
    assert list(validator.iter_errors(document)) == []
    harvest = document["epcisBody"]["eventList"][0]
    assert harvest["ilmd"]["cbvmda:lotNumber"] == "ZY25-FJ-001"
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert [r["event"] for r in rows] == ["harvesting"]
    assert list(rows[0]) == list(fsma.COLUMN_NAMES)


def test_a_co_op_issues_lists_and_prints_a_certificate(world: World) -> None:
    give_gtin(world)

    issued = world.api(
        "a_farmer",
        "POST",
        "/api/lots/ZY25-FJ-001/certificates",
        json={"basis": "own-control", "quantity_kg": 600},
    )
    listed = world.api("a_auditor", "GET", "/api/lots/ZY25-FJ-001/certificates")

    assert issued.status_code == 201, issued.get_json()
    row = issued.get_json()
    assert row["quantity_kg"] == 600.0
    assert row["address"] == f"https://trace.example.cn/01/{GTIN}/10/ZY25-FJ-001"
    assert listed.get_json() == [row]
    first = world.api("p_packer", "GET", f"/api/certificates/{row['number']}")
    again = world.api("a_auditor", "GET", f"/api/certificates/{row['number']}")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF") and first.data == again.data


def test_a_test_basis_without_an_inspection_is_refused(world: World) -> None:
    give_gtin(world)

    answer = world.api(
        "a_farmer",
        "POST",
        "/api/lots/ZY25-FJ-001/certificates",
        json={"basis": "commissioned-test"},
    )

    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "basis"


def test_a_farmer_issues_a_certificate_on_the_lot_page(world: World) -> None:
    give_gtin(world)
    client = world.client("a_farmer")
    form = "/coop/lots/ZY25-FJ-001/certificates/new"

    refused = post_form(client, form, {"basis": "own-test"})
    issued = post_form(client, form, {"basis": "own-control", "quantity_kg": "750"})
    page = client.get("/coop/lots/ZY25-FJ-001").text
    number = re.search(r"/coop/certificates/([0-9]{8}-ZY25-FJ-001-1)", page)

    assert refused.status_code == 400 and "needs a passed inspection" in refused.text
    assert issued.status_code == 302
    assert number is not None and "750 kg" in page and "承诺达标合格证" in page
    pdf = world.client("p_packer").get(f"/coop/certificates/{number.group(1)}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    api = world.api("a_auditor", "GET", f"/api/certificates/{number.group(1)}")
    assert api.data == pdf.data
