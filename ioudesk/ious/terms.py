"""The IOU's stored terms as calculation inputs, its schedule, and its legal-cap check."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ioudesk.calc.dates import BusinessDay, Frequency
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import CalcError
from ioudesk.calc.inputs import cap_verdict
from ioudesk.calc.legalcap import NEW_RULES_FROM, LegalCap
from ioudesk.calc.limitation import limitation_expiry
from ioudesk.calc.rates import parse_rate, round_rate
from ioudesk.calc.schedule import (
    LastInstallment,
    LoanTerms,
    Method,
    Schedule,
    generate_schedule,
    one_payment_schedule,
)
from ioudesk.core import clock
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.errors import ValidationFailed
from ioudesk.ious.models import Iou, IouKind, PaymentTerms


def calc_guard(function, *args, **kwargs):
    """Run a calculation; a CalcError becomes a ValidationFailed in the user's language."""
    try:
        return function(*args, **kwargs)
    except CalcError as error:
        raise ValidationFailed(calc_error_message(error), code=error.code) from error


def due_from_payment_terms(terms: str, start: date) -> date | None:
    """账期 → due date.

    >>> due_from_payment_terms("net_30", date(2026, 11, 28))
    datetime.date(2026, 12, 28)
    >>> due_from_payment_terms("eonm", date(2026, 11, 28))
    datetime.date(2026, 12, 31)
    >>> due_from_payment_terms("eonq", date(2026, 11, 28))
    datetime.date(2027, 3, 31)
    """
    if terms == PaymentTerms.ON_DELIVERY:
        return start
    if terms in (PaymentTerms.NET_30, PaymentTerms.NET_60, PaymentTerms.NET_90):
        return start + timedelta(days=int(terms.split("_")[1]))
    if terms == PaymentTerms.END_OF_NEXT_MONTH:
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return date(year, month, calendar.monthrange(year, month)[1])
    if terms == PaymentTerms.END_OF_NEXT_QUARTER:
        quarter_end_month = ((start.month - 1) // 3 + 1) * 3 + 3
        year = start.year + (quarter_end_month - 1) // 12
        month = (quarter_end_month - 1) % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])
    return None


def loan_terms(iou: Iou, *, start: date | None = None, principal: Decimal | None = None,
               term: int | None = None, first_due: date | None = None, upfront_charges: bool = True) -> LoanTerms:
    """The calc terms of an IOU (by default from its contract date and full principal).
    `upfront_charges=False` for a schedule made after disbursement (extension, a later tranche):
    interest deducted in advance and the upfront fee were taken once, at the first disbursement."""
    start = start or iou.disbursed_on or iou.contract_date
    if iou.kind == IouKind.DEBT or iou.due_date and iou.term == 1 and iou.method == "bullet":
        # A one-off debt: one installment on the due date.
        due = iou.due_date or due_from_payment_terms(iou.payment_terms, start)
        return calc_guard(
            LoanTerms, principal=principal or iou.principal, rate=parse_rate(iou.rate_text), term=1, start=start,
            method=Method.BULLET, day_count=DayCount.parse(iou.day_count), first_due=due,
        )
    return calc_guard(
        LoanTerms,
        principal=principal if principal is not None else iou.principal,
        rate=calc_guard(parse_rate, iou.rate_text),
        term=term or iou.term,
        start=start,
        method=calc_guard(Method.parse, iou.method),
        frequency=calc_guard(Frequency.parse, iou.frequency),
        day_count=calc_guard(DayCount.parse, iou.day_count),
        # The IOU's agreed first due date is for its original schedule only; a later schedule
        # (extension, tranche) starts again from `start` unless given its own.
        first_due=first_due if first_due is not None else (iou.first_due if upfront_charges else None),
        business_day=BusinessDay.NONE,
        fee_per_installment=iou.installment_fee,
        upfront_fee=iou.upfront_fee if upfront_charges else Decimal("0"),
        deducted_interest=iou.deducted_interest if upfront_charges else Decimal("0"),
        last_installment=LastInstallment.parse(iou.last_installment),
    )


def set_last_due(iou: Iou, last_due: date | None) -> None:
    """最后到期日 and 诉讼时效届满日, one rule for every schedule an IOU gets (放款, 追加放款, 展期,
    提前结清): the last due date is the last installment's of the current schedule, and the
    limitation period runs three years from it (民法典第一百八十八条; for an installment debt from
    the last installment's due date, 第一百八十九条). No due date (art. 675): none yet, the period
    runs from a demand, which collections records.

    Early settlement replaces the rest of the schedule with one installment due on the settlement
    date, which ends the debt: the IOU then shows that date as 最后到期日 (the original last due
    date stays in schedule version 1) and three years from it as 诉讼时效届满 — which only matters
    if the settlement payment is reversed and the IOU reopens. 首期还款日 stays the original one.

    The caller saves ``maturity_date`` and ``limitation_expires_on``."""
    iou.maturity_date = last_due
    iou.limitation_expires_on = None if last_due is None else limitation_expiry(last_due=last_due).expires_on


def schedule_builder(iou: Iou):
    """The calc function that makes this IOU's schedule from its `loan_terms`: a 欠条 is one
    payment on its due date (any day from the day the debt arose, however far, or already past
    when it takes effect late); a loan follows the schedule rules of its repayment method."""
    return one_payment_schedule if iou.kind == IouKind.DEBT else generate_schedule


def schedule_for(iou: Iou, **overrides) -> Schedule:
    return calc_guard(schedule_builder(iou), loan_terms(iou, **overrides))


@dataclass(frozen=True)
class CapCheck:
    applies: bool
    cap_rate: Decimal | None
    within: bool | None
    rule: str
    unprotected_interest: Decimal
    annualised_rate: Decimal

    @property
    def warning(self) -> str:
        if not self.applies or self.within:
            return ""
        return (f"约定的实际年化利率 {self.annualised_rate * 100:.2f}% 超过保护上限 {self.cap_rate * 100:.2f}%，"
                f"超出部分利息约 ¥{self.unprotected_interest:,.2f} 不受法律保护。依据：{self.rule}")


def cap_check(iou: Iou, *, organisation_cap_applies: bool, schedule: Schedule | None = None,
              terms: LoanTerms | None = None) -> CapCheck:
    """docs/domain.md §6: the agreed cost (the IRR of the real cash flows, which catches deducted
    interest and fees) against 4×LPR at the contract date; how much interest is not protected.
    `terms` and `schedule` default to the IOU's own from its contract date."""
    terms = terms or loan_terms(iou)
    schedule = schedule or calc_guard(schedule_builder(iou), terms)
    applies = organisation_cap_applies and iou.interest_cap_applies
    if not applies:
        return CapCheck(False, None, None, "", Decimal("0.00"), schedule.annualised_rate)
    # Rates are stated to 0.01 %: the IRR of fen-rounded payments (12.0001 %) is the stated 12.00 %.
    stated = round_rate(schedule.annualised_rate)
    # A loan formed before 2020-08-20 is capped by 4×LPR at the day it is taken to court (法释〔2020〕17号
    # art. 31; docs/domain.md §6). Nobody has sued when it is entered, so the check assumes a suit on
    # the business date — the earliest it could be — and says so in the rule.
    filing = clock.today() if iou.contract_date < NEW_RULES_FROM else None
    verdict = calc_guard(cap_verdict, contract_date=iou.contract_date, annual_rate=stated, filing_date=filing)
    within, unprotected = verdict.within_cap, Decimal("0.00")
    if filing is not None:
        # two caps over the loan's life (24 % to 2020-08-19, then 4×LPR): within when every part is
        unprotected = unprotected_interest(terms, schedule, verdict.cap)
        within = unprotected == 0
    elif not within:
        unprotected = unprotected_interest(terms, schedule, verdict.cap)
    rule = verdict.cap.rule
    if filing is not None:
        # stored with the IOU like calc's rule text, in Chinese
        rule = f"{rule}（尚未起诉：按营业日{filing.isoformat()}作为起诉日测算，起诉时须按实际起诉日重新核定）"
    return CapCheck(True, verdict.cap.cap_rate, within, rule, unprotected, schedule.annualised_rate)


def unprotected_interest(terms: LoanTerms, schedule: Schedule, cap: LegalCap) -> Decimal:
    """What the IOU charges beyond what the cap protects.

    Protected: interest at the cap rate on the money actually lent (art. 26: the principal less
    interest and fees kept back), on the balance actually outstanding in each period of the
    schedule, each part of a period at the cap of the segment it falls in (a loan formed before
    2020-08-20: 24 % up to 2020-08-19, 4×LPR at filing after; art. 31). Charged: the schedule's
    interest and fees plus whatever was kept back.
    """
    from ioudesk.calc.money import quantize

    day_count = terms.day_count
    lent_share = terms.net_disbursed / schedule.principal
    protected, opening, since = Decimal(0), schedule.principal, terms.start
    for row in schedule.installments:
        for segment in cap.segments:
            start = max(since, segment.since) if segment.since else since
            end = min(row.due_date, segment.until + timedelta(days=1)) if segment.until else row.due_date
            if end > start:
                protected += opening * lent_share * segment.rate * day_count.year_fraction(start, end)
        opening, since = row.balance, row.due_date
    charged = schedule.total_interest + sum((row.fee for row in schedule.installments), Decimal(0)) \
        + terms.deducted_interest + terms.upfront_fee
    return max(quantize(charged - protected), Decimal("0.00"))
