"""The consumer page: what it shows, in what order, how small, and its scan line."""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from scan_scene import Scene, add_run, build_scene
from sqlalchemy.engine import Engine

from appletrace.trace.db import session_scope
from appletrace.trace.models import Recall
from appletrace.trace.scans import stored_scans
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app
from appletrace.web.consumer_text import WARN_FROM_SCANS
from appletrace.web.resolver import close_resolver, scan_recorder


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


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_page_shows_the_provenance_in_the_design_order(
    client: FlaskClient, scene: Scene
) -> None:
    page = client.get(scene.paths[0]).text
    prov = scene.provenance
    diurnal = f"{prov['diurnal_range_mean_c']:,.1f} °C"
    days = prov["diurnal_range_days"]

    order = [
        "正品",
        "这是此码的第一次查询",
        "海拔",
        f"昼夜温差</dt><dd>{diurnal}，采收前 {days} 天的平均值",
        "空气质量",
        prov["aqi_category_zh"],
        "日照",
        "洒渔示范果园",
        "昭阳区 洒渔镇",
        "27.3870°N, 103.5880°E",
        "富士",
        "采收日期</dt><dd>2025-10-20",
        "包装日期",
        "昭阳包装厂",
        "云南省农产品质量检测中心",
        "<svg",
        "0870-2150000",
    ]
    positions = [page.find(word) for word in order]
    assert -1 not in positions, [
        w for w, p in zip(order, positions, strict=False) if p < 0
    ]
    assert positions == sorted(positions)
    assert f"{prov['days_covered']}/{prov['days_in_window']}" in page


def test_english_page_has_the_same_numbers(client: FlaskClient, scene: Scene) -> None:
    page = client.get(scene.paths[0] + "?lang=en").text
    prov = scene.provenance

    assert "Day-night temperature difference" in page
    assert f"mean of the {prov['diurnal_range_days']} days before harvest" in page
    assert prov["aqi_category_en"] in page
    assert "Fuji (富士)" in page


def test_page_is_small_self_contained_and_leads_with_the_verdict(
    client: FlaskClient, scene: Scene
) -> None:
    client.get(scene.paths[0])
    response = client.get(scene.paths[0])
    page = response.data

    assert len(page) <= 12 * 1024
    assert len(gzip.compress(page)) <= 5 * 1024
    first = page[:4096].decode(errors="ignore")
    assert "正品" in first
    assert "已被查询 2 次" in first
    html = page.decode()
    assert "<script" not in html and "@font-face" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<style>" in html
    assert "Set-Cookie" not in response.headers


def test_scan_count_first_time_and_warning(
    client: FlaskClient, engine: Engine, app: Flask, scene: Scene
) -> None:
    before = datetime.now(UTC)
    pages = [
        client.get(scene.paths[2], headers={"X-Coarse-Place": "云南昭通"}).text
        for _ in range(WARN_FROM_SCANS)
    ]
    other = client.get(scene.paths[3]).text

    assert "这是此码的第一次查询" in pages[0]
    assert "可能被复制" not in pages[0]
    assert "此码已被查询 2 次" in pages[1]
    assert "（云南昭通）" in pages[1]
    assert f"此码已被查询 {WARN_FROM_SCANS} 次" in pages[-1]
    assert "可能被复制" in pages[-1] and "假" not in text_of(pages[-1])
    assert "这是此码的第一次查询" in other
    scan_recorder(app).flush()
    with engine.connect() as connection:
        stored = stored_scans(
            connection, scene.run_id, scene.paths[2].rsplit("/", 1)[1]
        )
    assert stored.count == WARN_FROM_SCANS
    assert stored.first_place == "云南昭通"
    assert stored.first_at is not None and before <= stored.first_at
    shown = stored.first_at.astimezone().strftime("%H:%M")
    assert shown[:2].isdigit()


def test_concurrent_scans_over_http_count_exactly(
    app: Flask, engine: Engine, scene: Scene
) -> None:
    counts: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def scan() -> None:
        client = app.test_client()
        barrier.wait()
        for _ in range(4):
            page = client.get(scene.paths[4]).text
            found = re.search(r"已被查询 (\d+) 次", page)
            with lock:
                counts.append(int(found[1]) if found else 1)

    threads = [threading.Thread(target=scan) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(counts) == list(range(1, 33))
    scan_recorder(app).flush()
    with engine.connect() as connection:
        serial = scene.paths[4].rsplit("/", 1)[1]
        assert stored_scans(connection, scene.run_id, serial).count == 32


def test_recall_overrides_the_page_at_once_and_lifts(
    client: FlaskClient, engine: Engine, scene: Scene
) -> None:
    assert "正品" in client.get(scene.paths[0]).text  # the lot is now cached
    with session_scope(engine) as session:
        recall = Recall(lot_id=scene.lot_id, reason="农残复检超标")
        session.add(recall)

    recalled = client.get(scene.paths[0])
    linkset = client.get(scene.paths[0] + "?linkType=gs1:recallStatus")
    status = client.get(linkset.headers["Location"]).json
    with session_scope(engine) as session:
        row = session.get(Recall, recall.id)
        assert row is not None
        row.lifted_at = datetime.now(UTC)

    lifted = client.get(scene.paths[0]).text

    assert recalled.status_code == 200
    assert "此批次已召回" in recalled.text and "农残复检超标" in recalled.text
    assert "正品" not in recalled.text
    assert recalled.text.find("已召回") < recalled.text.find("海拔")
    assert status["recalled"] is True
    assert status["recalls"][0]["reason"] == "农残复检超标"
    assert "正品" in lifted and "已召回" not in lifted


def test_a_recalled_label_run_leaves_the_other_runs_alone(
    client: FlaskClient, engine: Engine, scene: Scene
) -> None:
    other_run, other_paths = add_run(engine, scene.lot_id)
    with session_scope(engine) as session:
        session.add(Recall(lot_id=scene.lot_id, label_run_id=other_run, reason="贴错"))

    assert "此批标签已召回" in client.get(other_paths[0]).text
    page = client.get(scene.paths[0]).text
    assert "正品" in page and "已召回" not in page
