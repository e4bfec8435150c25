from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appletrace.labels.render import check_job, render, write_file
from appletrace.trace.errors import InvalidInput


def test_a_failure_mid_way_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    target.write_bytes(b"the previous file")

    def chunks() -> Iterator[bytes]:
        yield b"%PDF-1.4 half"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_file(target, chunks())

    assert target.read_bytes() == b"the previous file"
    assert [p.name for p in tmp_path.iterdir()] == ["labels.pdf"]


def test_a_missing_folder_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist; create it first"):
        write_file(tmp_path / "no" / "labels.pdf", iter([b"x"]))


def test_a_streamed_pdf_is_complete_and_counts_progress(kit: Any) -> None:
    job = kit.pure_job("fruit-a4", stop=150)
    counted: list[int] = []

    data = b"".join(render(job, "pdf", progress=counted.append))

    assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF\n")
    assert counted == [70, 70, 10]


@pytest.mark.parametrize(
    ("fmt", "dpi", "message"),
    [
        ("png", None, "png holds one label, not 3"),
        ("zpl", 600, "ZPL is made for 203 or 300 dpi, not 600"),
    ],
)
def test_jobs_a_format_cannot_hold_are_refused(
    kit: Any, fmt: str, dpi: int | None, message: str
) -> None:
    job = kit.pure_job("roll-50x30", stop=3, dpi=dpi)

    with pytest.raises(InvalidInput, match=message):
        check_job(job, fmt)
