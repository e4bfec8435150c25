"""Label runs through the pages and the API: create, print, reprint, void, recall.

Labels are decoded with zbar (pyzbar), not the encoder's own library.
"""

import re
import subprocess
from pathlib import Path

from coop_world import World, post_form
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode
from sqlmodel import Session

from appletrace.labels.layout import label_origins
from appletrace.labels.templates import load_template
from appletrace.trace.digital_link import parse_path
from appletrace.trace.label_runs import verify_serial
from appletrace.trace.models import Lot
from appletrace.web.app import engine_of

GTIN = "06901234567892"
DPI = 200


def decode_pdf(pdf: bytes, folder: Path, count: int) -> list[str]:
    """The addresses of the first ``count`` labels on the PDF's first page."""
    (folder / "labels.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-f", "1", "-l", "1"]
        + [str(folder / "labels.pdf"), str(folder / "page")],
        check=True,
        capture_output=True,
    )
    [path] = folder.glob("page-*.pgm")
    page = Image.open(path).copy()
    template = load_template("a4-rect")
    width, height = template.label_mm
    scale = DPI / 25.4
    found = []
    for left, top in label_origins(template)[:count]:
        box = tuple(round(v * scale) for v in (left, top, left + width, top + height))
        symbols = zbar_decode(page.crop(box), symbols=[ZBarSymbol.QRCODE])
        found.append(symbols[0].data.decode())

    return found


def create_run(world: World, count: int = 6) -> tuple[object, int]:
    packer = world.client("p_packer")
    answer = post_form(
        packer,
        "/coop/lots/ZY25-FJ-001/label-runs/new",
        {"count": str(count), "gtin": GTIN, "template": "a4-rect"},
    )
    assert answer.status_code == 302, answer.text[:500]
    run_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    return packer, run_id


def genuine(world: World, uri: str):
    path = "/" + uri.split("/", 3)[3]
    with Session(engine_of(world.app)) as session:
        return verify_serial(session, parse_path(path), world.app.config["SECRET_KEY"])


def test_a_packer_prints_a_run_and_every_label_verifies(world: World, tmp_path) -> None:
    packer, run_id = create_run(world, 6)

    page = packer.get(f"/coop/label-runs/{run_id}")
    pdf = packer.get(f"/coop/label-runs/{run_id}/labels.pdf")
    zpl = packer.get(f"/coop/label-runs/{run_id}/labels.zpl")

    assert "ZY25-FJ-001" in page.text and 'id="run-count">6<' in page.text
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    uris = decode_pdf(pdf.data, tmp_path, 6)
    assert len(set(uris)) == 6
    assert all(
        u.startswith(f"https://trace.example.cn/01/{GTIN}/10/ZY25-FJ-001/21/")
        for u in uris
    )
    matches = [genuine(world, u) for u in uris]
    assert [m.index for m in matches] == list(range(6))
    assert zpl.data.count(b"^XA") == 6


def test_a_reprint_gives_the_same_codes_and_void_stops_a_serial(
    world: World, tmp_path
) -> None:
    packer, run_id = create_run(world, 6)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full = packer.get(f"/coop/label-runs/{run_id}/labels.pdf")
    whole = decode_pdf(full.data, tmp_path / "a", 6)

    again = packer.get(f"/coop/label-runs/{run_id}/labels.pdf?from=2&to=4")
    assert decode_pdf(again.data, tmp_path / "b", 3) == whole[2:5]

    voided = post_form(
        packer,
        f"/coop/label-runs/{run_id}/void",
        {"indexes": "1, 3-4", "reason": "撕破"},
    )
    assert voided.status_code == 302
    assert [genuine(world, u).voided for u in whole] == [
        False,
        True,
        False,
        True,
        True,
        False,
    ]
    assert "撕破" in packer.get(f"/coop/label-runs/{run_id}").text
    bad = post_form(packer, f"/coop/label-runs/{run_id}/void", {"indexes": "9"})
    assert bad.status_code == 400


def test_the_coop_sees_the_run_but_only_the_packer_prints(world: World) -> None:
    _packer, run_id = create_run(world, 3)
    farmer = world.client("a_farmer")

    assert f"/coop/label-runs/{run_id}" in farmer.get("/coop/lots/ZY25-FJ-001").text
    assert farmer.get(f"/coop/label-runs/{run_id}").status_code == 200
    assert farmer.get(f"/coop/label-runs/{run_id}/labels.pdf").status_code == 403


def test_a_packer_recalls_its_own_label_run_only(world: World) -> None:
    packer, run_id = create_run(world, 3)

    recalled = post_form(
        packer,
        "/coop/recalls/new",
        {"lot": "ZY25-FJ-001", "label_run": str(run_id), "reason": "标签印错批次"},
    )
    whole_lot = post_form(
        packer,
        "/coop/recalls/new",
        {"lot": "ZY25-FJ-001", "label_run": "", "reason": "整批"},
    )

    assert recalled.status_code == 302
    assert whole_lot.status_code == 400  # the form again: it may recall its run only
    with Session(engine_of(world.app)) as session:
        lot = session.exec(
            Lot.__table__.select().where(Lot.code == "ZY25-FJ-001")
        ).one()
    assert lot.status == "harvested"  # one run recalled, not the lot
    assert f"#{run_id}" in packer.get(recalled.headers["Location"]).text


def test_a_bad_count_keeps_the_form(world: World) -> None:
    packer = world.client("p_packer")

    answer = post_form(
        packer,
        "/coop/lots/ZY25-FJ-001/label-runs/new",
        {"count": "0", "gtin": GTIN, "template": "a4-rect"},
    )

    assert answer.status_code == 400
    assert f'value="{GTIN}"' in answer.text
    assert re.search(r'class="invalid">\s*<label for="f-count"', answer.text)


def test_label_runs_through_the_api(world: World) -> None:
    made = world.api(
        "p_packer",
        "POST",
        "/api/lots/ZY25-FJ-001/label-runs",
        json={"count": 4, "gtin": GTIN},
    )
    run = made.get_json()
    zpl = world.api(
        "p_packer", "GET", f"/api/label-runs/{run['id']}/labels?format=zpl&from=1&to=2"
    )
    voided = world.api(
        "p_packer",
        "POST",
        f"/api/label-runs/{run['id']}/void",
        json={"indexes": [0], "replace": True, "reason": "压坏"},
    )

    assert made.status_code == 201 and run["count"] == 4 and run["lot"] == "ZY25-FJ-001"
    assert zpl.status_code == 200 and zpl.data.count(b"^XA") == 2
    body = voided.get_json()
    assert body["issued"] == 5
    assert body["voided"] == [{"index": 0, "reason": "压坏", "replaced_by": 4}]


def test_a_recall_made_on_the_pages_shows_on_the_consumer_page_at_once(
    world: World,
) -> None:
    from appletrace.trace.label_runs import get_label_run, label_uris

    _packer, run_id = create_run(world, 2)
    with Session(engine_of(world.app)) as session:
        run = get_label_run(session, run_id)
        lot = session.get(Lot, run.lot_id)
        uri = next(
            label_uris(
                run,
                lot,
                "https://trace.example.cn",
                world.app.config["SECRET_KEY"],
                0,
                1,
            )
        )
    path = uri.removeprefix("https://trace.example.cn")
    consumer = world.app.test_client()
    assert "正品" in consumer.get(path).text

    post_form(
        world.client("a_farmer"),
        "/coop/recalls/new",
        {"lot": "ZY25-FJ-001", "label_run": "", "reason": "农残复检超标"},
    )
    page = consumer.get(path).text

    assert "此批次已召回" in page and "农残复检超标" in page
