"""``appletrace serve``: gunicorn in production, Flask's server with ``--dev``.

The default runs gunicorn's threaded (gthread) workers, bounded: a worker takes
at most as many connections as it has threads, and closes each connection after
its response (no keep-alive). A worker whose threads are all busy stops
accepting, so new connections wait in the listening socket's queue until some
worker has a free thread: the load spreads over the workers whatever the
clients do, as with sync workers, while a worker's threads overlap their
database waits. Plain gthread (1,000 connections per worker, keep-alive) lets
one worker accept a burst of kept-alive connections and serve them alone while
the others idle; sync workers stay balanced but wait for the database one
request at a time. bench/scan.py measures all three, with each run's busiest
worker's share of the CPU. Keep-alive towards phones is the front proxy's job
(nginx), which also buffers slow clients.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import click
from flask import Flask

from appletrace.trace.cli import CliContext, configure_logging, pass_context
from appletrace.trace.settings import Settings

log = logging.getLogger(__name__)

THREADS = 4
# Worker pid, time, request line, status, bytes, duration: no client address,
# which is the front proxy's to log, and the pid tells the workers apart.
ACCESS_LOG_FORMAT = 'pid=%(p)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms'
WORKER_CLASSES = ("gthread", "sync", "gthread-keepalive")


def default_workers() -> int:
    """One process per core, plus one: the GIL lets a process use one core."""
    return (os.cpu_count() or 1) + 1


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
        options.update(threads=THREADS, worker_connections=THREADS, keepalive=0)
    elif worker_class == "gthread-keepalive":
        options.update(threads=THREADS)

    return options


def _worker_exit(_server: Any, worker: Any) -> None:
    # Store the scans still queued in this worker before it goes.
    from appletrace.web.resolver import scan_recorder

    app = getattr(worker, "wsgi", None)
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

        def load(self) -> Flask:
            return create_app(settings)

    Application().run()


@click.command()
@click.option("--dev", is_flag=True, help="Flask's development server instead.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes [default: 1 per core + 1].",
)
@click.option(
    "--worker-class",
    type=click.Choice(WORKER_CLASSES),
    default="gthread",
    show_default=True,
    help="gthread: 4 threads, as many connections, no keep-alive; the others "
    "only to compare (bench/scan.py).",
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
    workers: int | None,
    worker_class: str,
    access_log: str | None,
) -> None:
    """Serve the consumer pages and the resolver over HTTP."""
    settings = context.settings
    configure_logging(settings.log_level)
    if dev:
        from appletrace.web.app import create_app

        log.info("development server on %s:%d", host, port)
        create_app(settings).run(host=host, port=port, threaded=True)
        return

    options = gunicorn_options(
        host, port, workers or default_workers(), worker_class, access_log
    )
    run_gunicorn(settings, options)
