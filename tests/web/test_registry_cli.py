"""The registry commands, end to end through the CLI, on SQLite and PostgreSQL."""

import json
import shlex

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from appletrace.trace.models import AuditEvent, Lot, Orchard

ORCHARD = [
    "orchards",
    "add",
    "zy-sayu-01",
    "--name",
    "洒渔示范果园",
    "--county",
    "530602",
    "--township",
    "洒渔镇",
    "--latitude",
    "27.387",
    "--longitude",
    "103.588",
    "--altitude",
    "1935",
    "--variety",
    "富士",
]


@pytest.fixture
def registry(cli):
    assert cli("db", "upgrade").code == 0
    assert cli("orgs", "add", "洒渔苹果合作社", "--kind", "coop").code == 0
    assert cli(*ORCHARD).code == 0
    return cli


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_orchard_lot_and_device_are_registered_and_listed(registry, engine) -> None:
    lot = registry(
        "lots",
        "add",
        "zy25-fj-001",
        "--orchard",
        "ZY-SAYU-01",
        "--variety",
        "富士",
        "--from",
        "2025-04-20",
        "--harvested",
        "2025-10-20",
        "--quantity",
        "12000",
    )
    device = registry("devices", "add", "zt-sayu-01", "--orchard", "zy-sayu-01")

    assert lot.code == 0, lot.err
    assert device.code == 0, device.err
    shown = json.loads(registry("lots", "show", "ZY25-FJ-001", "--json").out)
    assert shown["code"] == "ZY25-FJ-001"
    assert shown["orchard"]["altitude_m"] == 1935.0
    assert shown["orchard"]["county"] == "昭阳区"
    listed = json.loads(registry("orchards", "list", "--json").out)
    assert [o["code"] for o in listed] == ["ZY-SAYU-01"]
    devices = json.loads(registry("devices", "list", "--json").out)
    assert devices == [
        {"id": "zt-sayu-01", "orchard": "ZY-SAYU-01", "kind": "weather", "active": True}
    ]
    assert count(engine, AuditEvent) == 2


ORCHARD_X = "orchards add ZY-2 --name x --latitude 27 --longitude 103"
LOT_L1 = "lots add L1 --orchard ZY-SAYU-01 --variety 富士"
BAD = {
    "unknown county": (
        f"{ORCHARD_X} --county 530699 --altitude 1900",
        "county '530699' is not a Zhaotong",
    ),
    "altitude too high": (
        f"{ORCHARD_X} --county 530602 --altitude 9001",
        "outside -500 to 9000",
    ),
    "altitude too low": (
        f"{ORCHARD_X} --county 530602 --altitude -501",
        "outside -500 to 9000",
    ),
    "duplicate orchard": (shlex.join(ORCHARD), "orchard code 'ZY-SAYU-01' is taken"),
    "harvest before window": (
        f"{LOT_L1} --from 2025-05-01 --harvested 2025-04-30",
        "before the growing window starts",
    ),
    "harvest in the future": (
        f"{LOT_L1} --from 2999-05-01 --harvested 2999-09-01",
        "in the future",
    ),
    "not a date": (
        f"{LOT_L1} --from 'May 1' --harvested 2025-10-01",
        "--from 'May 1' is not a date",
    ),
    "unknown orchard": (
        "lots add L1 --orchard NOPE --variety 富士 --from 2025-05-01 "
        "--harvested 2025-10-01",
        "no orchard 'NOPE'",
    ),
    "lot code with a slash": (
        "lots add L/1 --orchard ZY-SAYU-01 --variety 富士 --from 2025-05-01 "
        "--harvested 2025-10-01",
        "lot code 'L/1' must be 1 to 20",
    ),
    "device id with a wildcard": (
        "devices add dev+1 --orchard ZY-SAYU-01",
        "device id 'dev+1'",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_exits_nonzero_with_one_line_and_changes_nothing(
    registry, engine, case: str
) -> None:
    command, message = BAD[case]
    before = (count(engine, Orchard), count(engine, Lot), count(engine, AuditEvent))

    result = registry(*shlex.split(command))

    assert result.code != 0
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.out == ""
    assert (
        count(engine, Orchard),
        count(engine, Lot),
        count(engine, AuditEvent),
    ) == before


def test_bad_setting_stops_the_command_naming_the_variable(cli, monkeypatch) -> None:
    monkeypatch.setenv("APPLETRACE_MQTT_URL", "http://nowhere")

    result = cli("orchards", "list")

    assert result.code == 1
    assert "APPLETRACE_MQTT_URL" in result.err
