"""The demo end to end: a season built, a page served, a label sheet that decodes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from qrkit import decode_page, rasterize
from sqlmodel import Session

from appletrace.labels.templates import load_template
from appletrace.trace.db import make_engine
from appletrace.trace.lots import get_lot
from appletrace.trace.provenance import lot_provenance

BIN = Path(sys.executable).parent / "appletrace"


def start_demo(instance: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLETRACE_")}
    env["APPLETRACE_INSTANCE_PATH"] = str(instance)
    demo = subprocess.Popen(
        [str(BIN), "demo", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    printed: dict[str, str] = {}
    assert demo.stdout is not None
    for line in demo.stdout:
        key, _, value = line.partition(":")
        if key in ("database", "label PDF", "dashboard", "sign in", "one apple"):
            printed[key] = value.strip()

        if key == "one apple":
            break

    return demo, printed


def fetch(url: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise

            time.sleep(0.2)


@pytest.mark.slow
def test_demo_serves_an_apple_page_and_prints_labels_that_decode(
    tmp_path: Path,
) -> None:
    demo, printed = start_demo(tmp_path / "instance")
    try:
        assert "one apple" in printed, printed
        page = fetch(printed["one apple"])
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=30)
        assert demo.stdout is not None
        demo.stdout.close()

    engine = make_engine(printed["database"])
    lot_code = printed["one apple"].split("/10/")[1].split("/")[0]
    with Session(engine) as session:
        provenance = lot_provenance(session, get_lot(session, lot_code))
    engine.dispose()

    assert code == 0
    assert provenance.days_covered > 150
    assert "1,935" in page
    assert "昭通市农产品质量安全检测中心" in page
    assert printed["sign in"].startswith("demo-admin / ")
    assert f"{provenance.diurnal_range_mean_c:.1f}" in page
    sheet = rasterize(Path(printed["label PDF"]), 300)[0]
    uris = decode_page(sheet, load_template("a4-rect"), 300, count=3)
    assert uris[0] == printed["one apple"]
    assert len(set(uris)) == 3
