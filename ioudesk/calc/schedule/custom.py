"""自定义 custom schedules: the user chooses the dates and the principal of each installment."""
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ioudesk.calc.dates import BusinessDay, Frequency, adjust_business_day, parse_date
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidAmount, InvalidDate, InvalidSchedule
from ioudesk.calc.irr import RATE_PLACES, irr_at_times
from ioudesk.calc.money import ZERO, format_yuan, non_negative_amount, quantize
from ioudesk.calc.rates import Rate
from ioudesk.calc.schedule.model import Installment, LoanTerms, Method, Schedule


def custom_schedule(
    *,
    principal: Decimal,
    rate: Rate,
    start: date,
    repayments: Sequence[tuple["date | str", "Decimal | str"]],
    day_count: DayCount = DayCount.ACT_360,
    fee_per_installment: Decimal = ZERO,
    upfront_fee: Decimal = ZERO,
    deducted_interest: Decimal = ZERO,
    business_day: BusinessDay = BusinessDay.NONE,
) -> Schedule:
    """A schedule from ``(due date, principal repaid)`` pairs chosen by the user.

    The principal parts must add up to the principal to the fen, and the dates must be real,
    after the start and strictly increasing.  Interest of each period is the balance × rate
    for the period's days under ``day_count``, rounded half-up.

    >>> from ioudesk.calc.rates import parse_rate
    >>> plan = custom_schedule(principal=Decimal("10000"), rate=parse_rate("年化12%"),
    ...     start=date(2025, 1, 1), repayments=[("2025-01-31", "4000"), ("2025-03-02", "6000")])
    >>> [(str(row.principal), str(row.interest)) for row in plan.installments]
    [('4000.00', '100.00'), ('6000.00', '60.00')]
    >>> custom_schedule(principal=Decimal("10000"), rate=parse_rate("年化12%"), start=date(2025, 1, 1),
    ...     repayments=[("2025-01-31", "4000")])
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.InvalidSchedule: 各期本金合计¥4,000.00，与借款本金¥10,000.00不符（差¥6,000.00），请调整各期本金
    """
    if not repayments:
        raise InvalidSchedule("自定义还款计划至少需要一期，请添加还款日期和金额")
    terms = LoanTerms(
        principal=principal, rate=rate, term=len(repayments), start=start, method=Method.CUSTOM,
        day_count=day_count, fee_per_installment=fee_per_installment, upfront_fee=upfront_fee,
        deducted_interest=deducted_interest, business_day=business_day,
    )
    dates = [parse_date(due, field=f"第{i}期还款日") for i, (due, _) in enumerate(repayments, start=1)]
    parts = [non_negative_amount(part, field=f"第{i}期本金") for i, (_, part) in enumerate(repayments, start=1)]
    _check(terms, dates, parts)
    rows, balance, previous = [], terms.principal, terms.start
    for number, (due, part) in enumerate(zip(dates, parts, strict=True), start=1):
        interest = quantize(balance * rate.annual * day_count.year_fraction(previous, due))
        balance -= part
        total = part + interest + terms.fee_per_installment
        rows.append(Installment(number, adjust_business_day(due, business_day), part, interest,
                                terms.fee_per_installment, total, balance))
        previous = due
    return _summarise(terms, dates, rows)


def _check(terms: LoanTerms, dates: list[date], parts: list[Decimal]) -> None:
    previous = terms.start
    for number, due in enumerate(dates, start=1):
        if due <= previous:
            raise InvalidDate(f"第{number}期还款日{due.isoformat()}必须晚于{previous.isoformat()}，请按先后顺序排列")
        previous = due
    total = sum(parts, ZERO)
    if total != terms.principal:
        raise InvalidSchedule(
            f"各期本金合计{format_yuan(total)}，与借款本金{format_yuan(terms.principal)}不符"
            f"（差{format_yuan(abs(terms.principal - total))}），请调整各期本金"
        )
    if parts[-1] == 0:
        raise InvalidAmount("最后一期必须还本金，请把剩余本金安排在最后一期")


def _summarise(terms: LoanTerms, dates: list[date], rows: list[Installment]) -> Schedule:
    # Irregular dates: time in months of 30/360-style days (actual days / 30), annualised × 12.
    months = [Decimal((due - terms.start).days) / 30 for due in dates]
    periodic = irr_at_times(terms.net_disbursed, [(t, row.total) for t, row in zip(months, rows, strict=True)])
    per_year = Frequency.MONTHLY.periods_per_year()
    return Schedule(
        principal=terms.principal,
        periodic_payment=rows[0].total,
        total_principal=sum((row.principal for row in rows), ZERO),
        total_interest=sum((row.interest for row in rows), ZERO),
        total_fee=terms.fee_per_installment * len(rows),
        total_payment=sum((row.total for row in rows), ZERO),
        net_disbursed=terms.net_disbursed,
        annualised_rate=(periodic * per_year).quantize(RATE_PLACES),
        installments=tuple(rows),
        method=Method.CUSTOM,
    )
