"""The ``kit`` fixture: label test helpers from tests/qrkit.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from qrkit import Kit


@pytest.fixture
def kit() -> type[Kit]:
    """Helpers for jobs, rasterizing and decoding."""
    return Kit


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[[bytes], Path]:
    """Save PDF bytes to a file in the test's folder."""

    def write(data: bytes, name: str = "labels.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
