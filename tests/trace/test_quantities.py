import re
from pathlib import Path

import pytest

from appletrace.trace.quantities import (
    QUANTITIES,
    SENML_UNITS,
    accepted_units,
    check_value,
)

ROOT = Path(__file__).resolve().parents[2]


def test_each_quantity_stores_a_senml_unit_it_accepts() -> None:
    for name, quantity in QUANTITIES.items():
        assert quantity.unit in accepted_units(name)
        assert SENML_UNITS[(name, quantity.unit)].scale == 1.0
        assert quantity.minimum < quantity.maximum
        assert quantity.meaning and quantity.meaning_zh


def test_the_issue_units_are_accepted() -> None:
    units = {unit for _, unit in SENML_UNITS}

    assert {"Cel", "%RH", "W/m2", "lx", "m", "ug/m3"} <= units


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("temperature", 12.4, None),
        ("temperature", -60, None),
        ("temperature", 60.01, "outside -60 to 60"),
        ("humidity", 100, None),
        ("humidity", 100.5, "outside 0 to 100"),
        ("pm25", -0.1, "outside 0 to 1000"),
        ("irradiance", -3, None),
        ("altitude", 1932, None),
        ("altitude", 9001, "outside -500 to 9000"),
        ("humidity", float("nan"), "not a finite number"),
        ("humidity", True, "not a number"),
        ("humidity", "81", "not a number"),
    ],
)
def test_values_are_checked_against_the_physical_range(
    name: str, value: object, problem: str | None
) -> None:
    found = check_value(QUANTITIES[name], value)

    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_docs_list_every_quantity_with_its_unit_and_range() -> None:
    text = (ROOT / "docs" / "mqtt.md").read_text()

    for name, quantity in QUANTITIES.items():
        row = re.search(rf"^\| `{name}` \|.*$", text, re.MULTILINE)
        assert row, f"docs/mqtt.md has no row for {name}"
        assert f"`{quantity.unit}`" in row.group(0)
        assert f"{quantity.minimum:g} to {quantity.maximum:g}" in row.group(0)
