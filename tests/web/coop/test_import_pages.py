"""Bulk import through the pages: a preview with per-row errors, then confirmation."""

import io

from coop_world import World, csrf_of, post_form
from sqlmodel import Session, select

from appletrace.trace.models import Lot, Orchard
from appletrace.web.app import engine_of

CSV = (
    "code,name,county_code,township,latitude,longitude,altitude_m,variety\n"
    "ZY-IMP-01,甲果园,530602,洒渔镇,27.38,103.58,1935,富士\n"
    "ZY-IMP-02,乙果园,530602,洒渔镇,27.39,103.59,19350,富士\n"
    "ZY-SAYU-01,重复果园,530602,洒渔镇,27.39,103.59,1950,富士\n"
    "ZY-IMP-04,丁果园,530699,洒渔镇,27.39,103.59,1950,富士\n"
    "ZY-IMP-05,戊果园,鲁甸县,龙树镇,27.07,103.41,2050,富士\n"
)


def codes(world: World) -> set[str]:
    with Session(engine_of(world.app)) as session:
        return set(session.exec(select(Orchard.code)))


def test_bad_rows_are_reported_and_good_ones_imported_only_after_confirming(
    world: World,
) -> None:
    client = world.client("a_farmer")
    before = codes(world)

    preview = post_form(
        client,
        "/coop/import",
        {"kind": "orchards", "file": (io.BytesIO(CSV.encode()), "orchards.csv")},
        content_type="multipart/form-data",
    )

    assert preview.status_code == 200
    html = preview.text
    assert 'id="good-count">2<' in html and 'id="bad-count">3<' in html
    errors = html.split('id="row-errors"')[1]
    assert "<td>3</td><td>ZY-IMP-02</td><td>altitude_m:" in errors
    assert "<td>4</td><td>ZY-SAYU-01</td><td>code:" in errors and "taken" in errors
    assert "<td>5</td><td>ZY-IMP-04</td><td>county_code:" in errors
    assert codes(world) == before  # nothing imported by the preview

    payload = html.split('name="rows" value="')[1].split('"')[0]
    confirmed = client.post(
        "/coop/import/confirm",
        data={
            "kind": "orchards",
            "rows": payload.replace("&#34;", '"').replace("&quot;", '"'),
            "csrf_token": csrf_of(html),
        },
    )

    assert confirmed.status_code == 200 and 'id="imported">2<' in confirmed.text
    assert codes(world) - before == {"ZY-IMP-01", "ZY-IMP-05"}


def test_lots_import_only_for_the_coops_own_orchards(world: World) -> None:
    client = world.client("a_farmer")
    sheet = (
        "code,orchard,variety,window_start,harvested_on,quantity_kg\n"
        "ZY25-IMP-01,ZY-SAYU-01,富士,2025-04-20,2025-10-20,900\n"
        "ZY25-IMP-02,LD-LONGS-01,富士,2025-04-20,2025-10-20,900\n"
    )
    preview = post_form(
        client,
        "/coop/import",
        {"kind": "lots", "file": (io.BytesIO(sheet.encode()), "lots.csv")},
        content_type="multipart/form-data",
    )
    html = preview.text
    payload = html.split('name="rows" value="')[1].split('"')[0]
    client.post(
        "/coop/import/confirm",
        data={
            "kind": "lots",
            "rows": payload.replace("&#34;", '"'),
            "csrf_token": csrf_of(html),
        },
    )

    assert "<td>3</td><td>ZY25-IMP-02</td><td>orchard:" in html
    with Session(engine_of(world.app)) as session:
        imported = set(session.exec(select(Lot.code).where(Lot.code.like("ZY25-IMP%"))))
    assert imported == {"ZY25-IMP-01"}


def test_an_unreadable_file_keeps_the_form(world: World) -> None:
    client = world.client("a_farmer")

    answer = post_form(
        client,
        "/coop/import",
        {"kind": "lots", "file": (io.BytesIO(b"just,words\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )

    assert answer.status_code == 400
    assert "lacks the column" in answer.text
    assert '<option value="lots" selected>' in answer.text
