"""Reading import sheets: CSV (UTF-8 or GB 18030), XLSX, headers and row errors."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from appletrace.trace.errors import InvalidInput
from appletrace.trace.imports import parse_rows

CSV = (
    "code,name,county_code,township,latitude,longitude,altitude_m,variety\n"
    "ZY-A-01,甲果园,530602,洒渔镇,27.38,103.58,1935,富士\n"
    "ZY-A-02,乙果园,昭阳区,洒渔镇,27.39,103.59,海拔高,富士\n"
    "\n"
    "ZY-A-03,,530602,,27.40,103.60,1950,\n"
)


def test_csv_rows_are_typed_and_bad_ones_say_why() -> None:
    rows = parse_rows("orchards", CSV.encode(), "orchards.csv")

    assert [r.number for r in rows] == [2, 3, 5]  # the blank line is skipped
    assert rows[0].ok and rows[0].values["altitude_m"] == 1935.0
    assert rows[1].field == "altitude_m" and "'海拔高' is not a number" in rows[1].error
    assert rows[2].field == "name" and "empty" in rows[2].error


def test_county_names_become_codes_and_chinese_headings_are_understood() -> None:
    heading = "批次号,果园编号,品种,生长期开始,采收日期,数量\n"
    text = heading + "L1,ZY-A-01,富士,2025/4/20,2025年10月20日,1200\n"
    bad_date = heading + "L2,ZY-A-01,富士,2025/04/20,去年,1\n"

    [lot] = parse_rows("lots", text.encode(), "lots.csv")
    [bad] = parse_rows("lots", bad_date.encode(), "lots.csv")
    header, _, second = CSV.splitlines()[:3]
    fixed = f"{header}\n{second.replace('海拔高', '1900')}\n"
    [orchard] = parse_rows("orchards", fixed.encode(), "o.csv")

    assert bad.field == "harvested_on"
    assert lot.values["harvested_on"] == date(2025, 10, 20)
    assert lot.values["quantity_kg"] == 1200.0
    assert orchard.values["county_code"] == "530602"


def test_a_gbk_csv_from_excel_is_read() -> None:
    rows = parse_rows("orchards", CSV.encode("gb18030"), "orchards.csv")

    assert rows[0].values["name"] == "甲果园"


def test_an_xlsx_sheet_is_read_with_dates_and_numbers() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["code", "orchard", "variety", "window_start", "harvested_on", "quantity_kg"]
    )
    sheet.append(["L1", "ZY-A-01", "富士", date(2025, 4, 20), date(2025, 10, 20), 1200])
    data = io.BytesIO()
    book.save(data)

    [row] = parse_rows("lots", data.getvalue(), "lots.xlsx")

    assert row.ok, row.error
    assert row.values["window_start"] == date(2025, 4, 20)
    assert row.values["quantity_kg"] == 1200.0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", "empty"),
        (b"code,name\nA,B\n", "x.csv", "lacks the column"),
        (b"PK\x03\x04 broken", "x.xlsx", "not a readable XLSX"),
        (b"\xd0\xcf\x11\xe0", "x.xls", "old .xls"),
    ],
)
def test_an_unusable_file_is_refused_whole(
    data: bytes, name: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_rows("orchards", data, name)


def test_a_stray_carriage_return_is_an_unreadable_csv_not_a_crash() -> None:
    with pytest.raises(InvalidInput, match="not a readable CSV"):
        parse_rows("orchards", b"code,name\rx\n", "x.csv")
