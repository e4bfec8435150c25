"""Records side by side: certificate PDFs and EPCIS documents, each with a baseline.

    .venv/bin/python bench/records.py [--rounds 5]

Certificate: the whole A6 certificate (fonts embedded, QR drawn as vector runs)
against a page holding only the same QR drawn by reportlab's own QrCodeWidget,
the usual way to put a QR in a reportlab PDF. EPCIS: building the document of a
lot with a 180-day season (181 sensor elements) against only serializing that
same document to JSON, the least any exporter must do. Figures are medians of
the rounds; ratios are ours over the baseline.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen.canvas import Canvas

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from records_factories import history, synthetic_season  # noqa: E402

from appletrace.labels.certificate import cjk_font, render_certificate  # noqa: E402
from appletrace.trace import epcis  # noqa: E402
from appletrace.trace.certificate import CertificateSheet  # noqa: E402

ADDRESS = "https://trace.example.cn/01/06901234567892/10/ZY25-FJ-001"
REPEAT = 20


def sheet() -> CertificateSheet:
    """A certificate with every field filled."""
    return CertificateSheet(
        number="20261201-ZY25-FJ-001-1",
        product="苹果（富士）",
        quantity_kg=12000.0,
        producer="洒渔苹果合作社",
        phone="0870-2123456",
        origin="云南省昭通市昭阳区洒渔镇乐居村",
        issued_on=date(2026, 12, 1),
        lot_code="ZY25-FJ-001",
        basis="commissioned-test",
        address=ADDRESS,
        inspection="昭通市农产品质量检测中心，2025-10-22，合格",
    )


def widget_page() -> bytes:
    """Baseline: one A6 page with only the QR, drawn by QrCodeWidget."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A6, invariant=1)
    widget = QrCodeWidget(ADDRESS, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(90, 90, transform=[90 / (x1 - x0), 0, 0, 90 / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.drawOn(canvas, 20, 20)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def per_call_ms(work: Callable[[], object], rounds: int) -> float:
    """Median over rounds of the mean time of REPEAT calls, in milliseconds."""
    work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(REPEAT):
            work()

        times.append((time.perf_counter() - start) / REPEAT * 1000)

    return statistics.median(times)


def main() -> None:
    """Measure and print the two pairs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds

    font = cjk_font()
    certificate = sheet()
    ours = per_call_ms(lambda: render_certificate(certificate, font), rounds)
    baseline = per_call_ms(widget_page, rounds)
    size = len(render_certificate(certificate, font))
    print(f"certificate PDF ({size:,} bytes, font subset embedded): {ours:.2f} ms")
    print(
        f"QrCodeWidget page, QR only ({len(widget_page()):,} bytes): {baseline:.2f} ms"
    )
    print(f"ratio certificate / widget page: {ours / baseline:.2f}")

    lot = history(season=synthetic_season(date(2025, 4, 23), 180))
    zone = ZoneInfo("Asia/Shanghai")
    created = datetime(2025, 11, 1, tzinfo=UTC)
    base = "https://trace.example.cn"

    def build() -> dict:
        return epcis.build_document([lot], created, zone, base)

    document = build()
    text = json.dumps(document, ensure_ascii=False, indent=2)
    built = per_call_ms(build, rounds)
    dumped = per_call_ms(
        lambda: json.dumps(document, ensure_ascii=False, indent=2), rounds
    )
    elements = len(document["epcisBody"]["eventList"][0]["sensorElementList"])
    print(f"EPCIS build, 180-day season ({elements} sensor elements): {built:.2f} ms")
    size = len(text.encode())
    print(f"json.dumps of the same document ({size:,} bytes): {dumped:.2f} ms")
    print(f"ratio build / dumps: {built / dumped:.2f}")


if __name__ == "__main__":
    main()
