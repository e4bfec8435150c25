"""The co-op pages through Flask's client: what a farmer, a packer and an admin do."""

import io
import json
import re

from coop_world import World, csrf_of, post_form
from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.devices import check_mosquitto_hash
from appletrace.trace.models import Device, Inspection, Lot, Orchard
from appletrace.web.app import engine_of

ORCHARD = {
    "code": "zy-sayu-02",
    "name": "洒渔二号果园",
    "county_code": "530602",
    "township": "洒渔镇",
    "village": "乐居村",
    "latitude": "27.39",
    "longitude": "103.59",
    "altitude_m": "1950",
    "variety": "富士",
}


def rows(world: World, model, **where):
    with Session(engine_of(world.app)) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)

        return list(session.exec(query))


def test_pages_are_chinese_first_with_english_on_request(world: World) -> None:
    client = world.client("a_farmer")

    assert "果园" in client.get("/coop/").text
    english = client.get("/coop/?lang=en")
    assert "Orchards" in english.text and "果园</a>" not in english.text
    assert "Orchards" in client.get("/coop/lots").text  # the choice is kept
    assert 'name="viewport"' in english.text


def test_a_farmer_adds_and_edits_an_orchard(world: World) -> None:
    client = world.client("a_farmer")

    added = post_form(client, "/coop/orchards/new", ORCHARD)

    assert added.status_code == 302
    page = client.get("/coop/orchards/ZY-SAYU-02").text
    assert "洒渔二号果园" in page and "1950" in page
    edited = post_form(
        client, "/coop/orchards/ZY-SAYU-02/edit", {**ORCHARD, "altitude_m": "1990"}
    )
    assert edited.status_code == 302
    assert rows(world, Orchard, code="ZY-SAYU-02")[0].altitude_m == 1990


def test_a_mistake_keeps_what_was_typed_and_marks_the_field(world: World) -> None:
    client = world.client("a_farmer")

    answer = post_form(client, "/coop/orchards/new", {**ORCHARD, "altitude_m": "19500"})

    assert answer.status_code == 400
    html = answer.text
    assert 'value="洒渔二号果园"' in html  # kept
    assert 'value="19500"' in html
    marked = html.split('class="invalid"')[1]
    assert 'name="altitude_m"' in marked.split("</div>")[0]
    assert 'aria-invalid="true"' in marked.split("</div>")[0]
    assert rows(world, Orchard, code="ZY-SAYU-02") == []


def test_registering_a_device_shows_its_broker_credentials_once(world: World) -> None:
    client = world.client("a_farmer")

    answer = post_form(
        client,
        "/coop/devices/new",
        {"device_id": "zy-sayu-01-ws1", "orchard": "ZY-SAYU-01", "kind": "weather"},
    )

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    password = answer.text.split('id="mqtt-password">')[1].split("<")[0]
    assert "user zy-sayu-01-ws1\ntopic write orchard/zy-sayu-01-ws1/readings" in (
        answer.text
    )
    stored = rows(world, Device, id="zy-sayu-01-ws1")[0].credential_hash
    assert stored.startswith("$7$101$") and password not in stored
    assert check_mosquitto_hash(stored, password)
    assert password not in client.get("/coop/devices/zy-sayu-01-ws1").text


def test_a_farmer_registers_a_lot_and_adds_an_inspection(world: World) -> None:
    client = world.client("a_farmer")

    added = post_form(
        client,
        "/coop/lots/new",
        {
            "code": "zy25-fj-002",
            "orchard": "ZY-SAYU-01",
            "variety": "富士",
            "window_start": "2025-04-20",
            "harvested_on": "2025-10-25",
            "quantity_kg": "8000",
            "grade": "一级",
        },
    )
    assert added.headers["Location"].endswith("/coop/lots/ZY25-FJ-002")

    report = b"%PDF-1.4\n% a lab report\n"
    inspected = post_form(
        client,
        "/coop/lots/ZY25-FJ-002/inspections/new",
        {
            "lab": "昭通市农产品质量安全检测中心",
            "inspected_on": "2025-10-26",
            "passed": "1",
            "residues": "毒死蜱, 0.01, 1\n多菌灵，0.2，3",
            "report": (io.BytesIO(report), "report.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert inspected.status_code == 302
    page = client.get("/coop/lots/ZY25-FJ-002").text
    assert "毒死蜱" in page and "合格" in page
    inspection = rows(world, Inspection)[0]
    assert json.loads(inspection.residues)[1] == {
        "substance": "多菌灵",
        "mg_per_kg": 0.2,
        "limit_mg_per_kg": 3.0,
    }
    download = client.get(f"/coop/lots/ZY25-FJ-002/inspections/{inspection.id}/report")
    with download:
        assert download.data == report
        assert download.mimetype == "application/pdf"


def test_a_renamed_file_is_not_taken_as_a_report(world: World) -> None:
    client = world.client("a_farmer")

    answer = post_form(
        client,
        "/coop/lots/ZY25-FJ-001/inspections/new",
        {
            "lab": "某检测机构",
            "inspected_on": "2025-10-26",
            "report": (io.BytesIO(b"MZ not a pdf"), "report.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert answer.status_code == 400
    assert 'value="某检测机构"' in answer.text
    assert rows(world, Inspection) == []


def test_a_bad_lot_date_is_marked(world: World) -> None:
    client = world.client("a_farmer")

    answer = post_form(
        client,
        "/coop/lots/new",
        {
            "code": "ZY25-FJ-009",
            "orchard": "ZY-SAYU-01",
            "variety": "富士",
            "window_start": "2025-11-01",
            "harvested_on": "2025-10-01",
        },
    )

    assert answer.status_code == 400
    assert 'value="ZY25-FJ-009"' in answer.text
    assert 'id="f-harvested_on" name="harvested_on" value="2025-10-01"' in answer.text
    assert rows(world, Lot, code="ZY25-FJ-009") == []


def test_the_packer_sees_the_shared_lot_and_a_recall_says_where_it_went(
    world: World,
) -> None:
    packer = world.client("p_packer")
    assert "ZY25-FJ-001" in packer.get("/coop/lots").text
    assert "BB25-FJ-001" not in packer.get("/coop/lots").text
    shipped = post_form(
        packer,
        "/coop/shipments/new",
        {
            "consignee": "昆明水果批发市场",
            "destination": "昆明",
            "shipped_on": "2025-11-02",
            "lots": "ZY25-FJ-001, 3000",
        },
    )
    assert shipped.status_code == 302

    farmer = world.client("a_farmer")
    recalled = post_form(
        farmer,
        "/coop/recalls/new",
        {"lot": "ZY25-FJ-001", "label_run": "", "reason": "农残复检超标"},
    )

    assert recalled.status_code == 302
    page = farmer.get(recalled.headers["Location"]).text
    assert "农残复检超标" in page and "昆明水果批发市场" in page
    assert "已召回" in farmer.get("/coop/lots/ZY25-FJ-001").text
    assert rows(world, Lot, code="ZY25-FJ-001")[0].status == "recalled"


def test_sharing_lets_a_packing_house_see_a_lot(world: World) -> None:
    farmer = world.client("b_farmer")
    packer = world.client("p_packer")
    assert packer.get("/coop/lots/BB25-FJ-001").status_code == 404

    post_form(farmer, "/coop/lots/BB25-FJ-001/share", {"packing_house": "昭阳包装厂"})

    assert packer.get("/coop/lots/BB25-FJ-001").status_code == 200
    post_form(
        farmer,
        "/coop/lots/BB25-FJ-001/share",
        {"packing_house": "昭阳包装厂", "stop": "1"},
    )
    assert packer.get("/coop/lots/BB25-FJ-001").status_code == 404


def test_an_admin_adds_a_member_and_a_token_that_can_be_revoked(world: World) -> None:
    admin = world.client("a_admin")

    weak = post_form(
        admin,
        "/coop/members/new",
        {"username": "wang.wu", "role": "farmer", "password": "12345678"},
    )
    assert weak.status_code == 400 and 'value="wang.wu"' in weak.text
    added = post_form(
        admin,
        "/coop/members/new",
        {"username": "wang.wu", "role": "farmer", "password": "红富士又大又甜又脆"},
    )
    assert added.status_code == 302
    assert world.client("wang.wu").get("/coop/").status_code == 302  # wrong password
    page = post_form(admin, "/coop/tokens/new", {"name": "erp", "role": "auditor"})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    api = world.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/lots", headers=headers).status_code == 200

    token_id = re.search(r"/coop/tokens/(\d+)/revoke", page.text).group(1)
    post_form(admin, f"/coop/tokens/{token_id}/revoke", {})

    assert api.get("/api/lots", headers=headers).status_code == 401


def test_an_auditor_reads_but_changes_nothing(world: World) -> None:
    auditor = world.client("a_auditor")

    assert auditor.get("/coop/lots/ZY25-FJ-001").status_code == 200
    assert post_form(auditor, "/coop/orchards/new", ORCHARD).status_code == 403
    assert "/coop/orchards/new" not in auditor.get("/coop/orchards").text


def test_every_change_through_the_pages_keeps_the_audit_chain_intact(
    world: World,
) -> None:
    test_the_packer_sees_the_shared_lot_and_a_recall_says_where_it_went(world)
    test_a_farmer_registers_a_lot_and_adds_an_inspection(world)

    with Session(engine_of(world.app)) as session:
        assert audit.verify(session) is None
        actors = {e.actor for e in session.exec(select(audit.AuditEvent))}

    assert {"a_farmer", "p_packer"} <= actors


def test_signin_form_has_a_csrf_token_before_anyone_signs_in(world: World) -> None:
    client = world.client()

    page = client.get("/coop/signin")

    assert csrf_of(page.text)
    assert client.get("/coop/lots").status_code == 302
