import pytest

from appletrace.trace.errors import InvalidInput
from appletrace.trace.identifiers import check_ai_text, gtin_check_digit, normalize_gtin


@pytest.mark.parametrize(
    ("body", "digit"),
    [("0950600013435", 2), ("629104150021", 3), ("690123456789", 2)],
)
def test_check_digit_matches_gs1_examples(body: str, digit: int) -> None:
    assert gtin_check_digit(body) == digit


def test_gtin_is_padded_to_14_digits() -> None:
    assert normalize_gtin("6291041500213") == "06291041500213"


@pytest.mark.parametrize("value", ["6291041500214", "12345", "62910415002A3"])
def test_bad_gtin_is_refused_with_the_value(value: str) -> None:
    with pytest.raises(InvalidInput, match=value):
        normalize_gtin(value)


def test_ai_text_refuses_what_gb_t_33993_excludes() -> None:
    assert check_ai_text("ZY25-FJ-001", "lot", "lot code") == "ZY25-FJ-001"
    with pytest.raises(InvalidInput, match="'/'"):
        check_ai_text("ZY/25", "lot", "lot code")

    with pytest.raises(InvalidInput, match="1 to 20"):
        check_ai_text("X" * 21, "lot", "lot code")
