from datetime import date

import pytest

from ioudesk.calc.aging import (
    Tier,
    annual_aging_bucket,
    check_classification,
    classification_floor,
    days_past_due,
    loan_bucket,
    receivables_bucket,
)
from ioudesk.calc.errors import InvalidOption


def test_days_past_due_counts_from_the_oldest_unpaid_installment():
    # given installments due 15 Jan and 15 Feb unpaid; on 1 March the loan is 45 days past due
    assert days_past_due([date(2025, 2, 15), date(2025, 1, 15)], as_of=date(2025, 3, 1)) == 45
    assert days_past_due([date(2025, 3, 15)], as_of=date(2025, 3, 1)) == 0
    assert days_past_due([], as_of=date(2025, 3, 1)) == 0


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (90, "M3"), (91, "M4"), (150, "M5"), (180, "M6"), (181, "M7+")],
)
def test_loan_buckets(dpd, bucket):
    assert loan_bucket(dpd) == bucket


def test_buckets_are_configurable():
    assert loan_bucket(45, bounds=(15, 30, 60)) == "M3"
    assert receivables_bucket(200, bounds=(90, 180)) == "180天以上"
    with pytest.raises(InvalidOption):
        loan_bucket(10, bounds=(60, 30))


def test_receivable_and_annual_aging():
    assert receivables_bucket(61) == "61–90天"
    assert annual_aging_bucket(800) == "2–3年"
    assert annual_aging_bucket(2000) == "3年以上"


@pytest.mark.parametrize(
    ("dpd", "tier"),
    [(0, Tier.NORMAL), (1, Tier.SPECIAL_MENTION), (91, Tier.SUBSTANDARD), (271, Tier.DOUBTFUL), (361, Tier.LOSS)],
)
def test_five_tier_floors(dpd, tier):
    # Source: 商业银行金融资产风险分类办法 (2023) art. 9–12: >90 次级, >270 可疑, >360 损失
    assert classification_floor(dpd) is tier


def test_operational_grace_keeps_a_short_delay_normal():
    assert classification_floor(7, grace_days=7) is Tier.NORMAL
    assert classification_floor(8, grace_days=7) is Tier.SPECIAL_MENTION
    with pytest.raises(InvalidOption, match="0到7天"):
        classification_floor(8, grace_days=30)


def test_staff_may_classify_worse_but_not_better():
    assert check_classification(Tier.DOUBTFUL, 100)
    assert not check_classification(Tier.SPECIAL_MENTION, 100)
    assert Tier.SUBSTANDARD.non_performing and not Tier.SPECIAL_MENTION.non_performing


def test_negative_dpd_is_refused():
    with pytest.raises(InvalidOption, match="不能为负数"):
        loan_bucket(-1)
