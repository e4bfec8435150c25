"""``appletrace serve``: gunicorn and the development server answer and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from appletrace.web.serve import gunicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str]]:
    for _ in range(150):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)
        except OSError:
            time.sleep(0.1)

    raise AssertionError(f"nothing answered at {url}")


def test_default_workers_take_no_more_connections_than_threads() -> None:
    options = gunicorn_options("127.0.0.1", 8000, 3)
    ipv6 = gunicorn_options("::1", 8000, 3, "sync")

    assert options["worker_class"] == "gthread"
    assert options["worker_connections"] == options["threads"] == 4
    assert options["keepalive"] == 0
    assert ipv6["bind"] == "[::1]:8000" and ipv6["worker_class"] == "sync"


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--dev"]])
def test_serve_answers_and_stops(app_env: dict[str, str], mode: list[str]) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "appletrace"
    process = subprocess.Popen(
        [str(script), "serve", *mode, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        root = f"http://127.0.0.1:{port}"
        status, headers = get(root + "/.well-known/gs1resolver")
        malformed, _ = get(root + "/01/12345")
        unknown, _ = get(root + "/01/06901234567892/10/NO-SUCH-LOT")
    finally:
        process.terminate()
        code = process.wait(timeout=30)

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert (malformed, unknown) == (400, 404)
    assert code in (0, -15) if mode else code == 0
