"""The payload parser: JSON objects and SenML packs in, readings or reasons out."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appletrace.sensors.batch import device_of, prepare
from appletrace.sensors.payload import MAX_PAYLOAD_BYTES, parse
from appletrace.sensors.store import Device
from appletrace.trace.quantities import QUANTITIES

NOW = datetime(2026, 9, 2, tzinfo=UTC).timestamp()
T0 = int(datetime(2026, 9, 1, 6, tzinfo=UTC).timestamp()) - 8 * 3600
US = 1_000_000


def test_the_documented_json_example() -> None:
    payload = (
        b'{"time": "2026-09-01T06:00:00+08:00", "temperature": 12.4, '
        b'"humidity": 81, "pm25": 9, "irradiance": 0, "altitude": 1932}'
    )

    parsed = parse(payload, NOW)

    assert parsed.problems == []
    assert parsed.readings == [
        ("temperature", T0 * US, 12.4),
        ("humidity", T0 * US, 81.0),
        ("pm25", T0 * US, 9.0),
        ("irradiance", T0 * US, 0.0),
        ("altitude", T0 * US, 1932.0),
    ]


def test_epoch_seconds_and_iso_text_give_the_same_instant() -> None:
    by_text = parse(b'{"time": "2026-08-31T22:00:00.25Z", "humidity": 50}', NOW)
    by_epoch = parse(f'{{"time": {T0}.25, "humidity": 50}}'.encode(), NOW)

    assert (
        by_text.readings == by_epoch.readings == [("humidity", T0 * US + 250_000, 50)]
    )


def test_the_documented_senml_example_converts_units() -> None:
    pack = [
        {"bn": "urn:dev:mac:0024befffe804ff1:", "bt": T0, "n": "temperature",
         "u": "Cel", "v": 12.4},
        {"n": "temperature", "u": "K", "v": 285.65, "t": 600},
        {"n": "humidity", "u": "%RH", "v": 81},
        {"n": "pm25", "u": "ug/m3", "v": 9},
        {"n": "pm25", "u": "kg/m3", "v": 1.2e-8, "t": 600},
        {"n": "irradiance", "u": "W/m2", "v": 0},
        {"n": "illuminance", "u": "lx", "v": 3},
        {"n": "altitude", "u": "m", "v": 1932},
    ]  # fmt: skip

    parsed = parse(orjson.dumps(pack), NOW)

    assert parsed.problems == []
    assert parsed.readings == [
        ("temperature", T0 * US, 12.4),
        ("temperature", (T0 + 600) * US, 12.5),
        ("humidity", T0 * US, 81.0),
        ("pm25", T0 * US, 9.0),
        ("pm25", (T0 + 600) * US, 12.0),
        ("irradiance", T0 * US, 0.0),
        ("illuminance", T0 * US, 3.0),
        ("altitude", T0 * US, 1932.0),
    ]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"temperature=12", "not JSON"),
        (b'{"time": 1788213600, "temperature": NaN}', "NaN is not a reading"),
        (b'{"time": 1788213600, "temperature": Infinity}', "Infinity is not a"),
        (b'{"time": 1788213600, "temperature": 61}', "outside -60 to 60"),
        (b'{"time": 1788213600, "humidity": "81"}', "is not a number"),
        (b'{"time": 1788213600, "humidity": true}', "is not a number"),
        (b'{"time": 1788213600, "wind": 3}', "unknown quantity 'wind'"),
        (b'{"time": "2099-01-01T00:00:00Z", "pm25": 3}', "ahead of the ingester"),
        (b'{"time": 1788213600000, "pm25": 3}', "milliseconds?"),
        (b'{"time": "2019-12-31T23:00:00Z", "pm25": 3}', "clock set"),
        (b'{"time": "2026-09-01T06:00:00", "pm25": 3}', "no UTC offset"),
        (b'{"time": "yesterday", "pm25": 3}', "not ISO 8601"),
        (b'{"time": [1], "pm25": 3}', "neither ISO 8601"),
        (b'{"pm25": 3}', "no 'time'"),
        (b'{"time": 1788213600}', "holds no reading"),
        (b'{"time": 1788213600, "pm25": null}', "holds no reading"),
        (b"42", "JSON int"),
        (b"[7]", "SenML record 0 is not an object"),
        (b'[{"n": "pm25", "v": 3}]', "relative"),
        (b'[{"bt": 1788213600, "n": "pm25", "u": "ppm", "v": 3}]', "unit 'ppm'"),
        (b'[{"bt": 1788213600, "n": "pm25", "vs": "3"}]', "no numeric value"),
        (b'[{"bt": 1788213600, "n": "rain", "v": 3}]', "unknown quantity 'rain'"),
        (b'[{"bt": 1788213600, "n": "pm25", "v": 3, "x_": 1}]', "must be understood"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "the limit is"),
    ],
)
def test_every_refusal_says_why(payload: bytes, reason: str) -> None:
    parsed = parse(payload, NOW)

    assert parsed.readings == []
    assert any(reason in problem for problem in parsed.problems), parsed.problems


def test_valid_readings_survive_beside_a_bad_one() -> None:
    parsed = parse(b'{"time": 1788213600, "temperature": 12, "pm25": -1}', NOW)

    assert parsed.readings == [("temperature", 1788213600 * US, 12.0)]
    assert parsed.problems == ["pm25 value -1 µg/m³ is outside 0 to 1000"]


def test_topics_name_the_device() -> None:
    assert device_of("orchard/dev-01/readings", "orchard") == "dev-01"
    assert device_of("orchard/dev-01/status", "orchard") is None
    assert device_of("farm/dev-01/readings", "orchard") is None
    assert device_of("orchard//readings", "orchard") is None
    assert device_of("orchard/a/b/readings", "orchard") is None


def test_prepare_turns_messages_into_rows_and_refusals() -> None:
    devices = {"dev-01": Device(7, True), "dev-02": Device(7, False)}
    good = b'{"time": 1788213600, "temperature": 12.5}'
    messages = [
        ("orchard/dev-01/readings", good, NOW),
        ("orchard/dev-02/readings", good, NOW),
        ("orchard/dev-09/readings", good, NOW),
        ("orchard/dev-01/readings", b"{", NOW),
    ]

    prepared = prepare(messages, devices, "orchard")

    assert prepared.rows == [
        ("dev-01", "temperature", 1788213600 * US, 12.5, "Cel", int(NOW * US), 7)
    ]
    assert [r[2].split(" ")[0] for r in prepared.refusals] == [
        "device",
        "unknown",
        "not",
    ]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=8,
)
field_names = st.sampled_from([*QUANTITIES, "time", "bn", "bt", "n", "u", "v", "t"])
near_objects = st.dictionaries(
    field_names | st.text(max_size=5),
    json_values | st.floats() | st.integers(1_500_000_000, 1_900_000_000),
    max_size=8,
)


def _check_invariants(payload: bytes) -> None:
    parsed = parse(payload, NOW)

    assert parsed.readings or parsed.problems
    assert all(isinstance(p, str) and p for p in parsed.problems)
    for quantity, taken_us, value in parsed.readings:
        spec = QUANTITIES[quantity]
        assert isinstance(taken_us, int)
        assert math.isfinite(value)
        assert spec.minimum <= value <= spec.maximum
        assert taken_us <= (NOW + 600) * US


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_readings_or_reasons_never_an_exception(payload: bytes) -> None:
    _check_invariants(payload)


@settings(max_examples=200, deadline=None)
@given(st.one_of(near_objects, st.lists(near_objects, max_size=4), json_values))
def test_any_json_document_gives_readings_or_reasons(document: object) -> None:
    payload = json.dumps(document, allow_nan=True).encode()

    _check_invariants(payload)
