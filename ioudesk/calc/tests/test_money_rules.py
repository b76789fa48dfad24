"""Interest, penalties, settlement, the legal cap and allocation, as worked examples."""
from datetime import date
from decimal import Decimal

import pytest

from ioudesk.calc.allocation import Direction, DueItem, Strategy, allocate
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidAmount, MissingInput, NoReferenceData
from ioudesk.calc.interest import PenaltyBasis, interest_between, penalty_interest, settlement_quote
from ioudesk.calc.irr import annualised_rate, effective_annual_rate, legal_principal
from ioudesk.calc.legalcap import LprTable, cap_for, cap_overdue_charges, split_interest


def test_interest_for_actual_days():
    # ¥10,000 at 12 % from 1 Jan to 1 Feb: 31 days; ACT/360 → 103.33, ACT/365 → 101.92
    assert interest_between(Decimal("10000"), Decimal("0.12"), date(2025, 1, 1), date(2025, 2, 1)) == Decimal("103.33")
    assert interest_between(Decimal("10000"), Decimal("0.12"), date(2025, 1, 1), date(2025, 2, 1),
                            DayCount.ACT_365) == Decimal("101.92")


def test_penalty_on_principal_and_interest_at_a_markup():
    # given ¥1,000 principal and ¥100 interest overdue 30 days at 12 % + 50 %
    quote = penalty_interest(overdue_principal=Decimal("1000"), overdue_interest=Decimal("100"),
                             basis=PenaltyBasis.PRINCIPAL_AND_INTEREST, due_date=date(2025, 3, 15),
                             as_of=date(2025, 4, 14), contract_rate=Decimal("0.12"), markup=Decimal("0.5"))
    assert (quote.days_overdue, quote.basis_amount, quote.amount) == (30, Decimal("1100"), Decimal("16.50"))


def test_grace_days_waive_the_penalty_only_within_the_grace():
    common = dict(overdue_principal=Decimal("1000"), due_date=date(2025, 3, 15), penalty_rate=Decimal("0.18"),
                  grace_days=3)
    assert penalty_interest(as_of=date(2025, 3, 18), **common).amount == 0
    late = penalty_interest(as_of=date(2025, 3, 25), **common)
    assert late.chargeable_days == 10  # counted from the due date once the grace is exceeded
    assert penalty_interest(as_of=date(2025, 3, 25), from_due_date=False, **common).chargeable_days == 7


def test_penalty_needs_a_rate():
    with pytest.raises(MissingInput, match="罚息利率"):
        penalty_interest(overdue_principal=Decimal("1"), due_date=date(2025, 1, 1), as_of=date(2025, 2, 1))


def test_early_settlement_quote():
    # ¥50,000 outstanding at 12 %, interest paid to 15 June, settled 5 July (20 days), 1 % fee
    quote = settlement_quote(outstanding_principal=Decimal("50000"), annual_rate=Decimal("0.12"),
                             interest_paid_to=date(2025, 6, 15), settle_on=date(2025, 7, 5),
                             prepayment_fee_rate=Decimal("0.01"))
    assert (quote.interest, quote.prepayment_fee, quote.total) == (Decimal("333.33"), Decimal("500.00"),
                                                                   Decimal("50833.33"))


def test_early_settlement_charges_broken_interest_only_on_principal_not_yet_due():
    # The same loan with ¥5,000 of its ¥50,000 already overdue (it bears penalty interest): the
    # 20 days' interest is 45,000 × 12 % × 20/360 = 300.00, the fee 1 % × 45,000 = 450.00, and the
    # quote 50,000.00 + 300.00 + 450.00 = 50,750.00 (before what is overdue, given apart).
    quote = settlement_quote(outstanding_principal=Decimal("50000"), annual_rate=Decimal("0.12"),
                             interest_paid_to=date(2025, 6, 15), settle_on=date(2025, 7, 5),
                             prepayment_fee_rate=Decimal("0.01"), principal_not_yet_due=Decimal("45000"))
    assert (quote.interest, quote.prepayment_fee, quote.total) == (Decimal("300.00"), Decimal("450.00"),
                                                                   Decimal("50750.00"))


def test_legal_principal_when_interest_was_deducted_in_advance():
    # 法释〔2020〕17号 art. 26: IOU for ¥100,000, ¥10,000 deducted at once → principal ¥90,000
    assert legal_principal(Decimal("100000"), deducted_in_advance=Decimal("10000")) == Decimal("90000.00")


def test_nominal_and_effective_annual_rates():
    monthly_irr_times_12 = annualised_rate(Decimal("100000"), [Decimal("8884.88")] * 12, periods_per_year=12)
    assert abs(monthly_irr_times_12 - Decimal("0.12")) < Decimal("0.000001")
    assert effective_annual_rate(Decimal("0.01"), 12) == Decimal("0.126825")


def test_cap_on_the_day_the_new_rules_started():
    # Source: SPC press conference 2020-08-20: 4 × LPR 3.85 % = 15.4 % replaces 24 %
    cap = cap_for(date(2020, 8, 20))
    assert cap.cap_rate == Decimal("0.154")


def test_cap_uses_the_lpr_in_force_on_the_contract_date():
    assert cap_for(date(2024, 10, 20)).cap_rate == Decimal("0.134")  # 3.35 % until 20 Oct 2024
    assert cap_for(date(2024, 10, 21)).cap_rate == Decimal("0.124")
    assert cap_for(date(2026, 1, 1)).lpr_1y == Decimal("0.03")


def test_contract_before_2020_08_20_splits_the_cap_at_2020_08_19():
    cap = cap_for(date(2019, 12, 1), filing_date=date(2025, 6, 1))
    assert [segment.rate for segment in cap.segments] == [Decimal("0.24"), Decimal("0.12")]
    assert "24%" in cap.rule and "起诉日2025-06-01" in cap.rule
    # interest from 2020-01-01 to 2021-01-01 at 20 %: all protected before 2020-08-20, 12 % after
    split = split_interest(principal=Decimal("100000"), annual_rate=Decimal("0.20"), start=date(2020, 1, 1),
                           end=date(2021, 1, 1), cap=cap)
    assert split.total == split.protected + split.unprotected
    # 100,000 × (20 % − 12 %) × 134/365 = 2,936.99; total and protected are rounded first, so 2,936.98
    assert split.unprotected == Decimal("2936.98")


def test_contract_before_the_lpr_reform_needs_the_filing_date():
    with pytest.raises(MissingInput, match="起诉日期"):
        cap_for(date(2018, 5, 1))
    assert "尚无新LPR" in cap_for(date(2018, 5, 1), filing_date=date(2024, 1, 1)).rule
    assert cap_for(date(2018, 5, 1), filing_date=date(2020, 1, 1)).cap_rate == Decimal("0.24")


def test_a_custom_lpr_table():
    table = LprTable.from_csv("effective_from,rate_percent\n2030-01-20,2.50\n")
    assert cap_for(date(2030, 2, 1), table=table).cap_rate == Decimal("0.100")
    with pytest.raises(NoReferenceData, match="请补充LPR数据"):
        cap_for(date(2029, 1, 1), table=table)


def test_combined_cap_on_overdue_charges():
    # 法释〔2020〕17号 art. 29: overdue interest + penalty + fees together within 4 × LPR
    result = cap_overdue_charges(principal=Decimal("100000"), overdue_from=date(2025, 1, 1), until=date(2026, 1, 1),
                                 cap_rate=Decimal("0.12"), overdue_interest=Decimal("8000"),
                                 penalty=Decimal("5000"), fees=Decimal("1000"))
    assert (result.allowed, result.excess) == (Decimal("12000.00"), Decimal("2000.00"))


def test_allocation_strategies():
    dues = [DueItem(1, principal=Decimal("800"), interest=Decimal("100"), fee=Decimal("10"), penalty=Decimal("5")),
            DueItem(2, principal=Decimal("810"), interest=Decimal("90"), fee=Decimal("10"))]
    interest_first = allocate(Decimal("200"), dues, strategy=Strategy.INTEREST_PRINCIPAL_FEE_PENALTY)
    assert interest_first.totals == {"penalty": 0, "fee": 0, "interest": Decimal("100"), "principal": Decimal("100")}
    principal_first = allocate(Decimal("200"), dues, strategy=Strategy.PRINCIPAL_FIRST)
    assert principal_first.totals["principal"] == Decimal("200")
    horizontal = allocate(Decimal("300"), dues, direction=Direction.HORIZONTAL)
    assert horizontal.totals == {"penalty": Decimal("5"), "fee": Decimal("20"), "interest": Decimal("190"),
                                 "principal": Decimal("85")}


def test_overpayment_is_kept_not_lost():
    result = allocate(Decimal("100"), [DueItem(1, principal=Decimal("60"))])
    assert (result.applied, result.overpayment) == (Decimal("60"), Decimal("40"))


def test_negative_payment_is_refused():
    with pytest.raises(InvalidAmount, match="冲正"):
        allocate(Decimal("-1"), [])
