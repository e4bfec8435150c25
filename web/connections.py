"""One database connection per thread, kept across requests, in autocommit.

The resolver reads a few rows per scan. Taking a pooled connection per request
costs a ping (pre-ping), a BEGIN and a ROLLBACK on top of the reads: on
PostgreSQL that was more than half of the round trips of a page. A thread keeps
its connection instead; each statement commits by itself, so no transaction is
left open between requests, and a connection that failed is dropped and
replaced on the next request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError


class ThreadConnections:
    """Hands each thread its own autocommit connection of ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        # Every thread's connection, so that ``close`` can give them all back.
        self._held: set[Connection] = set()
        self._held_pid = os.getpid()
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """This thread's connection; dropped if a database error passes through."""
        connection = self._current()
        try:
            yield connection
        except DBAPIError:
            self._drop()
            raise

    def _current(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or self._local.pid != os.getpid():
            connection = self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
            self._local.connection = connection
            self._local.pid = os.getpid()
            with self._lock:
                if self._held_pid != os.getpid():
                    # A forked worker: the parent's connections are not its own.
                    self._held, self._held_pid = set(), os.getpid()

                self._held.add(connection)

        return connection

    def _drop(self) -> None:
        connection: Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with self._lock:
                self._held.discard(connection)

            connection.invalidate()
            connection.close()

    def close(self) -> None:
        """Give every thread's connection back to the pool (an app being retired).

        A thread that asks again afterwards gets a new one.
        """
        with self._lock:
            held, self._held = self._held, set()
            if self._held_pid != os.getpid():
                return

        for connection in held:
            connection.close()
