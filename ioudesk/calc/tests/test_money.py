from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.money import (
    format_yuan,
    from_fen,
    parse_amount,
    positive_amount,
    quantize,
    ratio_split,
    to_fen,
)


def test_half_up_not_half_even():
    # given amounts exactly half a fen; when rounded; then they go up, as 四舍五入 requires
    assert quantize(Decimal("0.125")) == Decimal("0.13")
    assert quantize(Decimal("2.675")) == Decimal("2.68")


def test_parse_amount_accepts_what_people_type():
    assert parse_amount("¥12,345.67") == Decimal("12345.67")
    assert parse_amount(" 100元 ") == Decimal("100.00")
    assert parse_amount("0.5") == Decimal("0.50")


@pytest.mark.parametrize("text", ["1.005", "12,34.00", "1e3", "abc", "", "NaN"])
def test_parse_amount_refuses_malformed_amounts(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text)


def test_amount_with_three_decimals_says_two_at_most():
    with pytest.raises(InvalidAmount, match="最多两位小数"):
        parse_amount("100.001")


def test_float_is_refused():
    with pytest.raises(InvalidAmount, match="浮点数"):
        parse_amount(0.1)


def test_zero_or_negative_principal_is_refused_with_the_fix():
    for text in ("0", "-100"):
        with pytest.raises(InvalidAmount, match="本金必须大于0，请输入正数金额"):
            positive_amount(text, field="本金")


def test_fen_round_trip():
    assert to_fen(Decimal("12345.67")) == 1234567
    assert from_fen(1234567) == Decimal("12345.67")
    with pytest.raises(InvalidAmount):
        to_fen(Decimal("0.001"))


def test_format_yuan():
    assert format_yuan(Decimal("12345.67")) == "¥12,345.67"
    assert format_yuan(Decimal("1000000")) == "¥1,000,000.00"


@given(
    st.integers(min_value=-10**10, max_value=10**10),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(lambda r: sum(r) > 0),
)
def test_ratio_split_never_loses_or_invents_a_fen(fen, ratios):
    amount = from_fen(fen)
    parts = ratio_split(amount, ratios)
    assert sum(parts) == amount
    assert all(part.as_tuple().exponent == -2 for part in parts)
