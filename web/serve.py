"""``appletrace serve``: granian; gunicorn to compare; Flask's server with ``--dev``.

granian (an HTTP server written in Rust with a WSGI interface) parses HTTP,
keeps connections alive and queues requests outside the interpreter; each
worker process runs the app in a few Python threads. On this project's 2-core
machines the scan page came at 1.7 times gunicorn's rate, with a lower p99
(bench/scan.py --compare). Its workers share one listening socket, so
kept-alive connections spread over them (the benchmark prints the busiest
worker's share).

gunicorn stays available (``--server gunicorn``) with the bounded threaded
workers of the first release: a worker takes at most as many connections as it
has threads and closes each after its response, so a worker with all threads
busy stops accepting and the load spreads over the workers whatever the clients
do. ``sync`` and ``gthread-keepalive`` (gunicorn's own gthread defaults) exist
to compare. Keep-alive towards phones is the front proxy's job (nginx), which
also buffers slow clients.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any

import click
from flask import Flask

from appletrace.trace.cli import CliContext, configure_logging, pass_context
from appletrace.trace.settings import Settings

log = logging.getLogger(__name__)

# Python threads per granian worker. Two overlap a page's database wait with
# another page's work; more only queue on the interpreter lock: at 2 workers,
# 2 threads gave p99 27-29 ms and 4 threads 32-42 ms for the same throughput
# (bench/scan.py's load, 3 and 5 rounds).
THREADS = 2
# gunicorn's bounded gthread workers: threads, and as many connections.
GUNICORN_THREADS = 4
SERVERS = ("granian", "gunicorn")
# Addresses whose X-Forwarded-Proto and X-Forwarded-For are believed (the front
# proxy on this machine), as gunicorn's forwarded_allow_ips default.
TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})
# Worker pid, time, request line, status, bytes, duration: no client address,
# which is the front proxy's to log, and the pid tells the workers apart.
ACCESS_LOG_FORMAT = 'pid=%(p)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms'
WORKER_CLASSES = ("gthread", "sync", "gthread-keepalive")


def default_workers(server: str = "gunicorn") -> int:
    """granian: one process per core (HTTP runs outside the GIL); gunicorn: one more."""
    cores = os.cpu_count() or 1
    return cores if server == "granian" else cores + 1


def granian_options(
    host: str,
    port: int,
    workers: int,
    threads: int = THREADS,
    access_log: str | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``granian.Granian`` that ``serve`` runs with.

    ``access_log`` is a file (or ``-``) for one line per request with the
    worker's pid, as gunicorn's access log below.
    """
    handler: dict[str, Any] = {"class": "logging.StreamHandler"}
    if access_log and access_log != "-":
        handler = {"class": "logging.FileHandler", "filename": access_log}

    return {
        # Named for the record: ``run_granian`` hands granian the loader itself.
        "target": "appletrace.web.serve:granian_app",
        "address": host,
        "port": port,
        "interface": "wsgi",
        "workers": workers,
        "blocking_threads": threads,
        "backlog": 2048,
        "respawn_failed_workers": True,
        "workers_kill_timeout": 20,
        "log_level": "warning",
        "log_access": access_log is not None,
        "log_access_format": '[%(time)s] "%(method)s %(path)s %(protocol)s" '
        "%(status)d %(dt_ms).1fms",
        "log_dictconfig": {
            "formatters": {
                "generic": {
                    "()": "logging.Formatter",
                    "fmt": "[%(levelname)s] %(message)s",
                },
                "access": {
                    "()": "logging.Formatter",
                    "fmt": "pid=<%(process)d> %(message)s",
                },
            },
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": "generic"},
                "access": {**handler, "formatter": "access"},
            },
        },
    }


def granian_app() -> Any:
    """The WSGI app of one granian worker, built from the environment's settings."""
    from multiprocessing import util

    from appletrace.web.app import create_app
    from appletrace.web.resolver import scan_recorder

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    app = create_app(settings)
    # Store the scans still queued when the worker stops. granian's workers are
    # multiprocessing children, which skip atexit; their finalizers run.
    recorder = scan_recorder(app)
    util.Finalize(recorder, recorder.close, exitpriority=10)

    return FromLocalProxy(app)


class FromLocalProxy:
    """Believe the front proxy on this host about the scheme and the client's address.

    nginx terminates TLS and connects from 127.0.0.1: without this every
    request would look like plain HTTP from 127.0.0.1, no page would carry
    HSTS, and every client would share one address for sign-in limits. The
    client's address is the last of X-Forwarded-For, the one nginx added;
    a client can write anything before it.
    """

    def __init__(self, flask: Flask) -> None:
        self.flask = flask

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") in TRUSTED_PROXIES:
            proto = environ.get("HTTP_X_FORWARDED_PROTO")
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto

            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            client = forwarded.rsplit(",", 1)[-1].strip() if forwarded else ""
            if client and _is_address(client):
                environ["REMOTE_ADDR"] = client

        return self.flask(environ, start_response)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False

    return True


def gunicorn_app() -> FromLocalProxy:
    """The WSGI app of one gunicorn worker (deploy/gunicorn.conf.py names it)."""
    from appletrace.web.app import create_app

    return FromLocalProxy(create_app())


def run_granian(options: dict[str, Any]) -> None:
    """Run granian in this process; its workers call ``granian_app``."""
    from granian import Granian

    # granian's own loader reads the target as a file path and, run from a
    # checkout (whose root is the package), names the module wrongly.
    Granian(**options).serve(target_loader=granian_app, wrap_loader=False)


def gunicorn_options(
    host: str,
    port: int,
    workers: int,
    worker_class: str = "gthread",
    access_log: str | None = None,
) -> dict[str, Any]:
    """The gunicorn configuration ``serve`` runs with.

    ``gthread`` is the bounded, balanced default; ``sync`` and
    ``gthread-keepalive`` (gunicorn's own gthread defaults) exist to compare.
    ``access_log`` is a file (or ``-``) for one line per request.
    """
    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync" if worker_class == "sync" else "gthread",
        # Time for a worker to finish its request and store its queued scans.
        "graceful_timeout": 20,
        "timeout": 30,
        "backlog": 2048,
        "accesslog": access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        # Several servers (tests, benchmarks) must not fight over one socket path.
        "control_socket_disable": True,
        "worker_exit": _worker_exit,
    }
    if worker_class == "gthread":
        options.update(
            threads=GUNICORN_THREADS, worker_connections=GUNICORN_THREADS, keepalive=0
        )
    elif worker_class == "gthread-keepalive":
        options.update(threads=GUNICORN_THREADS)

    return options


def _worker_exit(_server: Any, worker: Any) -> None:
    # Store the scans still queued in this worker before it goes.
    from appletrace.web.resolver import scan_recorder

    app = getattr(worker, "wsgi", None)
    if isinstance(app, FromLocalProxy):
        app = app.flask

    if isinstance(app, Flask):
        scan_recorder(app).close()


def run_gunicorn(settings: Settings, options: dict[str, Any]) -> None:
    """Run gunicorn in this process with our app factory (one app per worker)."""
    from gunicorn.app.base import BaseApplication

    from appletrace.web.app import create_app

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> FromLocalProxy:
            return FromLocalProxy(create_app(settings))

    Application().run()


@click.command()
@click.option("--dev", is_flag=True, help="Flask's development server instead.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default="granian",
    show_default=True,
    help="granian; gunicorn to compare or where it is the house standard.",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Worker processes [default: 1 per core; gunicorn: 1 per core + 1].",
)
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 64),
    help=f"Python threads per worker, granian only [default: {THREADS}].",
)
@click.option(
    "--worker-class",
    type=click.Choice(WORKER_CLASSES),
    default=None,
    help="gunicorn only. gthread [default]: 4 threads, as many connections, no "
    "keep-alive; the others only to compare (bench/scan.py).",
)
@click.option(
    "--access-log",
    default=None,
    help="File ('-' for standard output) for one line per request with the "
    "worker's pid [default: none; nginx logs requests].",
)
@pass_context
def serve(
    context: CliContext,
    dev: bool,
    host: str,
    port: int,
    server: str,
    workers: int | None,
    threads: int | None,
    worker_class: str | None,
    access_log: str | None,
) -> None:
    """Serve the consumer pages and the resolver over HTTP."""
    settings = context.settings
    configure_logging(settings.log_level)
    if worker_class and (dev or server != "gunicorn"):
        raise click.UsageError("--worker-class needs --server gunicorn")

    if threads and (dev or server != "granian"):
        raise click.UsageError("--threads is for granian; leave out --server or --dev")

    if dev:
        from appletrace.web.app import create_app

        log.info("development server on %s:%d", host, port)
        create_app(settings).run(host=host, port=port, threaded=True)
        return

    workers = workers or default_workers(server)
    threads = threads or THREADS
    if server == "granian":
        log.info(
            "granian on %s:%d, %d workers x %d threads", host, port, workers, threads
        )
        run_granian(granian_options(host, port, workers, threads, access_log))
        return

    options = gunicorn_options(
        host, port, workers, worker_class or "gthread", access_log
    )
    run_gunicorn(settings, options)
