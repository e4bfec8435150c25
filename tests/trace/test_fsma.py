"""The FSMA 204 sheet: one row per event, the documented columns, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from records_factories import GTIN, LOT, history, make_season

from appletrace.trace import fsma
from appletrace.trace.db import session_scope

DOCS = Path(__file__).parents[2] / "docs" / "records.md"


def documented_columns() -> list[str]:
    """The column names of the FSMA table in docs/records.md, in order."""
    section = DOCS.read_text().split("## FSMA 204", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_docs_list_every_column_in_order() -> None:
    assert documented_columns() == list(fsma.COLUMN_NAMES)


def test_the_sheet_opens_as_csv_with_one_row_per_event(engine, cli, tmp_path) -> None:
    with session_scope(engine) as session:
        make_season(session)

    out = tmp_path / "fsma.csv"
    result = cli("export", "fsma", LOT, "--out", str(out))

    assert result.code == 0, result.err
    assert out.read_bytes().startswith("\ufeff".encode())
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == documented_columns()

    rows = read_csv(out)
    assert [(r["event"], r["event_date"]) for r in rows] == [
        ("harvesting", "2025-10-20"),
        ("initial_packing", "2025-10-23"),
        ("initial_packing", "2025-10-24"),
        ("shipping", "2025-10-25"),
    ]
    harvest, packing, _, shipping = rows
    assert harvest["traceability_lot_code"] == LOT
    assert harvest["quantity"] == "12000" and harvest["unit_of_measure"] == "kg"
    assert harvest["field_name"] == "洒渔示范果园 (ZY-SAYU-01)"
    assert harvest["farm_address"] == "云南省昭通市昭阳区洒渔镇乐居村"
    assert harvest["recipient_name"] == "昭阳包装厂"
    assert packing["quantity"] == "5000" and packing["unit_of_measure"] == "each"
    assert packing["quantity_received"] == "12000"
    assert packing["packer_phone"] == "0870-2999888"
    assert packing["gtin"] == GTIN
    assert shipping["quantity"] == "8000"
    assert shipping["recipient_name"] == "昆明金马正昌水果批发市场"
    assert shipping["reference_document_type"] == "shipment"


def test_dates_choose_the_rows_and_xlsx_holds_the_same(engine, cli, tmp_path) -> None:
    with session_scope(engine) as session:
        make_season(session)

    csv_out, xlsx_out = tmp_path / "week.csv", tmp_path / "week.xlsx"
    span = ("--from", "2025-10-21", "--to", "2025-10-24")
    assert cli("export", "fsma", *span, "--out", str(csv_out)).code == 0
    assert cli("export", "fsma", *span, "--out", str(xlsx_out)).code == 0

    rows = read_csv(csv_out)
    sheet = load_workbook(xlsx_out).active
    cells = [
        ["" if v is None else str(v) for v in r]
        for r in sheet.iter_rows(values_only=True)
    ]
    assert [r["event"] for r in rows] == ["initial_packing", "initial_packing"]
    assert cells[0] == list(fsma.COLUMN_NAMES)
    assert cells[1:] == [list(r.values()) for r in rows]
    assert sheet.auto_filter.ref == sheet.dimensions


def test_rows_sort_by_lot_then_date() -> None:
    rows = fsma.build_rows(
        [history(code="B-2"), history(code="A-1")], ZoneInfo("Asia/Shanghai")
    )
    text = fsma.to_csv(rows).decode("utf-8-sig")

    keys = [
        (r["traceability_lot_code"], r["event_date"])
        for r in csv.DictReader(io.StringIO(text))
    ]
    assert keys == sorted(keys)
    assert len(keys) == 2 * 4
    assert rows[0]["event_date"] == date(2025, 10, 20).isoformat()
