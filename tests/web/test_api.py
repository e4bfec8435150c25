"""The JSON API: token auth, the one error shape, and what the pages do, as JSON."""

from coop_world import World
from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.models import AuditEvent
from appletrace.web.app import engine_of

ORCHARD = {
    "code": "zy-api-01",
    "name": "接口果园",
    "county_code": "530602",
    "latitude": 27.38,
    "longitude": 103.58,
    "altitude_m": 1960,
}


def assert_error(answer, status: int, field: str | None = None) -> dict:
    assert answer.status_code == status
    error = answer.get_json()["error"]
    assert error["status"] == status and error["message"] and error["code"]
    if field is not None:
        assert error["field"] == field

    return error


def test_no_token_or_a_bad_one_is_refused_in_the_one_error_shape(world: World) -> None:
    client = world.app.test_client()

    assert_error(client.get("/api/lots"), 401)
    assert_error(client.get("/api/lots", headers={"Authorization": "Bearer at_x"}), 401)
    assert_error(client.get("/api/nothing-here"), 404)
    assert client.get("/api/openapi.json").status_code == 200


def test_a_session_cookie_does_not_authenticate_the_api(world: World) -> None:
    client = world.client("a_admin")

    assert_error(client.get("/api/lots"), 401)


def test_a_farmer_token_registers_an_orchard_lot_and_inspection(world: World) -> None:
    added = world.api("a_farmer", "POST", "/api/orchards", json=ORCHARD)
    assert added.status_code == 201 and added.get_json()["code"] == "ZY-API-01"
    lot = world.api(
        "a_farmer",
        "POST",
        "/api/lots",
        json={
            "code": "zy25-api-1",
            "orchard": "ZY-API-01",
            "variety": "富士",
            "window_start": "2025-04-20",
            "harvested_on": "2025-10-20",
            "quantity_kg": 500,
        },
    )
    assert lot.status_code == 201, lot.get_json()
    inspection = world.api(
        "a_farmer",
        "POST",
        "/api/lots/ZY25-API-1/inspections",
        json={
            "lab": "检测中心",
            "inspected_on": "2025-10-22",
            "passed": True,
            "residues": [{"substance": "毒死蜱", "mg_per_kg": 0.01}],
        },
    )
    assert inspection.status_code == 201
    inspection_id = inspection.get_json()["id"]
    report = b"\x89PNG\r\n\x1a\n a scanned report"
    put = world.api(
        "a_farmer",
        "PUT",
        f"/api/lots/ZY25-API-1/inspections/{inspection_id}/report",
        data=report,
        content_type="image/png",
    )
    assert put.get_json()["has_report"] is True
    got = world.api(
        "a_farmer", "GET", f"/api/lots/ZY25-API-1/inspections/{inspection_id}/report"
    )
    with got:
        assert got.data == report and got.mimetype == "image/png"

    with Session(engine_of(world.app)) as session:
        assert audit.verify(session) is None
        actors = set(session.exec(select(AuditEvent.actor)))
    assert "token:a_farmer" in actors


def test_a_wrong_value_names_its_field(world: World) -> None:
    high = world.api(
        "a_farmer", "POST", "/api/orchards", json={**ORCHARD, "altitude_m": 1e6}
    )
    typed = world.api("a_farmer", "POST", "/api/orchards", json={**ORCHARD, "code": 7})
    extra = world.api("a_farmer", "POST", "/api/orchards", json={**ORCHARD, "x": 1})
    not_json = world.api("a_farmer", "POST", "/api/orchards", data="code=1")
    taken = world.api(
        "a_farmer", "POST", "/api/orchards", json={**ORCHARD, "code": "ZY-SAYU-01"}
    )

    assert_error(high, 400, "altitude_m")
    assert_error(typed, 400, "code")
    assert_error(extra, 400, "x")
    assert_error(not_json, 400, "body")
    assert_error(taken, 409, "code")


def test_roles_are_enforced_for_tokens(world: World) -> None:
    assert_error(world.api("a_auditor", "POST", "/api/orchards", json=ORCHARD), 403)
    assert_error(world.api("a_farmer", "GET", "/api/tokens"), 403)
    assert world.api("a_admin", "GET", "/api/tokens").status_code == 200


def test_device_registration_answers_credentials_once(world: World) -> None:
    answer = world.api(
        "a_farmer",
        "POST",
        "/api/devices",
        json={"device_id": "zy-api-ws1", "orchard": "ZY-SAYU-01"},
    )

    body = answer.get_json()
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    assert body["username"] == "zy-api-ws1" and len(body["password"]) >= 24
    assert body["acl"] == "user zy-api-ws1\ntopic write orchard/zy-api-ws1/readings"
    shown = world.api("a_farmer", "GET", "/api/devices/zy-api-ws1").get_json()
    assert "password" not in shown and shown["active"] is True


def test_recall_and_shipment_say_where_the_lot_went(world: World) -> None:
    shipped = world.api(
        "p_packer",
        "POST",
        "/api/shipments",
        json={
            "consignee": "广州江南果菜批发市场",
            "destination": "广州",
            "shipped_on": "2025-11-03",
            "lots": [{"code": "ZY25-FJ-001", "quantity_kg": 2000}],
        },
    )
    assert shipped.status_code == 201

    recalled = world.api(
        "a_farmer",
        "POST",
        "/api/recalls",
        json={"lot": "ZY25-FJ-001", "reason": "复检不合格"},
    )
    again = world.api(
        "a_farmer",
        "POST",
        "/api/recalls",
        json={"lot": "ZY25-FJ-001", "reason": "再次召回"},
    )

    body = recalled.get_json()
    assert recalled.status_code == 201
    assert body["went"][0]["consignee"] == "广州江南果菜批发市场"
    assert body["went"][0]["shipped_by"] == "昭阳包装厂"
    assert_error(again, 409)
    lot = world.api("p_packer", "GET", "/api/lots/ZY25-FJ-001").get_json()
    assert lot["recalled"] is True and lot["status"] == "recalled"
    lifted = world.api("a_farmer", "POST", f"/api/recalls/{body['id']}/lift")
    assert lifted.get_json()["lifted_at"] is not None


def test_import_with_a_dry_run_then_for_real(world: World) -> None:
    sheet = (
        "code,name,county_code,latitude,longitude,altitude_m\n"
        "ZY-CSV-01,甲,530602,27.3,103.5,1900\n"
        "ZY-CSV-02,乙,999999,27.3,103.5,1900\n"
    ).encode()

    dry = world.api(
        "a_farmer",
        "POST",
        "/api/imports/orchards?dry_run=true",
        data=sheet,
        content_type="text/csv",
    ).get_json()
    assert dry["imported"] == 0
    assert world.api("a_farmer", "GET", "/api/orchards/ZY-CSV-01").status_code == 404
    real = world.api(
        "a_farmer", "POST", "/api/imports/orchards", data=sheet, content_type="text/csv"
    ).get_json()

    assert real["imported"] == 1
    assert [(r["number"], r["ok"], r["field"]) for r in real["rows"]] == [
        (2, True, None),
        (3, False, "county_code"),
    ]
    assert world.api("a_farmer", "GET", "/api/orchards/ZY-CSV-01").status_code == 200


def test_the_document_describes_every_api_route(world: World) -> None:
    document = world.app.test_client().get("/api/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }

    assert document["openapi"].startswith("3.")
    for rule in world.app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule
            for converter in ("<int(max=2147483647):", "<"):
                path = path.replace(converter, "{")
            path = path.replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented


def test_a_recall_is_visible_to_another_process_as_soon_as_it_is_answered(
    world: World, db_url: str
) -> None:
    from appletrace.trace.db import make_engine
    from appletrace.trace.lots import get_lot
    from appletrace.trace.recalls import active_recalls

    elsewhere = make_engine(db_url)  # as the consumer pages' own process would
    answered = world.api(
        "a_farmer",
        "POST",
        "/api/recalls",
        json={"lot": "ZY25-FJ-001", "reason": "抽检不合格"},
    )
    # No cache stands between the answer and the table the consumer page reads.
    with Session(elsewhere) as session:
        seen = active_recalls(session, get_lot(session, "ZY25-FJ-001"))
    elsewhere.dispose()

    assert answered.status_code == 201
    assert [r.reason for r in seen] == ["抽检不合格"]
