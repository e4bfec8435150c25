"""Bulk import: read a CSV or XLSX sheet of orchards or lots into checked rows.

Pure: bytes in, rows and per-row errors out. Applying the rows is in
``trace.bulk``. Excel in China saves CSV as GB 18030 (GBK) unless told otherwise,
so a CSV that is not UTF-8 is read as GB 18030.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.errors import InvalidInput

MAX_ROWS = 5000
KINDS = ("orchards", "lots")

# Column name (English, as in the API) and the Chinese headings also understood.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "orchards": {
        "code": ("果园编号", "编号"),
        "name": ("名称", "果园名称"),
        "county_code": ("县区", "县区代码", "county"),
        "township": ("乡镇",),
        "village": ("村",),
        "latitude": ("纬度",),
        "longitude": ("经度",),
        "altitude_m": ("海拔", "海拔米", "altitude"),
        "variety": ("品种",),
    },
    "lots": {
        "code": ("批次号", "批次"),
        "orchard": ("果园编号", "果园"),
        "variety": ("品种",),
        "window_start": ("生长期开始", "开始日期"),
        "harvested_on": ("采收日期",),
        "quantity_kg": ("数量", "数量公斤", "数量kg"),
        "grade": ("等级",),
    },
}
REQUIRED = {
    "orchards": ("code", "name", "county_code", "latitude", "longitude", "altitude_m"),
    "lots": ("code", "orchard", "variety", "window_start", "harvested_on"),
}
NUMBERS = {"latitude", "longitude", "altitude_m", "quantity_kg"}
DATES = {"window_start", "harvested_on"}
_COUNTY_BY_NAME = {name: code for code, name in ZHAOTONG_COUNTIES.items()}


@dataclass
class Row:
    """One data row: its line number in the sheet, values, and what is wrong."""

    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the row can be imported."""
        return self.error is None


def read_sheet(data: bytes, filename: str) -> list[list[str]]:
    """The cells of the first sheet of a CSV or XLSX file, as text."""
    if not data.strip():
        raise InvalidInput("file", f"{filename!r} is empty")

    if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, filename)

    if filename.lower().endswith(".xls"):
        raise InvalidInput(
            "file", f"{filename!r} is an old .xls file; save it as .xlsx or CSV"
        )

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")

    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"

    try:
        return [list(row) for row in csv.reader(io.StringIO(text), dialect=dialect)]
    except csv.Error as error:
        raise InvalidInput(
            "file", f"{filename!r} is not a readable CSV file ({error}); save it again"
        ) from None


def _read_xlsx(data: bytes, filename: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise InvalidInput(
            "file", f"{filename!r} is not a readable XLSX file ({error})"
        ) from None

    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()

    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""

    if isinstance(value, datetime):
        return value.date().isoformat()

    if isinstance(value, date):
        return value.isoformat()

    if isinstance(value, float) and value.is_integer():
        return str(int(value))

    return str(value)


def header_map(kind: str, header: list[str]) -> dict[int, str]:
    """Which column holds which field; InvalidInput names missing ones."""
    names = {}
    for field_name, aliases in COLUMNS[kind].items():
        for alias in (field_name, *aliases):
            names[alias.lower()] = field_name

    found = {}
    for index, heading in enumerate(header):
        key = heading.strip().lower()
        if key in names:
            found[index] = names[key]

    missing = [name for name in REQUIRED[kind] if name not in found.values()]
    if missing:
        raise InvalidInput(
            "file",
            f"the first row lacks the column(s) {', '.join(missing)}; "
            f"the columns are: {', '.join(COLUMNS[kind])}",
        )

    return found


def parse_rows(kind: str, data: bytes, filename: str) -> list[Row]:
    """Read a sheet of ``kind`` (orchards or lots) into checked rows."""
    if kind not in KINDS:
        raise InvalidInput("kind", f"import kind {kind!r} is not one of {KINDS}")

    cells = read_sheet(data, filename)
    columns = header_map(kind, cells[0])
    body = [
        (n, r) for n, r in enumerate(cells[1:], start=2) if any(c.strip() for c in r)
    ]
    if len(body) > MAX_ROWS:
        raise InvalidInput(
            "file", f"the sheet has {len(body)} rows; import at most {MAX_ROWS} at once"
        )

    rows = []
    for number, cells_of_row in body:
        raw = {
            name: (cells_of_row[i] if i < len(cells_of_row) else "").strip()
            for i, name in columns.items()
        }
        rows.append(convert(kind, Row(number, raw)))

    return rows


def convert(kind: str, row: Row) -> Row:
    """Fill ``row.values`` with typed values, or ``row.error`` with the first fault."""
    try:
        row.values = _typed(kind, row.raw)
    except InvalidInput as error:
        row.field, row.error = error.field, error.message

    return row


def _typed(kind: str, raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, text in raw.items():
        if not text:
            if name in REQUIRED[kind]:
                raise InvalidInput(name, f"{name} is empty; every row needs it")

            continue

        values[name] = _value(name, text)

    return values


# 2025-10-20, 2025/10/20, 2025.10.20 and 2025年10月20日, months and days with or
# without a leading zero: the ways spreadsheets here write a date as text.
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _date(name: str, text: str) -> date:
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)

        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput(
            name, f"{name} {text!r} is not a date; use YYYY-MM-DD"
        ) from None


def _value(name: str, text: str) -> Any:
    if name in NUMBERS:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            number = math.nan

        if not math.isfinite(number):
            raise InvalidInput(name, f"{name} {text!r} is not a number")

        return number

    if name in DATES:
        return _date(name, text)

    if name == "county_code":
        return _COUNTY_BY_NAME.get(text, text)

    return text
