"""gunicorn configuration for the web app: the choices of 'appletrace serve'.

The options come from ``appletrace.web.serve.gunicorn_options``, so a server
started with this file behaves as ``appletrace serve --server gunicorn`` does:
bounded gthread workers (4 threads, as many connections, no keep-alive; nginx
keeps phones' connections alive), one worker per core plus one, a graceful stop
that stores every worker's queued scans, and the scheme and client address
taken from nginx. Bound to loopback: nginx in front. Run as

    gunicorn -c /etc/appletrace/gunicorn.conf.py

and override one setting for one machine with GUNICORN_CMD_ARGS, e.g.
``GUNICORN_CMD_ARGS="--workers 9 --bind 10.0.0.5:8000"``.
"""

from appletrace.web.serve import default_workers, gunicorn_options

wsgi_app = "appletrace.web.serve:gunicorn_app()"
globals().update(gunicorn_options("127.0.0.1", 8000, default_workers()))
