import re
from pathlib import Path
from typing import Any

import pytest
from factories import make_coop, make_lot, make_orchard, make_packing_house
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.labels.layout import place_qr
from appletrace.labels.templates import load_template
from appletrace.trace.digital_link import parse_path
from appletrace.trace.label_runs import verify_serial
from appletrace.trace.models import LabelRun

BASE = "https://trace.example.cn"


@pytest.fixture
def lot(engine: Engine) -> str:
    with Session(engine) as session:
        coop = make_coop(session, gtin="6901234567892")
        make_lot(session, coop, make_orchard(session, coop))
        make_packing_house(session)
        session.commit()

    return "ZY25-FJ-001"


def zpl_uris(path: Path) -> list[str]:
    return re.findall(r"\^FDMA,([^^]+)\^FS", path.read_text())


def runs(engine: Engine) -> list[LabelRun]:
    with Session(engine) as session:
        return list(session.exec(select(LabelRun)))


def test_print_writes_a_sheet_whose_codes_verify(
    cli: Any, lot: str, engine: Engine, tmp_path: Path, kit: Any
) -> None:
    out = tmp_path / "labels.pdf"

    result = cli("labels", "print", lot.lower(), "--count", "44", "--out", str(out))

    assert result.code == 0, result.err
    assert "wrote labels 0 to 43 of run 1 (44 labels" in result.out
    template = load_template("a4-rect")
    first, second = kit.rasterize(out, 300, 1, 2)
    uris = kit.decode_page(first, template, 300, 40)
    uris += kit.decode_page(second, template, 300, 4)
    assert len(set(uris)) == 44
    with Session(engine) as session:
        for index, uri in enumerate(uris):
            assert uri.startswith(f"{BASE}/01/06901234567892/10/ZY25-FJ-001/21/")
            match = verify_serial(
                session, parse_path(uri.removeprefix(BASE)), "test-secret-key"
            )
            assert match is not None and match.index == index and not match.voided


def test_a_reprint_gives_the_same_codes(cli: Any, lot: str, tmp_path: Path) -> None:
    first, again = tmp_path / "run.zpl", tmp_path / "again.zpl"
    cli(
        "labels",
        "print",
        lot,
        "--count",
        "10",
        "--template",
        "roll-50x30",
        "--format",
        "zpl",
        "--out",
        str(first),
    )

    result = cli(
        "labels",
        "reprint",
        "1",
        "--from",
        "3",
        "--to",
        "5",
        "--format",
        "zpl",
        "--dpi",
        "300",
        "--out",
        str(again),
    )

    assert result.code == 0, result.err
    assert zpl_uris(again) == zpl_uris(first)[3:6]
    template = load_template("roll-50x30")
    for path, dpi in ((first, 203), (again, 300)):
        dots = place_qr(template, 33, dpi).module_dots
        assert f"^BQN,2,{dots},M" in path.read_text()  # whole dots at either dpi


def test_void_replace_verify_and_list(cli: Any, lot: str, tmp_path: Path) -> None:
    run_file, new_file = tmp_path / "run.zpl", tmp_path / "new.zpl"
    cli(
        "labels",
        "print",
        lot,
        "--count",
        "5",
        "--template",
        "roll-50x30",
        "--format",
        "zpl",
        "--out",
        str(run_file),
        "--short",
    )
    uris = zpl_uris(run_file)

    assert cli("labels", "void", "1", "2", "--reason", "torn").code == 0
    replaced = cli(
        "labels", "replace", "1", "4", "--format", "zpl", "--out", str(new_file)
    )
    voided = cli("labels", "verify", uris[2])
    genuine = cli("labels", "verify", zpl_uris(new_file)[0])
    forged = cli(
        "labels", "verify", uris[0][:-1] + ("0" if uris[0][-1] != "0" else "1")
    )
    listed = cli("labels", "runs", lot, "--json")

    assert "/10/" not in uris[0]
    assert replaced.out.startswith("replaced labels 4 by 5")
    assert voided.out.strip() == "voided: lot ZY25-FJ-001, run 1, label 2"
    replaced_one = cli("labels", "verify", uris[4]).out.strip()
    assert (
        replaced_one == "voided (replaced by label 5): lot ZY25-FJ-001, run 1, label 4"
    )
    assert genuine.out.strip() == "genuine: lot ZY25-FJ-001, run 1, label 5"
    assert forged.code == 1 and "not genuine" in forged.err
    assert '"replacements": 1' in listed.out and '"voided": 2' in listed.out
    again = cli("labels", "void", "1", "2")
    assert again.code == 1 and "voided already" in again.err


def test_single_label_formats(cli: Any, lot: str, tmp_path: Path, kit: Any) -> None:
    png = tmp_path / "one.png"

    made = cli(
        "labels", "print", lot, "--count", "1", "--format", "png", "--out", str(png)
    )
    shown = cli("labels", "reprint", "1", "--format", "text")
    too_many = cli(
        "labels", "print", lot, "--count", "2", "--format", "svg", "--out", str(png)
    )

    from PIL import Image

    assert made.code == 0, made.err
    assert kit.decode_one(Image.open(png)) == [shown.out.splitlines()[-1]]
    assert too_many.code == 1 and "svg holds one label, not 2" in too_many.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NO-SUCH-LOT", "--count", "5"], "no lot 'NO-SUCH-LOT'"),
        (["ZY25-FJ-001", "--count", "5", "--gtin", "06901234567891"], "check digit 1"),
        (["ZY25-FJ-001", "--count", "0"], "count 0 is outside 1 to 1,000,000"),
        (["ZY25-FJ-001", "--count", "1000001"], "count 1000001 is outside"),
        (["ZY25<FJ", "--count", "5"], "characters GS1 does not allow"),
        (["ZY25-FJ-001", "--count", "5", "--template", "a5"], "template 'a5' does not"),
        (
            ["ZY25-FJ-001", "--count", "5", "--house", "无名厂"],
            "no organization '无名厂'",
        ),
        (["ZY25-FJ-001", "--count", "5", "--dpi", "150"], "--dpi 150 is not one of"),
        (
            ["ZY25-FJ-001", "--count", "5", "--format", "zpl", "--template", "a4-rect"],
            "ZPL is made for 203 or 300 dpi, not 600",
        ),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    cli: Any, lot: str, engine: Engine, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "labels.out"

    result = cli("labels", "print", *args, "--out", str(out))

    assert result.code == 1
    assert result.err.count("\n") == 1 and message in result.err
    assert list(tmp_path.glob("*labels.out*")) == []
    assert runs(engine) == []


def test_without_any_gtin_the_error_says_to_pass_one(
    cli: Any, engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        coop = make_coop(session)
        make_lot(session, coop, make_orchard(session, coop))
        make_packing_house(session)
        make_packing_house(session, "鲁甸包装厂")
        session.commit()

    out = str(tmp_path / "x.pdf")
    no_house = cli("labels", "print", "ZY25-FJ-001", "--count", "3", "--out", out)
    no_gtin = cli(
        "labels",
        "print",
        "ZY25-FJ-001",
        "--count",
        "3",
        "--house",
        "鲁甸包装厂",
        "--out",
        out,
    )

    assert "several organizations of kind 'packing_house'" in no_house.err
    assert no_gtin.code == 1 and "pass --gtin" in no_gtin.err
    assert runs(engine) == []
