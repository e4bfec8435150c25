"""Drawing PDF pages of labels: pure, so worker processes can share the work."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

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
        job, template = self.job, self.job.template
        page_h = template.page_mm[1]
        label_h = template.label_mm[1]
        parts = []
        for slot, (index, _uri, matrix) in enumerate(job.labels(start, stop)):
            left, top = self.origins[slot]
            bottom = (page_h - top - label_h) * PT_PER_MM
            parts.append(
                b"q 1 0 0 1 %s %s cm /T1 Do Q" % (fmt(left * PT_PER_MM), fmt(bottom))
            )
            parts += self._number(index, left, top)
            place = place_qr(template, matrix.size, job.dpi)
            # The runs count the quiet zone: the transform starts at its corner.
            quiet = QUIET_ZONE * place.module_mm
            x = snap(left + place.x_mm, job.dpi) - quiet
            y = page_h - snap(top + place.y_mm, job.dpi) + quiet
            module = fmt(place.module_mm * PT_PER_MM)
            parts.append(
                b"q %s 0 0 -%s %s %s cm"
                % (module, module, fmt(x * PT_PER_MM), fmt(y * PT_PER_MM))
            )
            parts.append(matrix.pdf_runs() + b"f Q")

        return zlib.compress(b"\n".join(parts), 6)

    def _number(self, index: int, left: float, top: float) -> list[bytes]:
        line = next((x for x in self.lines if x.field == "number"), None)
        if line is None:
            return []

        text = number(self.job.key.run_id, index)
        if self.codes is None:
            shown = text.encode("utf-16-be").hex().upper()
        else:
            shown = "".join(self.codes[c] for c in text)

        x = (left + line.x_mm) * PT_PER_MM
        y = (self.job.template.page_mm[1] - top - line.baseline_mm) * PT_PER_MM
        op = b"BT /F1 %s Tf 1 0 0 1 %s %s Tm <%s> Tj ET" % (
            fmt(line.size_pt),
            fmt(x),
            fmt(y),
            shown.encode(),
        )

        return [op]
