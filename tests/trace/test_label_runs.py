from collections.abc import Iterator

import pytest
from factories import make_coop, make_lot, make_orchard, make_packing_house
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.trace import audit, label_runs
from appletrace.trace.digital_link import DigitalLink, parse_path
from appletrace.trace.errors import Conflict, InvalidInput, NotFound
from appletrace.trace.label_runs import (
    create_label_run,
    issue_replacements,
    label_uris,
    verify_serial,
    void_label,
)
from appletrace.trace.models import LabelRun, Lot

KEY = "test-secret-key"
BASE = "https://trace.example.cn"
GTIN = "06901234567892"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def lot(session: Session) -> Lot:
    coop = make_coop(session, gtin="6901234567892")
    lot = make_lot(session, coop, make_orchard(session, coop))
    make_packing_house(session)
    session.commit()

    return lot


def new_run(session: Session, lot: Lot, count: int = 100, **kw: object) -> LabelRun:
    house = make_packing_house(session, f"包装厂{count}{kw.get('template', '')}")
    run = create_label_run(session, lot, house, GTIN, count, "test", KEY, **kw)  # type: ignore[arg-type]
    session.commit()

    return run


def link(uri: str) -> DigitalLink:
    return parse_path(uri.removeprefix(BASE))


def test_a_run_is_one_row_and_its_uris_verify(session: Session, lot: Lot) -> None:
    run = new_run(session, lot, count=1000)
    uris = list(label_uris(run, lot, BASE, KEY, 0, 1000))

    assert len(set(uris)) == 1000
    assert uris[5].startswith(f"{BASE}/01/{GTIN}/10/ZY25-FJ-001/21/")
    assert len(session.exec(select(LabelRun)).all()) == 1
    for index in (0, 5, 999):
        match = verify_serial(session, link(uris[index]), KEY)
        assert match is not None
        assert (match.run.id, match.lot.code, match.index) == (run.id, lot.code, index)
        assert not match.voided


def test_a_reprint_gives_the_same_uris(session: Session, lot: Lot) -> None:
    run = new_run(session, lot, count=50)
    first = list(label_uris(run, lot, BASE, KEY, 0, 50))

    assert list(label_uris(run, lot, BASE, KEY, 10, 20)) == first[10:20]
    assert list(label_uris(run, lot, BASE, KEY, 10, 11, short=True)) == [
        first[10].replace("/10/ZY25-FJ-001", "")
    ]


def test_the_short_form_and_lower_case_paths_verify(session: Session, lot: Lot) -> None:
    run = new_run(session, lot, short=True)
    uri = next(label_uris(run, lot, BASE, KEY, 7, 8))
    path = uri.removeprefix(BASE)

    assert "/10/" not in uri
    for variant in (path, path.lower()):
        match = verify_serial(session, parse_path(variant), KEY)
        assert match is not None and match.index == 7


def test_verifying_costs_two_queries_whatever_the_run_size(
    session: Session, lot: Lot, engine: Engine
) -> None:
    small = new_run(session, lot, count=10)
    large = new_run(session, lot, count=label_runs.MAX_COUNT)
    targets = [
        link(next(label_uris(small, lot, BASE, KEY, 9, 10))),
        link(next(label_uris(large, lot, BASE, KEY, 999_999, 1_000_000))),
    ]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    for target in targets:
        session.expunge_all()
        statements.clear()
        assert verify_serial(session, target, KEY) is not None
        assert len(statements) == 2


def test_altered_forged_or_misplaced_serials_do_not_verify(
    session: Session, lot: Lot
) -> None:
    run = new_run(session, lot)
    good = link(next(label_uris(run, lot, BASE, KEY, 3, 4)))
    assert good.serial is not None
    last = "0" if good.serial[-1] != "0" else "1"
    cases = [
        DigitalLink(good.gtin, good.lot, good.serial[:-1] + last),
        DigitalLink("00000000000000", good.lot, good.serial),
        DigitalLink(good.gtin, "ZY25-FJ-002", good.serial),
        DigitalLink(good.gtin, good.lot, "9" + good.serial[1:]),
        DigitalLink(good.gtin, good.lot, None),
    ]

    assert verify_serial(session, good, "another-key") is None
    assert [verify_serial(session, c, KEY) for c in cases] == [None] * len(cases)


def test_void_and_replace(session: Session, lot: Lot) -> None:
    run = new_run(session, lot, count=10)
    uris = list(label_uris(run, lot, BASE, KEY, 0, 10))
    void_label(session, run, 2, "test", "jammed")
    new = issue_replacements(session, run, [2, 5], "test")
    session.commit()

    assert new == [10, 11]
    assert label_runs.issued(run) == 12
    voided = verify_serial(session, link(uris[2]), KEY)
    assert voided is not None and voided.voided and voided.replaced_by == 10
    replacement = next(label_uris(run, lot, BASE, KEY, 11, 12))
    match = verify_serial(session, link(replacement), KEY)
    assert match is not None and match.index == 11 and not match.voided
    with pytest.raises(Conflict, match="voided already"):
        void_label(session, run, 2, "test")
    with pytest.raises(Conflict, match="replaced already by label 11"):
        issue_replacements(session, run, [5], "test")
    session.rollback()
    assert audit.verify(session) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"count": 0}, "count 0 is outside 1 to 1,000,000"),
        ({"count": 1_000_001}, "count 1000001 is outside"),
        ({"gtin": "06901234567891"}, "check digit 1, but its digits give 2"),
        ({"template": "A4/../x"}, "template name"),
        ({"secret_key": ""}, "APPLETRACE_SECRET_KEY is empty"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(
    session: Session, lot: Lot, changes: dict[str, object], message: str
) -> None:
    house = make_packing_house(session, "另一包装厂")
    values: dict[str, object] = dict(gtin=GTIN, count=10, secret_key=KEY)
    values.update(changes)

    with pytest.raises(InvalidInput, match=message):
        create_label_run(session, lot, house, actor="test", **values)  # type: ignore[arg-type]

    assert len(session.exec(select(LabelRun)).all()) == 0


def test_a_lot_code_ai_10_forbids_is_refused(session: Session, lot: Lot) -> None:
    lot.code = "ZY25<01"

    with pytest.raises(InvalidInput, match="characters GS1 does not allow"):
        new_run(session, lot)


def test_ranges_outside_the_run_and_unknown_runs(session: Session, lot: Lot) -> None:
    run = new_run(session, lot, count=10)

    with pytest.raises(InvalidInput, match="labels 5 to 10 are not within run"):
        list(label_uris(run, lot, BASE, KEY, 5, 11))
    with pytest.raises(NotFound, match="labels runs LOT"):
        label_runs.get_label_run(session, 999)
    assert label_runs.list_label_runs(session, lot) == [run]


def test_default_gtin_comes_from_the_lot_then_the_coop(
    session: Session, lot: Lot
) -> None:
    assert label_runs.default_gtin(session, lot) == GTIN
    lot.gtin = "06901234567809"
    assert label_runs.default_gtin(session, lot) == "06901234567809"

    coop = make_coop(session, "无码合作社")
    bare = make_lot(session, coop, make_orchard(session, coop, "LD-01"), "LD25-01")
    with pytest.raises(InvalidInput, match="pass --gtin"):
        label_runs.default_gtin(session, bare)
