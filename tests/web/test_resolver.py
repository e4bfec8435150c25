"""The GS1 Digital Link resolver: status codes, linkset, Link header, CORS, HEAD."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from scan_scene import BASE, GTIN, Scene, build_scene
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from appletrace.trace.models import Scan
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app
from appletrace.web.resolver import close_resolver, scan_recorder

LINKSET = "application/linkset+json"
VOC = "https://gs1.org/voc/"


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(Settings.from_env())
    yield app
    close_resolver(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def scene(engine: Engine, app: Flask) -> Scene:
    return build_scene(engine)


def stored(engine: Engine, app: Flask) -> int:
    scan_recorder(app).flush()
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Scan)).scalar())


def test_the_page_is_served_at_the_label_address(
    client: FlaskClient, scene: Scene
) -> None:
    response = client.get(scene.paths[0])

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Language"] == "zh-CN"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    link = response.headers["Link"]
    assert f"<{'http://localhost'}{scene.paths[0]}?linkType=linkset>" in link
    assert 'rel="linkset"' in link
    assert "正品" in response.text


def test_lower_case_path_finds_the_same_label(
    client: FlaskClient, scene: Scene
) -> None:
    upper = client.get(scene.paths[1])
    lower = client.get(scene.paths[1].lower())

    assert upper.status_code == lower.status_code == 200
    assert "正品" in lower.text
    assert "已被查询 2 次" in lower.text


@pytest.mark.parametrize(
    ("query", "headers", "lang", "word"),
    [
        ("", {}, "zh-CN", "正品"),
        ("?lang=en", {}, "en", "Genuine"),
        ("", {"Accept-Language": "en-US,en;q=0.9"}, "en", "Genuine"),
        ("", {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, "zh-CN", "正品"),
        ("?lang=zh", {"Accept-Language": "en"}, "zh-CN", "正品"),
    ],
)
def test_language_from_query_or_accept_language(
    client: FlaskClient,
    scene: Scene,
    query: str,
    headers: dict[str, str],
    lang: str,
    word: str,
) -> None:
    response = client.get(scene.paths[0] + query, headers=headers)

    assert response.headers["Content-Language"] == lang
    assert word in response.text
    assert f'<html lang="{lang}">' in response.text


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?linkType=all", {}), ("?linkType=linkset", {}), ("", {"Accept": LINKSET})],
)
def test_linkset_lists_our_link_types(
    client: FlaskClient,
    engine: Engine,
    app: Flask,
    scene: Scene,
    query: str,
    headers: dict[str, str],
) -> None:
    response = client.get(scene.paths[0] + query, headers=headers)

    assert response.status_code == 200
    assert response.mimetype == LINKSET
    body = json.loads(response.data)
    (context,) = body["linkset"]
    anchor = "http://localhost" + scene.paths[0]
    assert context["anchor"] == anchor
    assert context[VOC + "pip"][0]["href"] == anchor
    assert context[VOC + "pip"][0]["type"] == "text/html"
    assert context[VOC + "defaultLink"] == context[VOC + "pip"]
    recall = context[VOC + "recallStatus"][0]["href"]
    assert recall == f"http://localhost/lot/{scene.lot_code}/recall"
    assert len(context[VOC + "certificationInfo"]) == 2
    (epcis,) = context[VOC + "epcis"]
    assert epcis["href"] == f"http://localhost/api/lots/{scene.lot_code}/epcis"
    assert epcis["type"] == "application/ld+json"
    for key, targets in context.items():
        if key != "anchor":
            assert key.startswith(VOC)
            assert all({"href", "type", "title"} <= set(t) for t in targets)

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert stored(engine, app) == 0


def test_link_type_redirects_with_307_and_300_when_several(
    client: FlaskClient, scene: Scene
) -> None:
    pip = client.get(scene.paths[0] + "?linkType=gs1:pip")
    recall = client.get(scene.paths[0] + f"?linkType={VOC}recallStatus")
    several = client.get(scene.paths[0] + "?linkType=gs1:certificationInfo")
    unknown = client.get(scene.paths[0] + "?linkType=gs1:nutritionalInfo")
    epcis = client.get(scene.paths[0] + "?linkType=gs1:epcis")

    assert pip.status_code == 307
    assert pip.headers["Location"] == "http://localhost" + scene.paths[0]
    assert recall.status_code == 307
    status = client.get(recall.headers["Location"])
    assert status.json == {"lot": scene.lot_code, "recalled": False, "recalls": []}
    assert several.status_code == 300
    (context,) = several.json["linkset"]
    hrefs = [t["href"] for t in context[VOC + "certificationInfo"]]
    assert len(hrefs) == 2
    assert client.get(hrefs[0]).json["passed"] is True
    assert unknown.status_code == 404
    assert unknown.json["error"]["status"] == 404
    assert epcis.status_code == 307
    # The export asks for a token: without one, the API's error, not a page.
    export = client.get(epcis.headers["Location"])
    assert export.status_code == 401 and export.json["error"]["status"] == 401
    for response in (pip, recall, several, unknown, epcis):
        assert 'rel="linkset"' in response.headers["Link"]


def test_head_answers_like_get_without_recording_a_scan(
    client: FlaskClient, engine: Engine, app: Flask, scene: Scene
) -> None:
    head = client.head(scene.paths[0])

    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"].startswith("text/html")
    assert stored(engine, app) == 0


def test_options_tells_the_methods_with_cors(client: FlaskClient, scene: Scene) -> None:
    response = client.options(scene.paths[0])
    well_known = client.options("/.well-known/gs1resolver")

    assert response.status_code == well_known.status_code == 204
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_well_known_describes_the_resolver(client: FlaskClient) -> None:
    response = client.get("/.well-known/gs1resolver")

    assert response.status_code == 200
    body = response.json
    assert body["resolverRoot"] == "http://localhost"
    assert body["supportedPrimaryKeys"] == ["01"]
    assert {"namespace": VOC, "prefix": "gs1:"} in body["supportedLinkType"]
    assert VOC + "recallStatus" in body["linkTypes"]


def test_lot_address_without_serial_shows_the_lot_and_records_nothing(
    client: FlaskClient, engine: Engine, app: Flask, scene: Scene
) -> None:
    response = client.get(f"/01/{GTIN}/10/{scene.lot_code.lower()}")
    other_gtin = client.get(f"/01/09506000134352/10/{scene.lot_code}")

    assert response.status_code == 200
    assert "批次信息" in response.text
    assert "正品" not in response.text
    assert other_gtin.status_code == 404
    assert stored(engine, app) == 0


def forged(path: str) -> str:
    """The path with the serial's last character changed."""
    last = path[-1]
    return path[:-1] + ("2" if last != "2" else "3")


@pytest.mark.parametrize(
    ("make_path", "status", "accept"),
    [
        (forged, 404, "text/html"),
        (lambda p: p.replace("/10/ZY25-FJ-001", "/10/ZY25-FJ-999"), 404, "text/html"),
        (lambda p: f"/01/{GTIN}/10/NO-SUCH-LOT", 404, "text/html"),
        (lambda p: p.replace(GTIN, GTIN[:-1] + "3"), 400, "text/html"),
        (lambda p: "/01/12345", 400, "text/html"),
        (lambda p: p + "/22/X", 400, "text/html"),
        (lambda p: p.replace("/21/", "/21/a%3Cb"), 400, "text/html"),
        (forged, 404, LINKSET),
        (lambda p: "/01/12345", 400, LINKSET),
    ],
)
def test_unknown_forged_and_malformed_addresses(
    client: FlaskClient,
    engine: Engine,
    app: Flask,
    scene: Scene,
    make_path,  # noqa: ANN001
    status: int,
    accept: str,
) -> None:
    response = client.get(make_path(scene.paths[0]), headers={"Accept": accept})

    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Traceback" not in response.text
    if accept == LINKSET:
        assert response.json["error"]["status"] == status
    else:
        assert "无法识别的码" in response.text
        assert 'lang="en"' in response.text

    assert stored(engine, app) == 0


def test_security_headers_and_hsts_only_over_https(
    client: FlaskClient, scene: Scene
) -> None:
    plain = client.get(scene.paths[0])
    secure = client.get(scene.paths[0], base_url="https://trace.example.cn")

    csp = plain.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Set-Cookie" not in plain.headers
    assert BASE.startswith("https://")
