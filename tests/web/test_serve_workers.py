"""Two server workers on PostgreSQL: concurrent scans of real label runs reach
both, and every scan is counted exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from mosquitto import free_port
from scan_scene import add_run, build_scene
from sqlalchemy import text
from sqlalchemy.engine import Engine

ROUNDS = 15
COUNT = re.compile(r"已被查询 (\d+) 次")


def fetch(url: str) -> tuple[int, str]:
    """Status and body of one GET on a fresh connection."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait for the server to answer, or fail if it exited."""
    for _ in range(200):
        assert process.poll() is None, "appletrace serve exited"
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.05)

    raise AssertionError(f"nothing answered at {url}")


def wait_for_workers(url: str, log: Path, count: int) -> None:
    """Send bursts of requests until ``count`` workers have answered one.

    Under load the second worker may boot seconds after the first answers; a
    burst sent before then would all land on the first.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(fetch, [url] * 32))

        pids = set(re.findall(r"^pid=<(\d+)>", log.read_text(), re.MULTILINE))
        if len(pids) >= count:
            return

        time.sleep(0.2)

    raise AssertionError(f"fewer than {count} workers answered within 30 s")


def scans_per_label(engine: Engine) -> dict[tuple[int, int], int]:
    """Stored scans per (label run, label index)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT label_run_id, label_index, count(*) FROM scan "
                "GROUP BY label_run_id, label_index"
            )
        ).all()

    return {(run, index): int(n) for run, index, n in rows}


def worker_pids(log: Path) -> dict[int, int]:
    """Scans (requests for /01/ addresses) served per worker pid, from the log."""
    served: dict[int, int] = {}
    for line in log.read_text().splitlines():
        found = re.match(r'pid=<(\d+)> .* "GET /01/', line)
        if found:
            served[int(found[1])] = served.get(int(found[1]), 0) + 1

    return served


def parent_of(pid: int) -> int:
    """The parent pid of a running process (field 4 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_workers_share_the_scans_and_count_each_once(
    app_env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    scene = build_scene(engine, labels=6)
    _, more = add_run(engine, scene.lot_id, labels=2)
    paths = scene.paths + more
    port, log = free_port(), tmp_path / "access.log"
    script = Path(sys.executable).parent / "appletrace"
    process = subprocess.Popen(
        [str(script), "serve", "--workers", "2", "--port", str(port)]
        + ["--access-log", str(log)],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(root + "/.well-known/gs1resolver", process)
        wait_for_workers(root + "/.well-known/gs1resolver", log, 2)
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(fetch, [root + p for p in paths * ROUNDS]))

        deadline = time.monotonic() + 10
        while sum(scans_per_label(engine).values()) < len(answers):
            assert time.monotonic() < deadline, scans_per_label(engine)
            time.sleep(0.05)

        last = [COUNT.search(fetch(root + path)[1]) for path in paths]
        served = worker_pids(log)
        parents = {pid: parent_of(pid) for pid in served}
    finally:
        process.terminate()
        code = process.wait(timeout=30)

    assert {status for status, _ in answers} == {200}
    assert len(served) == 2 and min(served.values()) > 0
    assert set(parents.values()) == {process.pid}
    assert [int(found[1]) if found else 0 for found in last] == [ROUNDS + 1] * 8
    assert sorted(scans_per_label(engine).values()) == [ROUNDS + 1] * 8
    assert code == 0
