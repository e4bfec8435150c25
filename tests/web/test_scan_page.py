"""The fast scan page (web/scan_page.py) answers exactly as the Flask path does.

Two apps share one database: ``fast`` as served, ``plain`` with the fast path
taken out. Each scans its own serials of the same run with the same headers, so
their answers must be equal but for the serial in the Link header and the
first-scan time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from scan_scene import Scene, build_scene
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from appletrace.trace.db import session_scope
from appletrace.trace.label_runs import void_label
from appletrace.trace.models import LabelRun, Recall
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app
from appletrace.web.resolver import close_resolver
from appletrace.web.scan_page import ScanPage


@pytest.fixture
def apps(app_env: dict[str, str]) -> Iterator[tuple[Flask, Flask]]:
    fast, plain = create_app(Settings.from_env()), create_app(Settings.from_env())
    assert isinstance(plain.wsgi_app, ScanPage)
    plain.wsgi_app = plain.wsgi_app.next  # type: ignore[method-assign]
    yield fast, plain
    for app in (fast, plain):
        close_resolver(app)


@pytest.fixture
def scene(engine: Engine, apps: tuple[Flask, Flask]) -> Scene:
    return build_scene(engine, labels=12)


def answered(app: Flask) -> int:
    page = app.wsgi_app
    return page.answered if isinstance(page, ScanPage) else 0


def same(a: TestResponse, b: TestResponse, serial_a: str, serial_b: str) -> None:
    """Equal status, body and headers, once serials and scan times are blanked."""

    def blank(text: str, serial: str) -> str:
        text = text.replace(serial, "SERIAL")
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "TIME", text)

    assert a.status == b.status
    assert blank(a.text, serial_a) == blank(b.text, serial_b)
    assert sorted((k, blank(v, serial_a)) for k, v in a.headers.items()) == sorted(
        (k, blank(v, serial_b)) for k, v in b.headers.items()
    )


def serial_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


REQUESTS = [
    ("", {}),
    ("", {"X-Coarse-Place": "云南昭通"}),
    ("?lang=en", {}),
    ("?lang=EN-gb", {}),
    ("", {"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"}),
    ("", {"Accept-Language": "fr"}),
    ("", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
]


@pytest.mark.parametrize(("query", "headers"), REQUESTS)
def test_fast_page_equals_the_flask_page(
    apps: tuple[Flask, Flask], scene: Scene, query: str, headers: dict[str, str]
) -> None:
    fast, plain = apps
    a, b = scene.paths[0], scene.paths[1]
    for scheme in ("http", "https"):
        base = f"{scheme}://trace.example.cn"
        for _ in range(3):
            got = fast.test_client().get(a + query, base_url=base, headers=headers)
            want = plain.test_client().get(b + query, base_url=base, headers=headers)
            same(got, want, serial_of(a), serial_of(b))
            assert got.status_code == 200

    # The first scan of the run loads it through Flask; the rest are fast.
    assert answered(fast) == 5 and answered(plain) == 0
    assert "Strict-Transport-Security" in got.headers
    assert "Set-Cookie" not in got.headers


def test_fast_page_shows_a_recall_at_once(
    apps: tuple[Flask, Flask], engine: Engine, scene: Scene
) -> None:
    fast, plain = apps
    a, b = scene.paths[2], scene.paths[3]
    for app, path in ((fast, a), (plain, b)):
        app.test_client().get(path)

    with session_scope(engine) as session:
        session.add(Recall(lot_id=scene.lot_id, reason="农残超标 / residue"))

    got, want = fast.test_client().get(a), plain.test_client().get(b)
    same(got, want, serial_of(a), serial_of(b))
    assert "农残超标" in got.text and answered(fast) == 1


def test_voided_forged_and_machine_requests_are_left_to_flask(
    apps: tuple[Flask, Flask], engine: Engine, scene: Scene
) -> None:
    fast, plain = apps
    client = fast.test_client()
    client.get(scene.paths[4])
    assert answered(fast) == 0
    client.get(scene.paths[4])
    assert answered(fast) == 1

    with session_scope(engine) as session:
        run = session.get(LabelRun, scene.run_id)
        assert run is not None
        void_label(session, run, 5, "test")

    voided = scene.paths[5]
    forged = voided[:-1] + ("0" if voided[-1] != "0" else "1")
    for path in (voided, forged, scene.paths[4] + "?linkType=all"):
        got = client.get(path)
        want = plain.test_client().get(path)
        same(got, want, "", "")
        assert got.status_code in (200, 404)

    linkset = client.get(scene.paths[4], headers={"Accept": "application/linkset+json"})
    assert linkset.mimetype == "application/linkset+json"
    head = client.head(scene.paths[6])
    assert head.status_code == 200 and head.data == b""
    assert answered(fast) == 1
