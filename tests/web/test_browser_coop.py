"""A real browser at a phone's size: Debian's headless Chromium driven by Playwright.

A farmer signs in and registers a lot; the page must fit a 360 px screen.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from coop_world import World
from factories import PASSWORD
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture
def live_url(world: World) -> Iterator[str]:
    """The world's app served on a free local port, as http://localhost:PORT."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    server = make_server("127.0.0.1", port, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Chromium keeps Secure cookies on http://localhost (a secure context).
    yield f"http://localhost:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_url: str) -> Iterator:
    """A fresh page at 360×740 with its own cookies."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/coop/signin")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/coop/")


def fits_the_screen(page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return int(width) <= PHONE["width"]


def test_a_farmer_signs_in_and_registers_a_lot_on_a_phone(
    phone, live_url: str, tmp_path: Path
) -> None:
    sign_in(phone, live_url, "a_farmer")
    assert "洒渔苹果合作社" in phone.inner_text("main")
    assert fits_the_screen(phone)

    phone.click("text=批次")
    phone.click("text=登记批次")
    phone.fill("#f-code", "zy25-fj-088")
    phone.select_option("#f-orchard", "ZY-SAYU-01")
    phone.fill("#f-variety", "富士")
    phone.fill("#f-window_start", "2025-04-20")
    phone.fill("#f-harvested_on", "2025-10-28")
    phone.fill("#f-quantity_kg", "6500")
    phone.fill("#f-grade", "一级")
    assert fits_the_screen(phone)
    phone.click("button[type=submit]")

    phone.wait_for_url(f"{live_url}/coop/lots/ZY25-FJ-088")
    text = phone.inner_text("main")
    assert "ZY25-FJ-088" in text and "2025-10-28" in text and "6500" in text
    assert fits_the_screen(phone)
    phone.screenshot(path="/tmp/coop-lot.png", full_page=True)


def test_a_mistake_is_marked_in_the_browser(phone, live_url: str) -> None:
    sign_in(phone, live_url, "a_farmer")
    phone.goto(f"{live_url}/coop/orchards/new")
    phone.fill("#f-code", "ZY-PHONE-01")
    phone.fill("#f-name", "手机果园")
    phone.select_option("#f-county_code", "530602")
    phone.fill("#f-latitude", "27.3")
    phone.fill("#f-longitude", "103.5")
    phone.fill("#f-altitude_m", "99999")
    phone.click("button[type=submit]")

    assert phone.get_attribute("#f-altitude_m", "aria-invalid") == "true"
    assert phone.input_value("#f-name") == "手机果园"
    assert phone.input_value("#f-altitude_m") == "99999"


def test_a_packer_prints_the_labels_of_a_shared_lot(
    phone, live_url: str, tmp_path: Path
) -> None:
    sign_in(phone, live_url, "p_packer")
    phone.click("text=ZY25-FJ-001")
    phone.click("text=创建标签批次")
    phone.fill("#f-count", "8")
    phone.fill("#f-gtin", "06901234567892")
    assert fits_the_screen(phone)
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/coop/label-runs/\d+$"))
    assert phone.inner_text("#run-count") == "8"

    with phone.expect_download() as download:
        phone.click("#download-pdf")
    saved = tmp_path / "labels.pdf"
    download.value.save_as(saved)

    assert saved.read_bytes().startswith(b"%PDF")
    pages = subprocess.run(
        ["pdfinfo", str(saved)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+1", pages)
    assert fits_the_screen(phone)
