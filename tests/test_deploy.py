"""The files in deploy/: gunicorn's configuration is serve's, and the nginx site
runs in front of a real 'appletrace serve' with TLS, gzip and the scan limit."""

from __future__ import annotations

import getpass
import gzip
import os
import runpy
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path

import pytest
from mosquitto import free_port
from scan_scene import build_scene
from sqlalchemy.engine import Engine

from appletrace.web.serve import default_workers, gunicorn_options

DEPLOY = Path(__file__).parent.parent / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GUNICORN = Path(sys.executable).parent / "gunicorn"
MAIN_CONF = """
daemon off;
user {user};
pid {out}/nginx.pid;
error_log {out}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {out}/tmp;
  proxy_temp_path {out}/tmp;
  fastcgi_temp_path {out}/tmp;
  uwsgi_temp_path {out}/tmp;
  scgi_temp_path {out}/tmp;
  include {out}/site.conf;
}}
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_gunicorn_conf_is_what_serve_runs(app_env: dict[str, str]) -> None:
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    expected = gunicorn_options("127.0.0.1", 8000, default_workers())

    checked = subprocess.run(
        [str(GUNICORN), "-c", str(DEPLOY / "gunicorn.conf.py"), "--check-config"],
        env={**os.environ, **app_env},
        capture_output=True,
        text=True,
    )

    assert {key: conf[key] for key in expected} == expected
    assert conf["wsgi_app"] == "appletrace.web.serve:gunicorn_app()"
    assert checked.returncode == 0, checked.stderr


def site_for_test(out: Path, http: int, https: int, upstream: int) -> str:
    """deploy/nginx-appletrace.conf with the test's ports and file places."""
    site = (DEPLOY / "nginx-appletrace.conf").read_text()
    for shipped, test in (
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/ssl/appletrace/", f"{out}/"),
        ("/var/www/appletrace", f"{out}/www"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
    ):
        assert shipped in site, shipped
        site = site.replace(shipped, test)

    return "\n".join(line for line in site.splitlines() if "[::]" not in line)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """The shipped site on free ports with a self-signed certificate; the
    upstream port is left for the test to serve."""
    out, upstream, https = tmp_path / "nginx", free_port(), free_port()
    (out / "tmp").mkdir(parents=True)
    (out / "www" / ".well-known").mkdir(parents=True)
    (out / "www" / ".well-known" / "security.txt").write_text("Contact: x\n")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=trace.example.cn", "-keyout", str(out / "privkey.pem")]
        + ["-out", str(out / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    (out / "site.conf").write_text(site_for_test(out, free_port(), https, upstream))
    main = out / "nginx.conf"
    main.write_text(MAIN_CONF.format(out=out, user=getpass.getuser()))
    tested = subprocess.run([NGINX, "-t", "-c", str(main)], capture_output=True)
    assert tested.returncode == 0, tested.stderr.decode()

    process = subprocess.Popen([NGINX, "-c", str(main)], stderr=subprocess.DEVNULL)
    yield f"https://127.0.0.1:{https}", upstream, out
    process.terminate()
    process.wait(10)


def request(url: str) -> tuple[int, Message, bytes]:
    """Status, headers and raw body over TLS, asking for gzip."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    wanted = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(wanted, timeout=5, context=context) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nginx_site_serves_tls_gzip_and_limits_scans(
    nginx: tuple[str, int, Path], app_env: dict[str, str], engine: Engine
) -> None:
    root, upstream, _ = nginx
    path = build_scene(engine, labels=2).paths[0]
    server = subprocess.Popen(
        [str(GUNICORN.with_name("appletrace")), "serve", "--port", str(upstream)]
        + ["--workers", "1"],
        env={**os.environ, **app_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            resolver = request(root + "/.well-known/gs1resolver")
            if resolver[0] != 502:
                break

            time.sleep(0.1)

        static = request(root + "/.well-known/security.txt")
        page = request(root + path)
        # Arriving together, 1 + burst (20) pass at once and the rest are refused,
        # however fast the app answers.
        with ThreadPoolExecutor(32) as pool:
            burst = [r[0] for r in pool.map(request, [root + path] * 32)]
    finally:
        server.terminate()
        server.wait(30)

    assert resolver[0] == 200
    assert static[2] == b"Contact: x\n"
    assert page[0] == 200 and page[1]["Content-Encoding"] == "gzip"
    # Over TLS through the proxy the app knows the page is secure.
    assert page[1]["Strict-Transport-Security"] == "max-age=31536000"
    assert "正品" in gzip.decompress(page[2]).decode()
    assert 20 <= burst.count(200) < 32
    assert burst.count(200) + burst.count(429) == 32
