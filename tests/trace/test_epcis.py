"""EPCIS 2.0 documents: valid against GS1's schema, events as CBV says (pure)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_lot
from jsonschema import Draft7Validator
from records_factories import (
    GTIN,
    LOT,
    add_inspection,
    add_recall,
    history,
    make_season,
    season_readings,
)
from sqlmodel import Session

from appletrace.sensors.store import Store
from appletrace.trace import epcis, lots
from appletrace.trace.db import session_scope
from appletrace.trace.devices import add_device
from appletrace.trace.lot_history import InspectionRecord, LotHistory, RecallRecord
from appletrace.trace.provenance import lot_provenance

DATA = Path(__file__).parent.parent / "data" / "epcis"
SHARED = Path(__file__).parents[3] / "shared" / "epcis" / "EPCIS-JSON-Schema.json"
ZONE = ZoneInfo("Asia/Shanghai")
BASE = "https://trace.example.cn"


def validator() -> Draft7Validator:
    """GS1's schema with format checks on (uri, date-time), as a receiver would."""
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(document: dict) -> list[str]:
    """Every schema violation, as 'path: message' lines."""
    errors = validator().iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def document(*histories: LotHistory, **kwargs) -> dict:
    created = datetime(2025, 11, 1, 8, tzinfo=UTC)
    return epcis.build_document(histories, created, ZONE, BASE, **kwargs)


def test_the_shipped_schema_is_gs1s_file() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside the repository")

    assert (DATA / "EPCIS-JSON-Schema.json").read_bytes() == SHARED.read_bytes()


def test_the_validator_checks_uris_and_times() -> None:
    bad = document(history())
    bad["creationDate"] = "1 November 2025"
    bad["epcisBody"]["eventList"][0]["readPoint"]["id"] = "not a uri"

    problems = schema_errors(bad)

    assert any("creationDate" in p for p in problems)
    assert any("readPoint" in p for p in problems)


def test_a_season_validates_against_gs1s_schema() -> None:
    recalled = history(
        recalls=(
            RecallRecord(
                1, None, "农残复检超标", datetime(2025, 10, 28, 1, tzinfo=UTC)
            ),
        )
    )

    assert schema_errors(document(recalled)) == []


def test_events_follow_the_cbv_in_time_order() -> None:
    events = document(history())["epcisBody"]["eventList"]

    steps = [(e["bizStep"], e.get("disposition")) for e in events]
    assert steps == [
        ("commissioning", "active"),
        ("inspecting", "conformant"),
        ("packing", "sellable_not_accessible"),
        ("packing", "sellable_not_accessible"),
        ("shipping", "in_transit"),
    ]
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)
    assert {e["eventTimeZoneOffset"] for e in events} == {"+08:00"}


def test_the_harvest_is_a_commissioned_lot_class_with_its_ilmd() -> None:
    harvest = document(history())["epcisBody"]["eventList"][0]

    lot_class = f"https://id.gs1.org/01/{GTIN}/10/ZY25-FJ-001"
    assert harvest["action"] == "ADD"
    assert harvest["quantityList"] == [
        {"epcClass": lot_class, "quantity": 12000.0, "uom": "KGM"}
    ]
    assert harvest["eventTime"] == "2025-10-20T12:00:00+08:00"
    assert harvest["bizLocation"] == {"id": "geo:27.387,103.588,1935"}
    ilmd = harvest["ilmd"]
    assert ilmd["cbvmda:lotNumber"] == "ZY25-FJ-001"
    assert ilmd["cbvmda:harvestStartDate"] == "2025-10-20"
    assert ilmd["appletrace:variety"] == "富士"
    assert ilmd["appletrace:orchardCode"] == "ZY-SAYU-01"
    assert ilmd["appletrace:orchardAddress"] == "云南省昭通市昭阳区洒渔镇乐居村"
    assert ilmd["appletrace:diurnalRangeMeanCelsius"] == 13.5


def test_sensor_summaries_equal_the_provenance_numbers() -> None:
    lot = history()
    season = lot.season
    elements = document(lot)["epcisBody"]["eventList"][0]["sensorElementList"]

    whole = {r["type"]: r for r in elements[0]["sensorReport"]}
    assert elements[0]["sensorMetadata"] == {
        "startTime": "2025-10-01T00:00:00+08:00",
        "endTime": "2025-10-21T00:00:00+08:00",
    }
    assert whole["Altitude"] == {"type": "Altitude", "value": 1932.0, "uom": "MTR"}
    assert whole["MassConcentration"]["meanValue"] == season["pm25_mean_ugm3"]
    assert whole["MassConcentration"]["uom"] == "GQ"
    assert whole["Temperature"]["minValue"] == min(
        d["temperature_min_c"] for d in season["days"]
    )
    assert whole["Temperature"]["meanValue"] == season["temperature_mean_c"]
    assert whole["Irradiance"]["uom"] == "D54"
    days = elements[1:]
    assert len(days) == len(season["days"])
    for element, day in zip(days, season["days"], strict=True):
        reports = {r["type"]: r for r in element["sensorReport"]}
        assert element["sensorMetadata"]["startTime"] == f"{day['day']}T00:00:00+08:00"
        assert reports["Temperature"] == {
            "type": "Temperature",
            "minValue": day["temperature_min_c"],
            "maxValue": day["temperature_max_c"],
            "meanValue": day["temperature_mean_c"],
            "uom": "CEL",
        }
        if day["irradiance_mean_wm2"] is None:
            assert "Irradiance" not in reports
        else:
            assert reports["Irradiance"]["meanValue"] == day["irradiance_mean_wm2"]

        assert reports["MassConcentration"]["meanValue"] == day["pm25_mean_ugm3"]


def test_a_recalled_lot_carries_disposition_recalled() -> None:
    recall = RecallRecord(
        7,
        None,
        "农残复检超标",
        datetime(2025, 10, 28, 1, tzinfo=UTC),
        lifted_at=datetime(2025, 10, 30, 1, tzinfo=UTC),
    )
    events = document(history(recalls=(recall,)))["epcisBody"]["eventList"]

    recalled, lifted = events[-2:]
    assert recalled["disposition"] == "recalled"
    assert recalled["persistentDisposition"] == {"set": ["recalled"]}
    assert recalled["appletrace:reason"] == "农残复检超标"
    assert lifted["persistentDisposition"] == {"unset": ["recalled"]}


def test_a_label_run_recall_names_the_run_and_its_count() -> None:
    recall = RecallRecord(2, 2, "标签印错", datetime(2025, 10, 26, tzinfo=UTC))
    events = document(history(recalls=(recall,)))["epcisBody"]["eventList"]

    recalled = [e for e in events if e.get("disposition") == "recalled"]
    assert recalled[0]["quantityList"][0]["quantity"] == 3000


def test_a_failed_inspection_is_non_conformant() -> None:
    failed = InspectionRecord(2, "某检测所", date(2025, 10, 21), False)
    events = document(history(inspections=(failed,)))["epcisBody"]["eventList"]

    assert events[1]["disposition"] == "non_conformant"


def test_dates_limit_the_events_and_ids_are_stable() -> None:
    first = document(history(), start=date(2025, 10, 23), end=date(2025, 10, 24))
    again = document(history())

    kept = first["epcisBody"]["eventList"]
    assert [e["bizStep"] for e in kept] == ["packing", "packing"]
    ids = {e["eventID"] for e in again["epcisBody"]["eventList"]}
    assert {e["eventID"] for e in kept} <= ids
    assert len(ids) == 5


def test_an_altitude_from_the_orchard_record_is_no_sensor_report() -> None:
    season = {**history().season, "altitude_source": "orchard"}
    harvest = document(history(season=season))["epcisBody"]["eventList"][0]

    kinds = [r["type"] for r in harvest["sensorElementList"][0]["sensorReport"]]
    assert "Altitude" not in kinds
    assert harvest["ilmd"]["appletrace:altitudeMetres"] == 1935.0


def test_a_lot_without_sensor_data_still_validates() -> None:
    bare = document(history(season=None, quantity_kg=None, grade=""))

    assert schema_errors(bare) == []
    harvest = bare["epcisBody"]["eventList"][0]
    assert "sensorElementList" not in harvest
    assert harvest["quantityList"][0] == {
        "epcClass": f"https://id.gs1.org/01/{GTIN}/10/ZY25-FJ-001"
    }


def test_the_export_of_a_recorded_season_validates(engine, cli, tmp_path) -> None:
    with session_scope(engine) as session:
        season = make_season(session)
        add_recall(session, season["lot"], datetime(2025, 10, 28, 3, tzinfo=UTC))

    out = tmp_path / "lot.jsonld"
    result = cli("export", "epcis", "zy25-fj-001", "--out", str(out))

    assert result.code == 0, result.err
    exported = json.loads(out.read_text())
    assert schema_errors(exported) == []
    events = exported["epcisBody"]["eventList"]
    assert [e.get("disposition") for e in events] == [
        "active",
        "conformant",
        "sellable_not_accessible",
        "sellable_not_accessible",
        "in_transit",
        "recalled",
    ]
    assert events[0]["quantityList"][0]["epcClass"] == epcis.class_uri(GTIN, LOT)
    assert events[0]["ilmd"]["appletrace:variety"] == "富士"
    assert events[-2]["appletrace:consignee"] == "昆明金马正昌水果批发市场"


def test_a_date_range_exports_the_events_of_every_lot_in_it(
    engine, cli, tmp_path
) -> None:
    with session_scope(engine) as session:
        season = make_season(session)
        other = make_lot(
            session,
            season["coop"],
            season["orchard"],
            code="ZY25-FJ-002",
            harvested_on=date(2025, 10, 24),
        )
        add_inspection(session, other, date(2025, 11, 2))

    out = tmp_path / "range.jsonld"
    result = cli(
        "export",
        "epcis",
        "--from",
        "2025-10-24",
        "--to",
        "2025-10-24",
        "--out",
        str(out),
    )

    assert result.code == 0, result.err
    events = json.loads(out.read_text())["epcisBody"]["eventList"]
    assert schema_errors(json.loads(out.read_text())) == []
    kept = [(e["bizStep"], e["quantityList"][0]["epcClass"][-11:]) for e in events]
    assert kept == [("packing", "ZY25-FJ-001"), ("commissioning", "ZY25-FJ-002")]


def test_bad_selections_are_refused_with_a_reason(engine, cli, tmp_path) -> None:
    out = str(tmp_path / "x.jsonld")

    nothing = cli("export", "epcis", "--out", out)
    half = cli("export", "epcis", "--from", "2025-10-01", "--out", out)
    backwards = cli(
        "export", "epcis", "--from", "2025-10-02", "--to", "2025-10-01", "--out", out
    )
    unknown = cli("export", "epcis", "NO-SUCH-LOT", "--out", out)

    assert nothing.code == half.code == backwards.code == unknown.code == 1
    assert "name a lot, or give --from" in nothing.err
    assert "give both --from" in half.err
    assert "before --from" in backwards.err
    assert "NO-SUCH-LOT" in unknown.err
    assert not (tmp_path / "x.jsonld").exists()


def test_sensor_summaries_of_stored_readings_equal_the_lots_provenance(
    engine, db_url, cli, tmp_path
) -> None:
    with session_scope(engine) as session:
        orchard = make_season(session)["orchard"]
        add_device(session, "dev-01", orchard)
        orchard_id = orchard.id

    store = Store(db_url, "Asia/Shanghai")
    readings = season_readings(orchard_id, date(2025, 10, 11), 10)
    assert store.write(readings, []).stored == len(readings)
    store.close()
    out = tmp_path / "lot.jsonld"

    assert cli("export", "epcis", LOT, "--out", str(out)).code == 0

    exported = json.loads(out.read_text())
    assert schema_errors(exported) == []
    with Session(engine) as session:
        found = lot_provenance(session, lots.get_lot(session, LOT)).as_dict()

    elements = exported["epcisBody"]["eventList"][0]["sensorElementList"]
    whole = {r["type"]: r for r in elements[0]["sensorReport"]}
    assert whole["Altitude"]["value"] == found["altitude_m"] == 1939.0
    assert whole["MassConcentration"]["meanValue"] == found["pm25_mean_ugm3"]
    assert whole["RelativeHumidity"]["meanValue"] == found["humidity_mean_pct"]
    assert whole["Temperature"]["meanValue"] == found["temperature_mean_c"]
    ilmd = exported["epcisBody"]["eventList"][0]["ilmd"]
    assert ilmd["appletrace:diurnalRangeMeanCelsius"] == found["diurnal_range_mean_c"]
    assert ilmd["appletrace:sunshineHours"] == found["sunshine_hours"]
    assert len(elements) == 1 + len(found["days"]) == 11
    for element, day in zip(elements[1:], found["days"], strict=True):
        reports = {r["type"]: r for r in element["sensorReport"]}
        assert element["sensorMetadata"]["startTime"] == f"{day['day']}T00:00:00+08:00"
        expected = {
            "minValue": day["temperature_min_c"],
            "maxValue": day["temperature_max_c"],
            "meanValue": day["temperature_mean_c"],
        }
        shown = {k: reports["Temperature"].get(k) for k in expected}
        assert shown == expected
        assert reports["Irradiance"]["meanValue"] == day["irradiance_mean_wm2"]
        assert reports["MassConcentration"]["meanValue"] == day["pm25_mean_ugm3"]

    assert found["days"][2]["temperature_min_c"] is None
    assert "minValue" not in {
        k for r in elements[3]["sensorReport"] if r["type"] == "Temperature" for k in r
    }
