"""Interest for actual days, penalty interest on overdue amounts, early settlement quotes.

Rules (docs/domain.md §3 and §8):

* interest between two dates = balance × annual rate × days / year-days under a day count;
  Chinese banks charge actual days at 年利率 / 360 (ACT/360, the default here), the day of
  drawing counted and the day of repayment not (算头不算尾);
* penalty interest (罚息, 中国人民银行《人民币利率管理规定》/ 银发〔2003〕251号): overdue
  principal at the contract rate **plus 30–50 %** (a markup), or at the product's own daily
  rate; the basis is overdue principal, or overdue principal + interest, per product;
* grace days (宽限期): paid within the grace days, no penalty; paid later, the penalty runs
  from the due date (the usual bank rule — ``from_due_date=False`` counts only the days
  after the grace instead);
* early settlement: outstanding principal + interest since the last due date on the principal
  **not yet due** + an optional prepayment fee (see :func:`prepayment_fee_on`); principal already
  overdue bears penalty interest instead, never contract interest as well (docs/domain.md §10).

提前还款违约金 / prepayment fee — one rule, for the quote and the settlement alike: only where the
contract agrees one (民法典第六百七十七条: a borrower may repay early and then owes interest for the
period actually borrowed, "除当事人另有约定外"; the fee is such an agreement), it is the agreed rate
on the principal **repaid before it falls due** — the principal of the installments not yet due
on the settlement date — plus any agreed fixed amount, rounded half-up to the fen. Principal
already overdue is not repaid early: it is late, and bears penalty interest instead (§8), so it
carries no prepayment fee. (The product's rate is labelled 按提前归还的本金计 for this reason.)

Worked example: ¥10,000 at 12 % a year for 31 actual days at ACT/360 is ¥103.33:

>>> from datetime import date
>>> interest_between(Decimal("10000"), Decimal("0.12"), date(2025, 1, 1), date(2025, 2, 1))
Decimal('103.33')

Given an IOU of ¥10,000 at 12 % whose installment of ¥1,000 principal fell due on
2025-03-15 and is paid 10 days late, at the contract rate + 50 %:

>>> quote = penalty_interest(overdue_principal=Decimal("1000"), due_date=date(2025, 3, 15),
...     as_of=date(2025, 3, 25), contract_rate=Decimal("0.12"), markup=Decimal("0.5"))
>>> quote.penalty_rate, quote.chargeable_days, quote.amount
(Decimal('0.180'), 10, Decimal('5.00'))
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidAmount, InvalidDate, InvalidOption, MissingInput
from ioudesk.calc.money import ZERO, quantize


def interest_between(
    balance: Decimal, annual_rate: Decimal, start: date, end: date, day_count: DayCount = DayCount.ACT_360
) -> Decimal:
    """Interest on ``balance`` from ``start`` to ``end``, rounded half-up to the fen."""
    if end < start:
        raise InvalidDate(f"计息结束日{end.isoformat()}早于开始日{start.isoformat()}，请核对日期")
    if balance < 0 or annual_rate < 0:
        raise InvalidAmount("计息本金和利率不能为负数，请核对")
    return quantize(balance * annual_rate * day_count.year_fraction(start, end))


class PenaltyBasis(Enum):
    PRINCIPAL = "principal"
    PRINCIPAL_AND_INTEREST = "principal_and_interest"


@dataclass(frozen=True)
class PenaltyQuote:
    days_overdue: int
    chargeable_days: int
    basis_amount: Decimal
    penalty_rate: Decimal  # annual
    amount: Decimal


def penalty_interest(
    *,
    overdue_principal: Decimal,
    due_date: date,
    as_of: date,
    overdue_interest: Decimal = ZERO,
    basis: PenaltyBasis = PenaltyBasis.PRINCIPAL,
    contract_rate: Decimal | None = None,
    markup: Decimal | None = None,
    penalty_rate: Decimal | None = None,
    grace_days: int = 0,
    from_due_date: bool = True,
    day_count: DayCount = DayCount.ACT_360,
) -> PenaltyQuote:
    """Penalty interest on an overdue amount up to ``as_of``.

    The annual penalty rate is either ``penalty_rate`` or ``contract_rate × (1 + markup)``.

    >>> penalty_interest(overdue_principal=Decimal("1000"), due_date=date(2025, 3, 15), as_of=date(2025, 3, 18),
    ...     penalty_rate=Decimal("0.18"), grace_days=3).amount
    Decimal('0.00')
    """
    if penalty_rate is None:
        if contract_rate is None or markup is None:
            raise MissingInput("请提供罚息利率，或提供合同利率和上浮比例（如上浮50%）")
        if markup < 0:
            raise InvalidOption("罚息上浮比例不能为负数，请输入如0.3到0.5的比例")
        penalty_rate = contract_rate * (1 + markup)
    if penalty_rate < 0 or grace_days < 0:
        raise InvalidOption("罚息利率和宽限天数不能为负数，请核对")
    base = overdue_principal + (overdue_interest if basis is PenaltyBasis.PRINCIPAL_AND_INTEREST else ZERO)
    days = max((as_of - due_date).days, 0)
    if days <= grace_days:
        chargeable = 0
    else:
        chargeable = days if from_due_date else days - grace_days
    amount = quantize(base * penalty_rate * chargeable / day_count.year_days)
    return PenaltyQuote(days_overdue=days, chargeable_days=chargeable, basis_amount=base,
                        penalty_rate=penalty_rate, amount=amount)


def prepayment_fee_on(principal_repaid_early: Decimal, rate: Decimal = ZERO, fixed: Decimal = ZERO) -> Decimal:
    """提前还款违约金: ``rate`` on the principal repaid before it falls due, plus ``fixed``, half-up.

    Given ¥10,000 lent in 12 monthly installments and 1 %, settled after the 4th installment was
    paid and the 5th (¥800.00 principal) is overdue, with ¥6,000.00 principal not yet due: the fee
    is 6,000 × 1 % = 60.00 — not 1 % of the whole ¥6,800.00 outstanding.

    >>> prepayment_fee_on(Decimal("6000.00"), Decimal("0.01"))
    Decimal('60.00')
    >>> prepayment_fee_on(Decimal("1234.50"), Decimal("0.01")), prepayment_fee_on(Decimal("0"), fixed=Decimal("50"))
    (Decimal('12.35'), Decimal('50.00'))
    """
    if principal_repaid_early < 0 or rate < 0 or fixed < 0:
        raise InvalidAmount("提前还款本金、违约金费率和固定金额不能为负数，请核对")
    return quantize(principal_repaid_early * rate + fixed)


@dataclass(frozen=True)
class SettlementQuote:
    settle_on: date
    principal: Decimal
    interest: Decimal
    interest_days: int
    prepayment_fee: Decimal
    overdue: Decimal
    total: Decimal


def settlement_quote(
    *,
    outstanding_principal: Decimal,
    annual_rate: Decimal,
    interest_paid_to: date,
    settle_on: date,
    prepayment_fee_rate: Decimal = ZERO,
    prepayment_fee: Decimal = ZERO,
    overdue_amount: Decimal = ZERO,
    day_count: DayCount = DayCount.ACT_360,
    principal_not_yet_due: Decimal | None = None,
) -> SettlementQuote:
    """What settles the loan on ``settle_on`` (提前结清报价).

    ``interest_paid_to`` is the last due date whose interest was paid; ``overdue_amount``
    anything already due and unpaid (installments, penalties) which must be settled too.
    ``principal_not_yet_due`` is the principal repaid early (by default all the outstanding
    principal: nothing overdue). It alone bears the broken-period interest, for the days since
    ``interest_paid_to`` (the time actually borrowed, 民法典第六百七十七条), and the prepayment fee
    (:func:`prepayment_fee_on`). Principal already overdue bears penalty interest from its due
    date, at a rate that already contains the contract rate (the contract rate plus 30–50 %,
    银发〔2003〕251号): charging it contract interest as well would charge the contract rate twice.

    >>> settlement_quote(outstanding_principal=Decimal("50000"), annual_rate=Decimal("0.12"),
    ...     interest_paid_to=date(2025, 6, 15), settle_on=date(2025, 7, 5),
    ...     prepayment_fee_rate=Decimal("0.01")).total
    Decimal('50833.33')

    With ¥5,000.00 of the ¥50,000.00 already overdue, the 20 days' interest is on 45,000.00 only,
    45,000 × 12 % × 20/360 = 300.00 (not 333.33), and the fee is 1 % of 45,000.00 = 450.00:

    >>> quote = settlement_quote(outstanding_principal=Decimal("50000"), annual_rate=Decimal("0.12"),
    ...     interest_paid_to=date(2025, 6, 15), settle_on=date(2025, 7, 5),
    ...     prepayment_fee_rate=Decimal("0.01"), principal_not_yet_due=Decimal("45000"))
    >>> quote.interest, quote.prepayment_fee, quote.total
    (Decimal('300.00'), Decimal('450.00'), Decimal('50750.00'))
    """
    if settle_on < interest_paid_to:
        raise InvalidDate("结清日不能早于已付息日，请核对日期")
    early = outstanding_principal if principal_not_yet_due is None else principal_not_yet_due
    if early > outstanding_principal:
        raise InvalidAmount("提前归还的本金不能超过未还本金，请核对")
    interest = interest_between(early, annual_rate, interest_paid_to, settle_on, day_count)
    fee = prepayment_fee_on(early, prepayment_fee_rate, prepayment_fee)
    total = outstanding_principal + interest + fee + overdue_amount
    return SettlementQuote(settle_on=settle_on, principal=outstanding_principal, interest=interest,
                           interest_days=day_count.days(interest_paid_to, settle_on), prepayment_fee=fee,
                           overdue=overdue_amount, total=quantize(total))
