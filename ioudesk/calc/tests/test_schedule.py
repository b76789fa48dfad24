"""Schedules against published worked examples, and bad input answered clearly."""
from datetime import date
from decimal import Decimal

import pytest

from ioudesk.calc.dates import BusinessDay, Frequency
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidAmount, InvalidDate, InvalidSchedule, InvalidTerm, MissingInput
from ioudesk.calc.rates import parse_rate
from ioudesk.calc.schedule import (
    LastInstallment,
    LoanTerms,
    Method,
    custom_schedule,
    generate_schedule,
    one_payment_schedule,
)


def plan(principal="100000", rate="12%", term=12, **options):
    options.setdefault("start", date(2025, 1, 15))
    return generate_schedule(LoanTerms(principal=Decimal(principal), rate=parse_rate(rate), term=term, **options))


def test_mortgage_1m_30_years_at_4_9_percent_equal_installment():
    # Source: the figure every Chinese bank mortgage calculator publishes for 100万, 30年, 4.9 %
    # (e.g. 中国建设银行 个人住房贷款计算器): 月供 ¥5,307.27, 总利息 ¥910,617.20 (= 月供 × 360 − 本金).
    schedule = plan("1000000", "4.9%", 360, last_installment=LastInstallment.EQUAL_PAYMENT)
    assert schedule.periodic_payment == Decimal("5307.27")
    assert schedule.total_interest == Decimal("910617.20")
    assert {row.total for row in schedule.installments} == {Decimal("5307.27")}


def test_mortgage_1m_20_years_at_4_9_percent_equal_installment():
    # Source: the same calculators: 100万, 20年, 4.9 % → 月供 ¥6,544.44
    assert plan("1000000", "4.9%", 240).periodic_payment == Decimal("6544.44")


def test_provident_fund_loan_1m_30_years_at_3_25_percent():
    # Source: 住房公积金 calculators (3.25 %, 2022-10 to 2025-05): 100万 30年 → 月供 ¥4,352.06
    assert plan("1000000", "3.25%", 360).periodic_payment == Decimal("4352.06")


def test_mortgage_1m_30_years_at_4_9_percent_equal_principal():
    # Source: bank calculators for 等额本金 100万 30年 4.9 %: 首月 ¥6,861.11, 每月递减 ¥11.34,
    # 总利息 P·r·(n+1)/2 = ¥737,041.67 (per-installment rounding moves it by under ¥1)
    schedule = plan("1000000", "4.9%", 360, method=Method.EQUAL_PRINCIPAL)
    first, second = schedule.installments[:2]
    assert first.total == Decimal("6861.11")
    assert first.total - second.total == Decimal("11.34")
    assert abs(schedule.total_interest - Decimal("737041.67")) < 1


def test_last_installment_settles_the_balance_by_default():
    # given 100万 30年 4.9 %; when rounding per period; then the last installment absorbs the fen
    schedule = plan("1000000", "4.9%", 360)
    assert schedule.installments[-1].total == Decimal("5305.19")
    assert schedule.total_principal == Decimal("1000000.00")


def test_interest_only_pays_principal_with_the_last_installment():
    schedule = plan(method=Method.INTEREST_ONLY)
    assert [row.interest for row in schedule.installments] == [Decimal("1000.00")] * 12
    assert schedule.installments[-1].principal == Decimal("100000.00")
    assert schedule.annualised_rate == Decimal("0.120000")


def test_bullet_is_one_installment_with_simple_interest():
    schedule = plan(method=Method.BULLET)
    assert len(schedule.installments) == 1
    only = schedule.installments[0]
    assert (only.due_date, only.interest, only.total) == (date(2026, 1, 15), Decimal("12000.00"), Decimal("112000.00"))
    assert schedule.annualised_rate == Decimal("0.120000")


def test_flat_rate_true_cost_is_far_above_the_quote():
    # given 等本等息 ¥100,000 at 月息1分 for 12 months; then interest is ¥1,000 every month and the
    # annualised rate (IRR × 12) is about 21.46 %, not 12 %
    schedule = plan(rate="月息1分", method=Method.FLAT)
    assert schedule.total_interest == Decimal("12000.00")
    assert schedule.annualised_rate == Decimal("0.214572")


def test_interest_deducted_in_advance_raises_the_annualised_rate():
    # given ¥100,000 at 12 % with ¥12,000 砍头息; the borrower receives ¥88,000 and pays 37.00 %
    schedule = plan(deducted_interest=Decimal("12000"))
    assert schedule.net_disbursed == Decimal("88000.00")
    assert schedule.annualised_rate == Decimal("0.370041")


def test_fees_are_added_to_each_installment():
    schedule = plan(fee_per_installment=Decimal("50"), upfront_fee=Decimal("1000"))
    assert {row.fee for row in schedule.installments} == {Decimal("50.00")}
    assert schedule.total_fee == Decimal("600.00")
    assert schedule.total_payment == schedule.total_principal + schedule.total_interest + schedule.total_fee
    assert schedule.annualised_rate > Decimal("0.12")


def test_broken_first_period_keeps_installments_equal():
    # given a loan drawn on 15 January with the first due date on 1 March (45 days at 30/360)
    schedule = plan(first_due=date(2025, 3, 1))
    first = schedule.installments[0]
    assert first.due_date == date(2025, 3, 1)
    assert first.interest == Decimal("1533.33")  # 100,000 × 12 % × 46/360: 30E/360 counts 15 Jan → 1 Mar as 46 days
    totals = {row.total for row in schedule.installments[:-1]}
    assert len(totals) == 1
    assert schedule.total_principal == Decimal("100000.00")


def test_actual_day_counts_charge_each_month_its_days():
    schedule = plan(day_count=DayCount.ACT_365, start=date(2025, 1, 31))
    # 31 Jan → 28 Feb is 28 days; → 31 Mar is 31 days
    assert schedule.installments[0].due_date == date(2025, 2, 28)
    assert schedule.installments[0].interest == Decimal("920.55")  # 100,000 × 12 % × 28/365


def test_quarterly_and_weekly_schedules_repay_the_principal():
    for frequency in (Frequency.QUARTERLY, Frequency.WEEKLY, Frequency.BIWEEKLY, Frequency.DAILY):
        schedule = plan(frequency=frequency, term=8)
        assert schedule.total_principal == Decimal("100000.00")
        # the last installment's rounding (a few fen) moves the IRR by at most 0.001 %
        assert abs(schedule.annualised_rate - Decimal("0.12")) <= Decimal("0.00001")


def test_due_dates_move_off_holidays_but_interest_does_not():
    # given a monthly loan from 1 September 2025, the first due date is National Day (1 October)
    plain = plan(start=date(2025, 9, 1), term=3)
    moved = plan(start=date(2025, 9, 1), term=3, business_day=BusinessDay.FOLLOWING)
    assert plain.installments[0].due_date == date(2025, 10, 1)
    assert moved.installments[0].due_date == date(2025, 10, 9)
    assert moved.installments[0].interest == plain.installments[0].interest


def test_custom_schedule_must_sum_to_the_principal():
    with pytest.raises(InvalidSchedule, match="差¥1.00"):
        custom_schedule(principal=Decimal("1000"), rate=parse_rate("12%"), start=date(2025, 1, 1),
                        repayments=[("2025-02-01", "500"), ("2025-03-01", "499")])


def test_custom_schedule_dates_must_increase():
    with pytest.raises(InvalidDate, match="第2期还款日"):
        custom_schedule(principal=Decimal("1000"), rate=parse_rate("12%"), start=date(2025, 1, 1),
                        repayments=[("2025-03-01", "500"), ("2025-02-01", "500")])


@pytest.mark.parametrize("principal", ["0", "-1000"])
def test_zero_or_negative_principal(principal):
    with pytest.raises(InvalidAmount, match="本金必须大于0"):
        plan(principal)


@pytest.mark.parametrize("term", [0, 10000])
def test_term_of_0_or_10000(term):
    with pytest.raises(InvalidTerm, match="1到600"):
        plan(term=term)


def test_principal_with_three_decimals():
    with pytest.raises(InvalidAmount, match="最多两位小数"):
        plan("1000.001")


def test_deductions_cannot_swallow_the_principal():
    with pytest.raises(InvalidAmount, match="到手金额必须大于0"):
        plan("1000", deducted_interest=Decimal("600"), upfront_fee=Decimal("400"))


def test_first_period_longer_than_two_periods_is_refused():
    with pytest.raises(InvalidDate, match="首期最长为两个还款周期"):
        plan(first_due=date(2025, 6, 1))


def test_terms_accept_the_strings_people_type():
    schedule = generate_schedule(LoanTerms(principal="100000", rate="月息1分", term=12, start="2025-01-31",
                                           method="等额本金", frequency="monthly", day_count="30/360"))
    assert schedule.method is Method.EQUAL_PRINCIPAL
    assert schedule.installments[0].due_date == date(2025, 2, 28)


def owed(principal, rate, start, due, day_count=DayCount.THIRTY_360):
    return one_payment_schedule(LoanTerms(principal=Decimal(principal), rate=parse_rate(rate), term=1,
                                          start=start, method=Method.BULLET, day_count=day_count, first_due=due))


def test_one_payment_on_any_day_of_money_already_owed():
    """A 欠条 is one payment on its due date, wherever that falls. ¥58,000 from 2026-11-28:
    货到付款 (due that day) owes 58,000.00 and no interest; 下季度末 2027-03-31 at 12 % (30/360:
    122 days) owes 58,000 × 12 % × 122/360 = 2,358.67 interest; an old debt due 2026-02-05 that
    takes effect on 2026-03-10 is due on 2026-02-05 with no interest for days already past. The
    loan rules (first due after disbursement, at most two periods away) do not apply."""
    same_day = owed("58000", "12%", date(2026, 11, 28), date(2026, 11, 28))
    assert [(r.due_date, r.principal, r.interest) for r in same_day.installments] == [
        (date(2026, 11, 28), Decimal("58000.00"), Decimal("0.00"))]
    quarter = owed("58000", "12%", date(2026, 11, 28), date(2027, 3, 31))
    assert [(r.due_date, r.total) for r in quarter.installments] == [(date(2027, 3, 31), Decimal("60358.67"))]
    assert quarter.annualised_rate.quantize(Decimal("0.0001")) == Decimal("0.1200")
    past = owed("800", "0%", date(2026, 3, 10), date(2026, 2, 5))
    assert [(r.due_date, r.total, r.balance) for r in past.installments] == [
        (date(2026, 2, 5), Decimal("800.00"), Decimal("0.00"))]
    with pytest.raises(InvalidDate, match="首期最长为两个还款周期"):  # a loan keeps its rule
        generate_schedule(LoanTerms(principal=Decimal("58000"), rate=parse_rate("12%"), term=1,
                                    start=date(2026, 11, 28), method=Method.BULLET, first_due=date(2027, 3, 31)))
    with pytest.raises(MissingInput, match="到期日"):
        owed("800", "0%", date(2026, 3, 10), None)
