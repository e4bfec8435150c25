import logging
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from appletrace.labels.fonts import CidFallback, LabelFont, label_font
from appletrace.labels.job import LabelJob
from appletrace.labels.pdf import pdf_stream
from appletrace.labels.templates import template_names
from appletrace.trace import serials

WritePdf = Callable[[bytes], Path]


def pdf_bytes(job: LabelJob, workers: int = 1, font: LabelFont | None = None) -> bytes:
    chosen = font or label_font(job.text.characters())
    return b"".join(pdf_stream(job, chosen, workers))


def expected(kit: Any, job: LabelJob, start: int, stop: int) -> list[str]:
    return [kit.prefix + s for s in serials.make_serials(job.key, start, stop)]


@pytest.mark.parametrize("name", template_names())
def test_every_label_of_two_pages_decodes_to_its_address(
    name: str, kit: Any, write_pdf: WritePdf
) -> None:
    per_page = kit.pure_job(name).template.per_page
    # Two pages: a full one and a partial one (one label a page on rolls).
    count = 2 * per_page - 3 if per_page > 1 else 2
    job = kit.pure_job(name, start=500, stop=500 + count)
    path = write_pdf(pdf_bytes(job))

    first, second = kit.rasterize(path, 300, 1, 2)
    decoded = kit.decode_page(first, job.template, 300, per_page)
    decoded += kit.decode_page(second, job.template, 300, count - per_page)

    assert decoded == expected(kit, job, 500, 500 + count)
    found = [uri.rsplit("/", 1)[1] for uri in decoded]
    assert len(set(found)) == count
    assert [serials.verify(job.key, s) for s in found] == list(range(500, 500 + count))
    altered = [s[:-3] + ("Z" if s[-3] != "Z" else "Y") + s[-2:] for s in found]
    assert [serials.verify(job.key, s) for s in altered] == [None] * count


@pytest.mark.parametrize("name", ["fruit-a4", "roll-25x25"])
@pytest.mark.parametrize("dpi", [203, 300])
def test_a_sticker_decodes_printed_at_203_and_300_dpi(
    name: str, dpi: int, kit: Any, write_pdf: WritePdf
) -> None:
    job = kit.pure_job(name, stop=1, dpi=dpi)
    path = write_pdf(pdf_bytes(job))

    page = kit.rasterize(path, dpi)[0]

    assert kit.decode_page(page, job.template, dpi, 1) == expected(kit, job, 0, 1)


def test_worker_processes_write_the_very_same_file(kit: Any) -> None:
    job = kit.pure_job("a4-rect", stop=600)
    alone = pdf_bytes(job, workers=1)
    forked = pdf_bytes(job, workers=2)
    # With another thread running, workers come from a fork server instead.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        served = pdf_bytes(job, workers=2)
    finally:
        stop.set()
        other.join()

    assert forked == alone
    assert served == alone


def test_the_font_is_an_embedded_subset_and_a_label_costs_under_1_kb(
    kit: Any, write_pdf: WritePdf
) -> None:
    job = kit.pure_job("a4-rect", stop=400)
    data = pdf_bytes(job)
    path = write_pdf(data)

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True)
    row = fonts.stdout.splitlines()[2].split()
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True
    )

    assert row[0].endswith("+WenQuanYiMicroHei")
    assert row[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, ToUnicode
    assert "昭阳区 洒渔示范果园" in text.stdout
    assert "海拔 1935 m" in text.stdout
    assert "扫码查看产地" in text.stdout and "No. 12/39" in text.stdout
    assert len(data) / 400 < 1024


def test_without_a_cjk_font_the_cid_font_is_named_with_a_warning(
    kit: Any, write_pdf: WritePdf, caplog: pytest.LogCaptureFixture
) -> None:
    job = kit.pure_job("roll-50x30", stop=1)
    with caplog.at_level(logging.WARNING):
        path = write_pdf(pdf_bytes(job, font=CidFallback()))

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True)
    page = kit.rasterize(path, 300)[0]

    assert "STSong-Light" in fonts.stdout
    assert fonts.stdout.splitlines()[2].split()[-5] == "no"
    assert "no TrueType CJK font found" in caplog.text
    assert kit.decode_page(page, job.template, 300, 1) == expected(kit, job, 0, 1)
