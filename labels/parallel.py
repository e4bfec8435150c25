"""Spreading page drawing over worker processes; pages come back in order."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from itertools import islice

from appletrace.labels.pages import PageDrawer

# Below this many labels a worker pool costs more than it saves.
PARALLEL_FROM = 2_000

_drawer: PageDrawer | None = None


def default_workers(count: int) -> int:
    """One process for small jobs, else one per core."""
    return 1 if count < PARALLEL_FROM else max(1, os.cpu_count() or 1)


def _start(drawer: PageDrawer) -> None:
    global _drawer
    _drawer = drawer


def _draw(pages: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
    assert _drawer is not None

    return _drawer.draw_pages(pages)


def _context() -> multiprocessing.context.BaseContext:
    # A forked worker starts at once and shares this process's pages, but forking
    # a process with other threads can copy a lock some thread holds; there (a web
    # server) workers come from a fork server that imported only the drawing code.
    # Its start costs about half a second, and the program's main module must be
    # importable without side effects, as for any multiprocessing program.
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["appletrace.labels.pages"])

    return context


def page_contents(drawer: PageDrawer, workers: int) -> Iterator[tuple[bytes, int]]:
    """Each page's compressed content and label count, in page order."""
    chunks = drawer.chunks()
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            yield from drawer.draw_pages(chunk)

        return

    with _context().Pool(workers, initializer=_start, initargs=(drawer,)) as pool:
        # A bounded window of tasks: a slow reader (a web client) must not make
        # finished pages pile up in memory.
        waiting = iter(chunks)
        pending = deque(
            pool.apply_async(_draw, (chunk,)) for chunk in islice(waiting, 2 * workers)
        )
        while pending:
            result = pending.popleft().get()
            following = next(waiting, None)
            if following is not None:
                pending.append(pool.apply_async(_draw, (following,)))

            yield from result
