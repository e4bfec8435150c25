"""``appletrace serve``: gunicorn in production, Flask's server with ``--dev``.

gunicorn runs *sync* workers. Each connection then carries one request and is
closed, so every new request waits in the listening socket's queue until some
idle worker accepts it: the kernel spreads the load however long clients keep
their connections. Threaded (gthread) or event-loop (gevent) workers keep each
kept-alive connection on the worker that accepted it, and one worker that wins a
burst of accepts serves them all while the others idle (the imbalance measured
in bench/scan.py). Keep-alive towards phones is the front proxy's job (nginx),
which also buffers slow clients, as gunicorn's documentation advises for sync
workers.
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


def default_workers() -> int:
    """gunicorn's rule of thumb: two per core plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(
    host: str, port: int, workers: int, worker_class: str = "sync"
) -> dict[str, Any]:
    """The gunicorn configuration ``serve`` runs with."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": 4 if worker_class == "gthread" else 1,
        # Time for a worker to finish its request and store its queued scans.
        "graceful_timeout": 20,
        "timeout": 30,
        "backlog": 2048,
        "accesslog": None,
        "errorlog": "-",
        # Several servers (tests, benchmarks) must not fight over one socket path.
        "control_socket_disable": True,
        "worker_exit": _worker_exit,
    }


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
    help="gunicorn worker processes [default: 2 per core + 1].",
)
@click.option(
    "--worker-class",
    type=click.Choice(["sync", "gthread"]),
    default="sync",
    show_default=True,
    help="gunicorn worker kind; gthread only to compare (bench/scan.py).",
)
@pass_context
def serve(
    context: CliContext,
    dev: bool,
    host: str,
    port: int,
    workers: int | None,
    worker_class: str,
) -> None:
    """Serve the consumer pages and the resolver over HTTP."""
    settings = context.settings
    configure_logging(settings.log_level)
    if dev:
        from appletrace.web.app import create_app

        log.info("development server on %s:%d", host, port)
        create_app(settings).run(host=host, port=port, threaded=True)
        return

    options = gunicorn_options(host, port, workers or default_workers(), worker_class)
    run_gunicorn(settings, options)
