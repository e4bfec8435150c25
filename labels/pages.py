"""Drawing PDF pages of labels: pure, so worker processes can share the work."""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field

from appletrace.labels.job import LabelJob
from appletrace.labels.layout import PT_PER_MM, TextLine, place_qr, snap
from appletrace.labels.qr import QUIET_ZONE
from appletrace.labels.text import number

# Labels drawn per task handed to a worker: enough to pay for the hand-over.
CHUNK_LABELS = 240


def fmt(value: float) -> bytes:
    """A number for a content stream: three decimals, no trailing zeros."""
    return (b"%.3f" % value).rstrip(b"0").rstrip(b".")


@dataclass(frozen=True)
class PageDrawer:
    """Draws the pages of one job: label origins in mm from the page's top-left."""

    job: LabelJob
    lines: tuple[TextLine, ...]
    codes: dict[str, str] | None
    origins: list[tuple[float, float]]
    _slots: dict[tuple[int, int], tuple[bytes, bytes]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def pages(self) -> list[tuple[int, int]]:
        """Label ranges of the job's pages."""
        per_page = len(self.origins)
        job = self.job

        return [
            (first, min(first + per_page, job.stop))
            for first in range(job.start, job.stop, per_page)
        ]

    def chunks(self) -> list[list[tuple[int, int]]]:
        """Pages grouped into tasks of about CHUNK_LABELS labels."""
        pages = self.pages()
        step = max(1, CHUNK_LABELS // len(self.origins))

        return [pages[i : i + step] for i in range(0, len(pages), step)]

    def draw_pages(self, pages: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
        """Compressed content streams of some pages, with their label counts."""
        return [(self.draw(start, stop), stop - start) for start, stop in pages]

    def draw(self, start: int, stop: int) -> bytes:
        """The compressed content stream of one page: labels start to stop - 1."""
        parts = []
        for slot, (index, _uri, matrix) in enumerate(self.job.labels(start, stop)):
            text, qr_start = self._slot(slot, matrix.size)
            parts.append(text + self._number(index, slot))
            parts.append(qr_start + matrix.pdf_runs() + b"f Q")

        # Level 3 draws a label in 30 µs against 70 µs at level 6, for about
        # 530 bytes a label instead of 350.
        return zlib.compress(b"\n".join(parts), 3)

    def _slot(self, slot: int, size: int) -> tuple[bytes, bytes]:
        # What is the same on every page for a slot: the run's text placed on the
        # label, and the transform that puts a size-module QR on the dot grid.
        made = self._slots.get((slot, size))
        if made is None:
            made = self._slots[(slot, size)] = self._make_slot(slot, size)

        return made

    def _make_slot(self, slot: int, size: int) -> tuple[bytes, bytes]:
        job, template = self.job, self.job.template
        left, top = self.origins[slot]
        page_h, label_h = template.page_mm[1], template.label_mm[1]
        bottom = (page_h - top - label_h) * PT_PER_MM
        text = b"q 1 0 0 1 %s %s cm /T1 Do Q\n" % (fmt(left * PT_PER_MM), fmt(bottom))
        place = place_qr(template, size, job.dpi)
        # The runs count the quiet zone: the transform starts at its corner.
        quiet = QUIET_ZONE * place.module_mm
        x = snap(left + place.x_mm, job.dpi) - quiet
        y = page_h - snap(top + place.y_mm, job.dpi) + quiet
        module = fmt(place.module_mm * PT_PER_MM)
        qr_start = b"q %s 0 0 -%s %s %s cm\n" % (
            module,
            module,
            fmt(x * PT_PER_MM),
            fmt(y * PT_PER_MM),
        )

        return text, qr_start

    def _number(self, index: int, slot: int) -> bytes:
        line = self._number_line
        if line is None:
            return b""

        text = number(self.job.key.run_id, index)
        if self.codes is None:
            shown = text.encode("utf-16-be").hex().upper()
        else:
            shown = "".join([self.codes[c] for c in text])

        left, top = self.origins[slot]
        x = (left + line.x_mm) * PT_PER_MM
        y = (self.job.template.page_mm[1] - top - line.baseline_mm) * PT_PER_MM

        return b"BT /F1 %s Tf 1 0 0 1 %s %s Tm <%s> Tj ET" % (
            fmt(line.size_pt),
            fmt(x),
            fmt(y),
            shown.encode(),
        )

    @functools.cached_property
    def _number_line(self) -> TextLine | None:
        return next((x for x in self.lines if x.field == "number"), None)
