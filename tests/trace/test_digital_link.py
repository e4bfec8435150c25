import pytest

from appletrace.trace.digital_link import (
    DigitalLink,
    MalformedLink,
    build_uri,
    parse_path,
)

GTIN = "06901234567892"


def test_build_keeps_host_lower_and_path_upper() -> None:
    uri = build_uri("https://trace.example.cn", "6901234567892", "zy25-fj-001", "ab12")

    assert uri == f"https://trace.example.cn/01/{GTIN}/10/ZY25-FJ-001/21/AB12"


def test_short_form_drops_the_lot() -> None:
    uri = build_uri("https://t.cn/", GTIN, "ZY25", "AB12", short=True)

    assert uri == f"https://t.cn/01/{GTIN}/21/AB12"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/01/{GTIN}", DigitalLink(GTIN)),
        (f"/01/{GTIN}/10/zy25-fj-001", DigitalLink(GTIN, "ZY25-FJ-001")),
        (f"/01/{GTIN}/10/ZY25/21/ab12", DigitalLink(GTIN, "ZY25", "AB12")),
        (f"/01/{GTIN}/21/AB12", DigitalLink(GTIN, None, "AB12")),
        ("/01/6901234567892/10/ZY25", DigitalLink(GTIN, "ZY25")),
    ],
)
def test_parse_accepts_either_case_and_short_gtins(
    path: str, expected: DigitalLink
) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/01/06901234567891/10/ZY25", "check digit"),
        ("/01/123/10/ZY25", "not 8, 12, 13 or 14 digits"),
        (f"/01/{GTIN}/21/AB/10/ZY25", "in that order"),
        (f"/01/{GTIN}/10", "not a GS1 Digital Link path"),
        (f"/01/{GTIN}/10/{'X' * 21}", "1 to 20"),
        (f"/01/{GTIN}/10/A%3CB", "characters GS1 does not allow"),
        ("/02/06901234567892", "not a GS1 Digital Link path"),
    ],
)
def test_parse_refuses_malformed_paths(path: str, message: str) -> None:
    with pytest.raises(MalformedLink, match=message):
        parse_path(path)
