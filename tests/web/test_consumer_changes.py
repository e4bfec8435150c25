"""The consumer page says when the record last changed and shows corrections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from scan_scene import Scene, build_scene
from sqlalchemy.engine import Engine

from appletrace.trace import lots, orchards
from appletrace.trace.db import session_scope
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app
from appletrace.web.resolver import close_resolver, lot_cache


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(Settings.from_env())
    yield app
    close_resolver(app)


@pytest.fixture
def scene(engine: Engine, app: Flask) -> Scene:
    return build_scene(engine)


def correct(engine: Engine, code: str) -> None:
    with session_scope(engine) as session:
        lot = lots.get_lot(session, code)
        lots.update_lot(session, lot, "clerk", date(2026, 12, 1), grade="特级")
        orchard = orchards.get_orchard(session, "ZY-SAYU-01")
        orchards.update_orchard(session, orchard, "clerk", altitude_m=1941.0)


def test_an_uncorrected_lot_shows_when_it_last_changed(app: Flask, scene: Scene):
    page = app.test_client().get(scene.paths[0]).text

    assert "记录最后更新：" in page
    assert "更正记录" not in page


def test_corrections_show_as_corrections_newest_first(
    app: Flask, engine: Engine, scene: Scene
) -> None:
    correct(engine, scene.lot_code)
    lot_cache(app).clear()

    page = app.test_client().get(scene.paths[0]).text
    english = app.test_client().get(scene.paths[0] + "?lang=en").text

    assert "<h2>更正记录</h2>" in page
    altitude = page.find("更正海拔（米）：1935.0 → 1941.0")
    grade = page.find("更正等级：一级 → 特级")
    assert 0 < altitude < grade
    assert "corrected altitude (m): 1935.0 → 1941.0" in english
    assert page.find("更正记录") < page.find("记录最后更新：")
