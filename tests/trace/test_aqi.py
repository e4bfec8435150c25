import pytest

from appletrace.trace import aqi
from appletrace.trace.errors import InvalidInput


@pytest.mark.parametrize(
    ("pm25", "iaqi", "zh", "en"),
    [
        (0, 0, "优", "Excellent"),
        (17.5, 25, "优", "Excellent"),
        (35, 50, "优", "Excellent"),
        (35.1, 51, "良", "Good"),
        (55, 75, "良", "Good"),
        (75, 100, "良", "Good"),
        (75.4, 101, "轻度污染", "Lightly polluted"),
        (115, 150, "轻度污染", "Lightly polluted"),
        (132.5, 175, "中度污染", "Moderately polluted"),
        (150, 200, "中度污染", "Moderately polluted"),
        (200, 250, "重度污染", "Heavily polluted"),
        (250, 300, "重度污染", "Heavily polluted"),
        (300, 350, "严重污染", "Severely polluted"),
        (350, 400, "严重污染", "Severely polluted"),
        (425, 450, "严重污染", "Severely polluted"),
        (500, 500, "严重污染", "Severely polluted"),
        (800, 500, "严重污染", "Severely polluted"),
    ],
)
def test_hj_633_2012_pm25_breakpoints(pm25: float, iaqi: int, zh: str, en: str):
    index = aqi.pm25_iaqi(pm25)
    found = aqi.category(index)

    assert index == iaqi
    assert (found.zh, found.en) == (zh, en)


def test_iaqi_is_rounded_up_as_the_standard_asks() -> None:
    # 50/35 x 28.0 = 40.0 exactly; 28.1 gives 40.14..., shown as 41.
    assert aqi.pm25_iaqi(28.0) == 40
    assert aqi.pm25_iaqi(28.1) == 41


def test_the_default_standard_is_named_and_tables_are_versioned() -> None:
    assert aqi.DEFAULT_STANDARD == "HJ 633-2012"
    table = aqi.get_standard().pm25_breakpoints
    assert [c for c, _ in table] == [0, 35, 75, 115, 150, 250, 350, 500]
    assert [i for _, i in table] == [0, 50, 100, 150, 200, 300, 400, 500]
    assert [c.zh for c in aqi.get_standard().categories] == [
        "优",
        "良",
        "轻度污染",
        "中度污染",
        "重度污染",
        "严重污染",
    ]


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_impossible_concentrations_are_refused(bad: float) -> None:
    with pytest.raises(InvalidInput, match="PM2.5"):
        aqi.pm25_iaqi(bad)


def test_an_unknown_standard_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="HJ 633-2012"):
        aqi.pm25_iaqi(10, standard="HJ 633-2099")
