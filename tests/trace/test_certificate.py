"""The compliance certificate: a real PDF, its QR decoded, its Chinese extracted."""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from records_factories import GTIN, LOT, add_inspection, add_recall, make_season
from sqlmodel import Session

from appletrace.labels.certificate import cjk_font, render_certificate
from appletrace.trace import audit
from appletrace.trace.certificate import PROMISE, CertificateSheet
from appletrace.trace.db import session_scope

ADDRESS = f"https://trace.example.cn/01/{GTIN}/10/{LOT}"


@pytest.fixture
def season(engine):
    with session_scope(engine) as session:
        make_season(session)

    return engine


def rendered(pdf: Path, tmp_path: Path) -> Image.Image:
    """The PDF's first page as a 300 dpi image, drawn by poppler."""
    stem = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    return Image.open(stem.with_suffix(".png"))


def text_of(pdf: Path) -> str:
    """The PDF's text as poppler extracts it, without spaces and line breaks."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "".join(out.split())


def test_the_certificate_pdf_carries_the_lots_qr_and_chinese_text(
    season, cli, tmp_path
) -> None:
    pdf = tmp_path / "certificate.pdf"

    result = cli(
        "certificates", "issue", LOT, "--basis", "commissioned-test", "--out", str(pdf)
    )

    assert result.code == 0, result.err
    codes = zxingcpp.read_barcodes(rendered(pdf, tmp_path))
    assert [c.text for c in codes] == [ADDRESS]
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
    text = text_of(pdf)
    for expected in (
        "承诺达标合格证",
        "产品名称：苹果（富士）",
        "数量（重量）：12,000千克",
        "生产者：洒渔苹果合作社",
        "联系方式：0870-2123456",
        "产地：云南省昭通市昭阳区洒渔镇乐居村",
        PROMISE,
        "承诺依据：委托检测",
        "检测报告：昭通市农产品质量检测中心，2025-10-22，合格",
        f"批次号：{LOT}",
    ):
        assert expected in text


def test_the_pdf_embeds_its_cjk_font(season, cli, tmp_path) -> None:
    pdf = tmp_path / "certificate.pdf"
    assert cli("certificates", "issue", LOT, "--out", str(pdf)).code == 0

    fonts = subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]

    assert fonts, "the PDF names no font"
    for line in fonts:
        name, embedded = line.split()[0], line.split()[-5]
        assert embedded == "yes", f"{name} is not embedded"


def test_a_certificate_is_kept_listed_and_reprinted_identically(
    season, cli, tmp_path
) -> None:
    first = tmp_path / "first.pdf"
    issued = cli(
        "certificates", "issue", LOT, "--quantity", "2000", "--out", str(first)
    )
    assert issued.code == 0, issued.err
    assert cli("certificates", "issue", LOT, "--out", str(tmp_path / "2.pdf")).code == 0

    listed = json.loads(cli("certificates", "list", LOT, "--json").out)
    number = listed[0]["number"]
    again = tmp_path / "again.pdf"
    printed = cli("certificates", "print", number, "--out", str(again))

    assert [c["quantity_kg"] for c in listed] == [2000.0, 12000.0]
    assert [c["basis"] for c in listed] == ["own-control", "own-control"]
    assert number.endswith(f"-{LOT}-1") and listed[1]["number"].endswith("-2")
    assert printed.code == 0, printed.err
    assert again.read_bytes() == first.read_bytes()
    assert "承诺依据：自我质量控制" in text_of(first)
    with Session(season) as session:
        assert audit.verify(session) is None


def test_a_test_basis_needs_a_passed_inspection(engine, cli, tmp_path) -> None:
    with session_scope(engine) as session:
        season = make_season(session)
        add_inspection(session, season["lot"], date(2025, 10, 26), passed=False)

    result = cli(
        "certificates",
        "issue",
        LOT,
        "--basis",
        "own-test",
        "--out",
        str(tmp_path / "x"),
    )

    assert result.code == 1
    assert "failed its latest inspection" in result.err
    assert not (tmp_path / "x").exists()
    assert json.loads(cli("certificates", "list", LOT, "--json").out) == []


def test_a_recalled_lot_gets_no_certificate(engine, cli, tmp_path) -> None:
    with session_scope(engine) as session:
        season = make_season(session)
        add_recall(session, season["lot"], datetime(2025, 10, 28, tzinfo=UTC))

    result = cli("certificates", "issue", LOT, "--out", str(tmp_path / "x.pdf"))

    assert result.code == 1
    assert f"lot {LOT} is recalled" in result.err


def test_a_shipment_certificate_certifies_its_load(season, cli, tmp_path) -> None:
    pdf = tmp_path / "load.pdf"
    result = cli("certificates", "issue", LOT, "--shipment", "1", "--out", str(pdf))
    too_much = cli(
        "certificates", "issue", LOT, "--quantity", "99999", "--out", str(pdf)
    )
    wrong = cli("certificates", "issue", LOT, "--shipment", "9", "--out", str(pdf))

    assert result.code == 0, result.err
    assert "数量（重量）：8,000千克" in text_of(pdf)
    assert too_much.code == 1 and "more than lot" in too_much.err
    assert wrong.code == 1 and "does not carry lot" in wrong.err


def test_without_a_ttf_font_the_cid_font_is_used_with_a_warning(caplog) -> None:
    sheet = CertificateSheet(
        number="20261201-L1-1",
        product="苹果（富士）",
        quantity_kg=100.0,
        producer="洒渔苹果合作社",
        phone="",
        origin="云南省昭通市昭阳区",
        issued_on=date(2026, 12, 1),
        lot_code="L1",
        basis="own-control",
        address=ADDRESS,
        inspection=None,
    )

    with caplog.at_level(logging.WARNING):
        font = cjk_font((Path("/nonexistent/font.ttc"),))

    assert font == "STSong-Light"
    assert "no embeddable CJK font" in caplog.text
    assert render_certificate(sheet, font).startswith(b"%PDF")
