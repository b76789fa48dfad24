from decimal import Decimal

import pytest

from ioudesk.calc.errors import InvalidRate, RateOutOfRange
from ioudesk.calc.rates import ANNUAL, DAILY, MONTHLY, Rate, parse_rate


@pytest.mark.parametrize(
    ("text", "unit", "annual"),
    [
        ("12%", ANNUAL, "0.12"),
        ("年化12%", ANNUAL, "0.12"),
        ("年利率 15.4％", ANNUAL, "0.154"),
        ("月息1分", MONTHLY, "0.12"),  # 1 %/month
        ("月息8厘", MONTHLY, "0.096"),  # 0.8 %/month
        ("月息1分5厘", MONTHLY, "0.18"),
        ("月息一分", MONTHLY, "0.12"),
        ("月息1%", MONTHLY, "0.12"),
        ("年息1分", ANNUAL, "0.1"),  # 10 %/year
        ("年息1分2厘", ANNUAL, "0.12"),
        ("日息万五", DAILY, "0.18"),  # 0.05 %/day × 360
        ("日息万分之五", DAILY, "0.18"),
        ("日息1厘", DAILY, "0.036"),  # 0.01 %/day × 360
        ("0%", ANNUAL, "0"),
    ],
)
def test_chinese_rate_forms(text, unit, annual):
    rate = parse_rate(text)
    assert rate.unit == unit
    assert rate.annual == Decimal(annual)


def test_bank_convention_annual_is_monthly_times_12_is_daily_times_360():
    rate = parse_rate("月息1分")
    assert rate.monthly == Decimal("0.01")
    assert rate.annual == Decimal("0.12")
    assert rate.daily * 360 == rate.annual
    assert rate.per_day(365) == Decimal("0.12") / 365


@pytest.mark.parametrize("text", ["0.12", "12", "1分", "8厘", "万五"])
def test_ambiguous_rates_are_errors_that_say_why(text):
    with pytest.raises(InvalidRate, match="含义不明|没有注明"):
        parse_rate(text)


def test_rate_of_500_percent_is_refused_with_the_reason():
    with pytest.raises(RateOutOfRange, match="超过上限100%"):
        parse_rate("500%")


def test_a_high_rate_can_be_allowed_explicitly():
    assert parse_rate("500%", max_annual=Decimal("10")).annual == Decimal("5")


def test_negative_rate_is_refused():
    with pytest.raises(RateOutOfRange, match="负数"):
        parse_rate("-1%")


def test_nonsense_is_refused():
    with pytest.raises(InvalidRate, match="无法识别"):
        parse_rate("很高")


def test_describe_shows_the_quote_and_the_annual_equivalent():
    assert Rate(Decimal("0.01"), MONTHLY).describe() == "月息1%（年化12.00%）"
