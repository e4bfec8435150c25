"""A real phone-sized browser opens a scanned apple's page from a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Chromium, find_chromium
from scan_scene import Scene, build_scene
from sqlalchemy.engine import Engine

from appletrace.trace.scans import stored_scans

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        find_chromium() is None and not os.environ.get("CI"),
        reason="chromium not installed",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(app_env: dict[str, str], engine: Engine) -> Iterator[str]:
    """``appletrace serve`` (gunicorn) on a free port, stopped with SIGTERM."""
    port = free_port()
    script = Path(sys.executable).parent / "appletrace"
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(root + "/.well-known/gs1resolver", timeout=1)
            break
        except OSError:
            time.sleep(0.1)

    yield root

    process.terminate()
    assert process.wait(timeout=30) == 0


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    chromium = Chromium(tmp_path / "profile")
    yield chromium
    chromium.close()


def test_phone_browser_loads_the_page_in_one_request(
    server: str, browser: Chromium, engine: Engine, scene_: Scene
) -> None:
    url = server + scene_.paths[0]
    session = browser.open_page(360, 740)

    browser.call("Page.navigate", session, url=url + "?lang=zh")
    browser.wait_for("Page.loadEventFired")
    shot = SCREENSHOTS / "scan-page-360x740.png"
    browser.screenshot(session, shot)
    width = browser.evaluate(session, "document.documentElement.scrollWidth")
    viewport = browser.evaluate(session, "window.innerWidth")
    text = browser.evaluate(session, "document.body.innerText")
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
    ]

    assert viewport == 360
    assert width <= viewport, "the page scrolls sideways"
    assert requests == [url + "?lang=zh"]
    assert text.index("正品") < text.index("这是此码的第一次查询") < text.index("海拔")
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_serve_stores_every_scan_before_it_stops(
    app_env: dict[str, str], engine: Engine, scene_: Scene
) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "appletrace"
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(root + "/.well-known/gs1resolver", timeout=1)
            break
        except OSError:
            time.sleep(0.1)

    pages = []
    serial = scene_.paths[1].rsplit("/", 1)[1]
    for scanned in range(1, 7):
        # A person scanning again: the scan before has been stored by then,
        # whichever worker took it (README, Limits). Wait for that store, as a
        # loaded machine may take longer than a person's pause.
        pages.append(urllib.request.urlopen(root + scene_.paths[1]).read().decode())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if stored_scans(connection, scene_.run_id, serial).count >= scanned:
                    break

            time.sleep(0.02)

    process.terminate()

    assert process.wait(timeout=30) == 0
    assert "这是此码的第一次查询" in pages[0]
    assert "已被查询 6 次" in pages[-1]
    with engine.connect() as connection:
        assert stored_scans(connection, scene_.run_id, serial).count == 6


@pytest.fixture
def scene_(engine: Engine) -> Scene:
    return build_scene(engine)
