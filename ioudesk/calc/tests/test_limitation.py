from datetime import date

import pytest

from ioudesk.calc.errors import InvalidDate, MissingInput
from ioudesk.calc.limitation import Interruption, InterruptionKind, limitation_expiry


def test_three_years_from_the_last_installment():
    # Civil Code art. 188/189: an installment debt runs from the last due date
    result = limitation_expiry(last_due=date(2023, 5, 10))
    assert result.starts_on == date(2023, 5, 11)
    assert result.expires_on == date(2026, 5, 10)
    assert result.is_expired(date(2026, 5, 11))
    assert not result.is_expired(date(2026, 5, 10))


def test_each_interruption_restarts_the_three_years():
    result = limitation_expiry(
        last_due=date(2020, 1, 1),
        interruptions=[Interruption(date(2022, 6, 1), InterruptionKind.DEMAND),
                       Interruption(date(2025, 3, 3), InterruptionKind.ACKNOWLEDGEMENT)],
    )
    assert result.expires_on == date(2028, 3, 3)
    assert "债权人催收" in result.basis and "债务人同意履行" in result.basis


def test_a_demand_after_expiry_does_not_revive_the_claim():
    result = limitation_expiry(last_due=date(2018, 1, 1), interruptions=[Interruption(date(2022, 1, 1))])
    assert result.expires_on == date(2021, 1, 1)
    assert "不能中断时效" in result.basis


def test_a_debtor_who_agrees_to_pay_after_expiry_loses_the_defence():
    # Civil Code art. 192
    result = limitation_expiry(last_due=date(2018, 1, 1),
                               interruptions=[Interruption(date(2022, 1, 1), InterruptionKind.PARTIAL_PAYMENT)])
    assert result.defence_waived and not result.is_expired(date(2030, 1, 1))
    assert "第192条" in result.basis


def test_twenty_year_outer_limit():
    demands = [Interruption(date(2000 + 2 * k, 6, 1)) for k in range(1, 11)]
    result = limitation_expiry(last_due=date(2000, 1, 1), interruptions=demands)
    assert result.expires_on == date(2020, 1, 1)
    assert "20年" in result.basis


def test_iou_without_due_date_runs_from_the_end_of_a_reasonable_period():
    # Civil Code art. 675: demand on 10 January 2024 with 30 days to pay
    result = limitation_expiry(demand_on=date(2024, 1, 10))
    assert result.expires_on == date(2027, 2, 9)
    refused = limitation_expiry(demand_on=date(2024, 1, 10), refused_on=date(2024, 1, 12))
    assert refused.expires_on == date(2027, 1, 12)


def test_missing_or_inconsistent_dates_are_explained():
    with pytest.raises(MissingInput, match="最后一期到期日"):
        limitation_expiry()
    with pytest.raises(InvalidDate, match="早于时效起算日"):
        limitation_expiry(last_due=date(2024, 1, 1), interruptions=[Interruption(date(2023, 1, 1))])
