"""A print job: one range of one run's labels, with everything drawing needs.

A job is plain data that crosses into worker processes, so this module imports
no database code; ``labels.runs.make_job`` builds one from the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from appletrace.labels import qr
from appletrace.labels.templates import Template
from appletrace.labels.text import LabelText
from appletrace.trace import serials


@dataclass(frozen=True)
class LabelJob:
    """Labels ``start`` to ``stop - 1`` of one run, as one template prints them."""

    key: serials.RunKey
    uri_prefix: str
    start: int
    stop: int
    template: Template
    dpi: int
    text: LabelText

    @property
    def count(self) -> int:
        """How many labels the job prints."""
        return self.stop - self.start

    def uris(self, start: int, stop: int) -> list[str]:
        """Addresses of labels ``start`` to ``stop - 1`` (within the job)."""
        made = serials.make_serials(self.key, start, stop, tables=True)

        return [self.uri_prefix + serial for serial in made]

    def labels(self, start: int, stop: int) -> Iterator[tuple[int, str, qr.Matrix]]:
        """Each label's index, address and QR symbol."""
        for offset, uri in enumerate(self.uris(start, stop)):
            yield start + offset, uri, qr.encode(uri)
