"""The resolver's in-memory serial check agrees with label_runs.verify_serial."""

from __future__ import annotations

import random

from flask.testing import FlaskClient
from scan_scene import BASE, GTIN, SECRET, Scene, build_scene
from sqlalchemy.engine import Engine
from sqlmodel import Session

from appletrace.trace import label_runs
from appletrace.trace.db import session_scope
from appletrace.trace.digital_link import DigitalLink, parse_path
from appletrace.trace.models import LabelRun, Lot
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app
from appletrace.web.consumer import label_state
from appletrace.web.resolver import close_resolver
from appletrace.web.serial_check import RunCache, check_serial


def both(engine: Engine, runs: RunCache, link: DigitalLink) -> tuple[object, object]:
    """(verify_serial's answer, ours) as comparable tuples."""
    with Session(engine) as session:
        theirs = label_runs.verify_serial(session, link, SECRET)
        ours = check_serial(session, runs, link)
        voided = False
        if ours is not None:
            _, state = label_state(
                session.connection(), ours.lot.id, ours.run.id, ours.index, link.serial
            )
            voided = state.voided

    if theirs is None:
        return None, None if ours is None else (ours.run.id, ours.index)

    return (theirs.run.id, theirs.index, theirs.voided), (
        None if ours is None else (ours.run.id, ours.index, voided)
    )


def altered(serial: str, rng: random.Random) -> str:
    at = rng.randrange(len(serial))
    other = rng.choice(
        [c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != serial[at]]
    )
    return serial[:at] + other + serial[at + 1 :]


def test_every_kind_of_address_gets_the_same_answer(engine: Engine) -> None:
    scene: Scene = build_scene(engine, labels=12, provenance=False)
    runs = RunCache(SECRET)
    rng = random.Random(7)
    links = [parse_path(p) for p in scene.paths]
    serials = [link.serial or "" for link in links]
    with session_scope(engine) as session:
        run = session.get(LabelRun, scene.run_id)
        assert run is not None
        label_runs.void_label(session, run, 3, "test", "torn")

    cases = list(links)
    cases += [DigitalLink(GTIN, None, s) for s in serials]  # short form
    cases += [DigitalLink(GTIN, scene.lot_code, altered(s, rng)) for s in serials]
    cases += [DigitalLink("09506000134352", scene.lot_code, s) for s in serials[:3]]
    cases += [DigitalLink(GTIN, "ZY25-FJ-999", s) for s in serials[:3]]
    cases += [DigitalLink(GTIN, scene.lot_code, "Z" + s[1:]) for s in serials[:3]]

    answers = [both(engine, runs, link) for link in cases]

    assert all(theirs == ours for theirs, ours in answers), answers
    assert sum(1 for theirs, _ in answers if theirs is not None) == 24
    assert ((scene.run_id, 3, True), (scene.run_id, 3, True)) in answers


def test_replacements_issued_after_caching_verify(engine: Engine) -> None:
    scene = build_scene(engine, labels=4, provenance=False)
    runs = RunCache(SECRET)
    link = parse_path(scene.paths[0])
    assert both(engine, runs, link)[1] is not None  # the run is now cached

    with session_scope(engine) as session:
        run = session.get(LabelRun, scene.run_id)
        lot = session.get(Lot, scene.lot_id)
        assert run is not None and lot is not None
        (new,) = label_runs.issue_replacements(session, run, [1], "test", "jammed")
        uri = next(label_runs.label_uris(run, lot, BASE, SECRET, new, new + 1))

    theirs, ours = both(engine, runs, parse_path(uri.removeprefix(BASE)))

    assert theirs == ours == (scene.run_id, new, False)


def test_voided_label_gets_the_unknown_page_and_no_scan(
    app_env: dict[str, str], engine: Engine
) -> None:
    scene = build_scene(engine, labels=3)  # renders pages: needs provenance
    with session_scope(engine) as session:
        run = session.get(LabelRun, scene.run_id)
        assert run is not None
        label_runs.void_label(session, run, 2, "test", "torn")

    app = create_app(Settings.from_env())
    client: FlaskClient = app.test_client()
    page = client.get(scene.paths[2])
    linkset = client.get(scene.paths[2] + "?linkType=all")
    close_resolver(app)

    assert page.status_code == linkset.status_code == 404
    assert "无法识别的码" in page.text
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM scan").scalar() == 0
