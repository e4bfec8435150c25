"""The compliance certificate as a printable PDF: A6, Chinese, with the lot's QR.

A print-ready PDF embeds its CJK font (a subset of WenQuanYi Micro Hei from
Debian's fonts-wqy-microhei). Without it, reportlab's STSong-Light CID font is
used, which is not embedded: the viewer or printer must supply it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from appletrace.trace.certificate import CertificateSheet

log = logging.getLogger(__name__)

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
EMBEDDED_FONT = "WenQuanYiMicroHei"
CID_FONT = "STSong-Light"
MARGIN = 7 * mm
QR_SIZE = 32 * mm
LABEL_WIDTH = 23 * mm


@cache
def cjk_font(paths: Sequence[Path] = FONT_PATHS) -> str:
    """Register and name the CJK font: an embeddable TrueType, else the CID font."""
    for path in paths:
        if path.exists():
            # subfontIndex 0 of the collection is the proportional face.
            pdfmetrics.registerFont(TTFont(EMBEDDED_FONT, str(path), subfontIndex=0))
            return EMBEDDED_FONT

    log.warning(
        "no embeddable CJK font in %s; using %s, which the viewer must supply "
        "(install Debian's fonts-wqy-microhei)",
        ", ".join(map(str, paths)),
        CID_FONT,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))

    return CID_FONT


def render_certificate(sheet: CertificateSheet, font: str | None = None) -> bytes:
    """The certificate as a one-page PDF; the same sheet gives the same bytes."""
    font = font or cjk_font()
    buffer = io.BytesIO()
    # invariant=1 leaves out the creation time and random ids: a reprint of a
    # certificate is byte for byte the first print.
    canvas = Canvas(buffer, pagesize=A6, invariant=1, initialFontName=font)
    canvas.setTitle(f"承诺达标合格证 {sheet.number}")
    canvas.setAuthor(sheet.producer)
    canvas.setCreator("appletrace")

    width, height = A6
    y = _heading(canvas, font, sheet, width, height - MARGIN)
    y = _fields(canvas, font, sheet, y - 4 * mm, width)
    y = _promise(canvas, font, sheet, y - 2 * mm, width)
    _qr_block(canvas, font, sheet, min(y - 3 * mm, MARGIN + QR_SIZE + 6 * mm))
    canvas.showPage()
    canvas.save()

    return buffer.getvalue()


def _heading(
    canvas: Canvas, font: str, sheet: CertificateSheet, width: float, top: float
) -> float:
    canvas.setFont(font, 15)
    canvas.drawCentredString(width / 2, top - 15, "承诺达标合格证")
    canvas.setFont(font, 7)
    canvas.drawCentredString(width / 2, top - 26, f"编号：{sheet.number}")
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, top - 30, width - MARGIN, top - 30)

    return top - 30


def _fields(
    canvas: Canvas, font: str, sheet: CertificateSheet, top: float, width: float
) -> float:
    rows = [
        ("产品名称", sheet.product),
        ("数量（重量）", f"{_kg(sheet.quantity_kg)} 千克"),
        ("生产者", sheet.producer),
        ("联系方式", sheet.phone or "—"),
        ("产地", sheet.origin),
        ("批次号", sheet.lot_code),
        ("开具日期", _chinese_date(sheet)),
        ("承诺依据", sheet.basis_label),
    ]
    if sheet.inspection:
        rows.append(("检测报告", sheet.inspection))

    size = 8.5
    y = top
    value_width = width - 2 * MARGIN - LABEL_WIDTH
    for label, value in rows:
        canvas.setFont(font, size)
        canvas.drawString(MARGIN, y - size, label + "：")
        for line in wrap(value, font, size, value_width):
            canvas.drawString(MARGIN + LABEL_WIDTH, y - size, line)
            y -= size * 1.45

    return y


def _promise(
    canvas: Canvas, font: str, sheet: CertificateSheet, top: float, width: float
) -> float:
    size = 8.5
    inner = width - 2 * MARGIN - 4 * mm
    lines = ["我承诺对生产销售的食用农产品："]
    lines += wrap(sheet.promise + "。", font, size, inner)
    box_height = len(lines) * size * 1.45 + 3 * mm
    canvas.setLineWidth(0.6)
    canvas.rect(MARGIN, top - box_height, width - 2 * MARGIN, box_height)
    canvas.setFont(font, size)
    y = top - 1.5 * mm
    for line in lines:
        canvas.drawString(MARGIN + 2 * mm, y - size, line)
        y -= size * 1.45

    return top - box_height


def _qr_block(canvas: Canvas, font: str, sheet: CertificateSheet, top: float) -> None:
    draw_qr(canvas, sheet.address, MARGIN, top - QR_SIZE, QR_SIZE)
    x = MARGIN + QR_SIZE + 3 * mm
    canvas.setFont(font, 8.5)
    canvas.drawString(x, top - 10 * mm, "扫码查看产品追溯信息")
    canvas.setFont(font, 7)
    canvas.drawString(x, top - 15 * mm, "（证码合一）")
    canvas.setFont(font, 5)
    canvas.drawString(MARGIN, top - QR_SIZE - 3 * mm, sheet.address)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code (error level M, 4-module quiet zone) as vector runs."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * module
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue

            end = column
            while end < len(cells) and cells[end]:
                end += 1

            canvas.rect(x + column * module, top, (end - column) * module, module, 0, 1)
            column = end


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than width; CJK text breaks anywhere."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = ""

        line += char

    return lines + [line] if line else lines or [""]


def _kg(quantity: float) -> str:
    return f"{quantity:,.0f}" if float(quantity).is_integer() else f"{quantity:,.1f}"


def _chinese_date(sheet: CertificateSheet) -> str:
    day = sheet.issued_on
    return f"{day.year}年{day.month}月{day.day}日"
