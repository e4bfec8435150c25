"""``appletrace serve``: granian, gunicorn and Flask's server answer and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from scan_scene import build_scene
from sqlalchemy import text
from sqlalchemy.engine import Engine

from appletrace.web.serve import FromLocalProxy, granian_options, gunicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(
    app_env: dict[str, str], port: int, *args: str
) -> subprocess.Popen[bytes]:
    """``appletrace serve`` on ``port`` with ``args``, its output discarded."""
    script = Path(sys.executable).parent / "appletrace"
    return subprocess.Popen(
        [str(script), "serve", *args, "--port", str(port)],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


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
    ("remote", "proto", "forwarded", "scheme", "client"),
    [
        ("127.0.0.1", "https", "198.51.100.7", "https", "198.51.100.7"),
        ("::1", "https", "10.0.0.1, 2001:db8::5", "https", "2001:db8::5"),
        ("127.0.0.1", "gopher", "not an address", "http", "127.0.0.1"),
        ("127.0.0.1", None, None, "http", "127.0.0.1"),
        ("203.0.113.9", "https", "198.51.100.7", "http", "203.0.113.9"),
    ],
)
def test_only_the_local_proxy_sets_the_scheme_and_the_client(
    remote: str, proto: str | None, forwarded: str | None, scheme: str, client: str
) -> None:
    seen = {}

    def app(environ: dict, start_response: object) -> list[bytes]:
        seen["scheme"] = environ["wsgi.url_scheme"]
        seen["client"] = environ["REMOTE_ADDR"]
        return []

    environ = {"wsgi.url_scheme": "http", "REMOTE_ADDR": remote}
    if proto is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = proto
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    FromLocalProxy(app)(environ, None)  # type: ignore[arg-type]

    assert (seen["scheme"], seen["client"]) == (scheme, client)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--worker-class", "sync"], "--worker-class needs --server gunicorn"),
        (["--server", "gunicorn", "--threads", "8"], "--threads is for granian"),
        (["--dev", "--threads", "8"], "--threads is for granian"),
    ],
)
def test_an_option_of_the_other_server_is_one_clear_error(
    app_env: dict[str, str], args: list[str], message: str
) -> None:
    script = Path(sys.executable).parent / "appletrace"
    done = subprocess.run(
        [str(script), "serve", *args],
        env={**os.environ, **app_env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--server", "gunicorn"], ["--dev"]])
def test_serve_answers_and_stops(app_env: dict[str, str], mode: list[str]) -> None:
    port = free_port()
    process = start_serve(app_env, port, *mode, "--host", "127.0.0.1")
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


def children(pid: int) -> set[int]:
    """The pids whose parent is ``pid`` (field 4 of /proc/PID/stat)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue

        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))

    return found


def wait_for_workers(master: int, count: int, not_in: set[int]) -> set[int]:
    """Wait until ``master`` has ``count`` workers, none of them in ``not_in``."""
    for _ in range(200):
        workers = children(master)
        if len(workers) == count and not workers & not_in:
            return workers

        time.sleep(0.1)

    raise AssertionError(f"workers of {master}: {children(master)}")


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_dead_worker_is_replaced_and_sighup_renews_them_all(
    app_env: dict[str, str],
) -> None:
    port = free_port()
    process = start_serve(app_env, port, "--workers", "2")
    root = f"http://127.0.0.1:{port}/.well-known/gs1resolver"
    try:
        first = wait_for_workers(process.pid, 2, set())
        assert get(root)[0] == 200
        # granian takes a worker dying in its first 5.5 s for a crash loop.
        time.sleep(6)
        os.kill(min(first), signal.SIGKILL)
        second = wait_for_workers(process.pid, 2, {min(first)})
        answered_after_kill = get(root)[0]

        process.send_signal(signal.SIGHUP)
        third = wait_for_workers(process.pid, 2, second)
        answered_after_hup = get(root)[0]
    finally:
        process.terminate()
        code = process.wait(timeout=30)

    assert max(first) in second
    assert (answered_after_kill, answered_after_hup) == (200, 200)
    assert not third & (first | second) and code == 0


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", [[], ["--server", "gunicorn"]])
def test_a_stop_stores_the_scans_still_queued(
    app_env: dict[str, str], engine: Engine, mode: list[str]
) -> None:
    scene = build_scene(engine, labels=12)
    port = free_port()
    process = start_serve(app_env, port, *mode, "--workers", "2")
    root = f"http://127.0.0.1:{port}"
    try:
        assert get(root + "/.well-known/gs1resolver")[0] == 200
        statuses = [get(root + path)[0] for path in scene.paths]
    finally:
        # At once: the last scans are still in the workers' queues.
        process.terminate()
        code = process.wait(timeout=30)

    assert statuses == [200] * 12 and code == 0
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM scan")).scalar()
    assert stored == 12
