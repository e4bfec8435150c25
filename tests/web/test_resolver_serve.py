"""``appletrace serve``: granian, gunicorn and Flask's server answer and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from appletrace.web.serve import ForwardedProto, granian_options, gunicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, Message]:
    for _ in range(150):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.headers
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


def test_granian_runs_the_app_in_threads_and_logs_the_worker_pid(
    tmp_path: Path,
) -> None:
    options = granian_options("127.0.0.1", 8000, 2, 3, str(tmp_path / "a.log"))
    quiet = granian_options("127.0.0.1", 8000, 2)

    assert options["interface"] == "wsgi" and options["blocking_threads"] == 3
    assert options["log_access"] and not quiet["log_access"]
    config = options["log_dictconfig"]
    assert config["formatters"]["access"]["fmt"].startswith("pid=<%(process)d>")
    assert config["handlers"]["access"]["filename"] == str(tmp_path / "a.log")


@pytest.mark.parametrize(
    ("remote", "proto", "scheme"),
    [
        ("127.0.0.1", "https", "https"),
        ("::1", "https", "https"),
        ("203.0.113.9", "https", "http"),
        ("127.0.0.1", "gopher", "http"),
    ],
)
def test_only_the_local_proxy_sets_the_scheme(
    remote: str, proto: str, scheme: str
) -> None:
    seen = {}

    def app(environ: dict, start_response: object) -> list[bytes]:
        seen["scheme"] = environ["wsgi.url_scheme"]
        return []

    environ = {
        "wsgi.url_scheme": "http",
        "REMOTE_ADDR": remote,
        "HTTP_X_FORWARDED_PROTO": proto,
    }
    ForwardedProto(app)(environ, None)

    assert seen["scheme"] == scheme


def test_worker_class_without_gunicorn_is_one_clear_error(
    app_env: dict[str, str],
) -> None:
    script = Path(sys.executable).parent / "appletrace"
    done = subprocess.run(
        [str(script), "serve", "--worker-class", "sync"],
        env={**os.environ, **app_env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "--worker-class needs --server gunicorn" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--server", "gunicorn"], ["--dev"]])
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
    assert code in (0, -15) if mode == ["--dev"] else code == 0
