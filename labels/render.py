"""Render a job in one output format, as a stream of bytes or into a file.

These are what the command line and the web app call: ``render`` yields the
bytes of a PDF, ZPL, PNG, SVG or terminal text as they are made; ``write_file``
writes them beside the target and renames at the end, so a failure leaves no
half-written file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from appletrace.labels import single
from appletrace.labels.fonts import find_cjk_font, label_font
from appletrace.labels.job import LabelJob
from appletrace.labels.layout import layout_text, place_qr
from appletrace.labels.parallel import default_workers
from appletrace.labels.pdf import pdf_stream
from appletrace.labels.text import number
from appletrace.labels.zpl import module_dots, zpl_stream
from appletrace.trace.errors import InvalidInput

FORMATS = ("pdf", "zpl", "png", "svg", "text")
SINGLE_FORMATS = ("png", "svg", "text")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "zpl": "application/vnd.zebra-zpl",
    "png": "image/png",
    "svg": "image/svg+xml",
    "text": "text/plain; charset=utf-8",
}


def check_format(fmt: str, count: int, dpi: int | None) -> None:
    """Refuse a format that cannot hold the job, before anything is made."""
    if fmt not in FORMATS:
        raise InvalidInput(
            "format", f"format {fmt!r} is not one of {', '.join(FORMATS)}"
        )

    if fmt in SINGLE_FORMATS and count != 1:
        raise InvalidInput(
            "format",
            f"{fmt} holds one label, not {count}; use --count 1 (or --from I --to I) "
            "or --format pdf",
        )

    if fmt == "zpl" and dpi not in (None, 203, 300):
        raise InvalidInput(
            "dpi",
            f"ZPL is made for 203 or 300 dpi, not {dpi}; pass --dpi 203 or 300 "
            "or a roll template",
        )


def check_job(job: LabelJob, fmt: str) -> None:
    """Raise InvalidInput now if the job's labels cannot be drawn in ``fmt``."""
    check_format(fmt, job.count, job.dpi if fmt == "zpl" else None)
    _index, _uri, matrix = next(job.labels(job.start, job.start + 1))
    place_qr(job.template, matrix.size, job.dpi)
    if fmt == "zpl":
        module_dots(job, matrix.size)


def render(
    job: LabelJob,
    fmt: str,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    zpl_bitmap: bool = False,
) -> Iterator[bytes]:
    """The job in format ``fmt``, in chunks as they are made."""
    check_format(fmt, job.count, job.dpi if fmt == "zpl" else None)
    font_file = find_cjk_font()
    font = label_font(job.text.characters(), font_file)
    if fmt == "pdf":
        yield from pdf_stream(
            job, font, workers or default_workers(job.count), progress
        )
        return

    lines = layout_text(job.template, job.text, font.width_mm)
    if fmt == "zpl":
        yield from zpl_stream(job, lines, font_file, zpl_bitmap, progress)
        return

    index, uri, matrix = next(job.labels(job.start, job.stop))
    place = place_qr(job.template, matrix.size, job.dpi)
    shown = number(job.key.run_id, index)
    label_mm = job.template.label_mm
    if fmt == "png":
        yield single.png(matrix, place, lines, label_mm, job.dpi, font_file, shown)
    elif fmt == "svg":
        yield single.svg(matrix, place, lines, label_mm, shown)
    else:
        yield single.terminal(matrix, uri)


def write_file(path: Path, chunks: Iterable[bytes]) -> int:
    """Write chunks to ``path`` through a temporary file; the byte count."""
    if not path.parent.is_dir():
        raise InvalidInput(
            "out", f"folder {str(path.parent)!r} does not exist; create it first"
        )

    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    written = 0
    try:
        with open(partial, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)

        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

    return written
