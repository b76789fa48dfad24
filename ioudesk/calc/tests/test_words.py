from datetime import date
from decimal import Decimal

import pytest

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.words import amount_in_words, date_in_chinese, date_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # Source: 支付结算办法 附件一《正确填写票据和结算凭证的基本规定》 examples
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        # the zeros across the 万 and 亿 boundaries (docs/domain.md §15)
        ("600070000", "陆亿零柒万元整"),
        ("100005000", "壹亿零伍仟元整"),
        ("1000000001", "壹拾亿零壹元整"),
        ("1010000", "壹佰零壹万元整"),
        ("10005", "壹万零伍元整"),
        ("100500", "壹拾万零伍佰元整"),
        ("16", "壹拾陆元整"),
        ("100000000000", "壹仟亿元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("0.05", "伍分"),
        ("0.10", "壹角"),
        ("0", "零元整"),
        ("1000.05", "壹仟元零伍分"),
    ],
)
def test_amounts_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_options_for_the_optional_characters():
    assert amount_in_words("1409.50", prefix=True) == "人民币壹仟肆佰零玖元伍角"
    assert amount_in_words("1409.50", zheng_after_jiao=True) == "壹仟肆佰零玖元伍角整"
    assert amount_in_words("1680.32", zero_before_jiao=False) == "壹仟陆佰捌拾元叁角贰分"


def test_too_large_negative_or_too_precise_amounts_are_refused():
    for bad in ("1000000000000", "-1", "1.005"):
        with pytest.raises(InvalidAmount):
            amount_in_words(bad)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        # Source: 支付结算办法 附件一 第六条: 1月15日 → 零壹月壹拾伍日; 10月20日 → 零壹拾月零贰拾日
        (date(2025, 1, 15), "贰零贰伍年零壹月壹拾伍日"),
        (date(2025, 10, 20), "贰零贰伍年零壹拾月零贰拾日"),
        (date(2026, 2, 12), "贰零贰陆年零贰月壹拾贰日"),
        (date(2026, 3, 10), "贰零贰陆年叁月零壹拾日"),
        (date(2026, 11, 30), "贰零贰陆年壹拾壹月零叁拾日"),
        (date(2026, 12, 9), "贰零贰陆年壹拾贰月零玖日"),
        (date(2026, 5, 21), "贰零贰陆年伍月贰拾壹日"),
    ],
)
def test_cheque_dates(day, words):
    assert date_in_words(day) == words


def test_ordinary_chinese_dates():
    assert date_in_chinese(date(2026, 12, 21)) == "二〇二六年十二月二十一日"
