"""Building a schedule from :class:`~ioudesk.calc.schedule.model.LoanTerms`."""
from datetime import date
from decimal import Decimal, localcontext

from ioudesk.calc.dates import BusinessDay, adjust_business_day, due_dates
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidDate, MissingInput
from ioudesk.calc.irr import annualised_rate
from ioudesk.calc.money import FEN, ZERO, quantize
from ioudesk.calc.schedule.model import Installment, LastInstallment, LoanTerms, Method, Schedule

_ONE = Decimal(1)


def generate_schedule(terms: LoanTerms) -> Schedule:
    """The installments of ``terms``; see the package docstring for the rules."""
    dates = due_dates(terms.start, terms.term, terms.frequency, terms.first_due)
    _check_first_period(terms, dates)
    rates = period_rates(terms, dates)
    rows = _METHODS[terms.method](terms, rates)
    dates = dates[-1:] if terms.method is Method.BULLET else dates[: len(rows)]
    return assemble(terms, dates, rows, first_period=first_period_length(terms, dates[0]))


def one_payment_schedule(terms: LoanTerms) -> Schedule:
    """One installment of everything on ``terms.first_due``: money already owed (欠条), payable on
    one day whatever the frequency.

    The loan rules on the first due date do not apply: the debt may be due the day it arose
    (货到付款), months after it (发票后90天, 下季度末), or on a day already past when it is
    brought into effect later (an old debt entered now: due, and overdue, at once). Interest is
    simple interest for the days from ``start`` to the due date under the day count, rounded
    half-up; none when the due date is not after ``start``.

    >>> from ioudesk.calc.rates import parse_rate
    >>> plan = one_payment_schedule(LoanTerms(principal=Decimal("58000"), rate=parse_rate("12%"), term=1,
    ...     start=date(2026, 11, 28), method=Method.BULLET, day_count=DayCount.ACT_360,
    ...     first_due=date(2027, 2, 26)))
    >>> [(row.due_date.isoformat(), str(row.principal), str(row.interest)) for row in plan.installments]
    [('2027-02-26', '58000.00', '1740.00')]
    >>> plan = one_payment_schedule(LoanTerms(principal=Decimal("800"), rate=parse_rate("12%"), term=1,
    ...     start=date(2026, 3, 20), method=Method.BULLET, first_due=date(2026, 3, 10)))
    >>> [(row.due_date.isoformat(), str(row.total)) for row in plan.installments]
    [('2026-03-10', '800.00')]
    """
    if terms.first_due is None:
        raise MissingInput("请填写到期日或选择账期")
    due = terms.first_due
    days = max(terms.day_count.days(terms.start, due), 0)
    interest = quantize(terms.principal * terms.rate.annual * days / terms.day_count.year_days)
    # One period of its own length: the annualised rate of a one-off payment is its simple rate.
    first_period = Decimal(max(days, 1)) * terms.frequency.periods_per_year(terms.day_count.year_days) \
        / terms.day_count.year_days
    return assemble(terms, [due], [(terms.principal, interest)], first_period=first_period)


def period_rates(terms: LoanTerms, dates: list[date]) -> list[Decimal]:
    """The interest rate of each period.

    Under 30/360 a whole period is exactly its share of the year (a month is 1/12, a week
    7/360) whatever the calendar says; under ACT/360 and ACT/365 every period counts its
    actual days.  A broken first period always counts its days under the day count.
    """
    annual, day_count, step = terms.rate.annual, terms.day_count, terms.frequency.step
    if day_count is DayCount.THIRTY_360:
        numerator, denominator = (step.months, 12) if step.months else (step.days, 360)
        rates = [annual * numerator / denominator] * len(dates)
        if terms.first_due is not None:
            rates[0] = annual * _broken_days(terms) / 360
        return rates
    starts = [terms.start, *dates[:-1]]
    return [annual * day_count.days(begin, end) / day_count.year_days for begin, end in zip(starts, dates, strict=True)]


def first_period_length(terms: LoanTerms, first_due: date) -> Decimal:
    """Length of the first period in regular periods (1 unless the first period is broken)."""
    if terms.first_due is None:
        return _ONE
    year_days = terms.day_count.year_days
    return Decimal(_broken_days(terms)) * terms.frequency.periods_per_year(year_days) / year_days


def _broken_days(terms: LoanTerms) -> int:
    """Days of a broken first period; at least one (30E/360 counts 30 → 31 January as 0)."""
    return max(terms.day_count.days(terms.start, terms.first_due), 1)


def _check_first_period(terms: LoanTerms, dates: list[date]) -> None:
    if terms.first_due is not None:
        latest = terms.frequency.nth_due(terms.start, 2)
        if terms.first_due > latest:
            raise InvalidDate(
                f"首期还款日{terms.first_due.isoformat()}离放款日太远：首期最长为两个还款周期"
                f"（不晚于{latest.isoformat()}），请提前首期还款日"
            )


def level_payment(principal: Decimal, rates: list[Decimal]) -> Decimal:
    """The exact (unrounded) equal payment that repays ``principal`` over periods at ``rates``.

    With one rate r for n periods it is the textbook P·r·(1+r)^n / ((1+r)^n − 1); with
    varying rates (broken first period, actual days) it is P / Σ_k Π_{j≤k} 1/(1+r_j).
    """
    with localcontext() as ctx:
        ctx.prec = 34
        n, first = len(rates), rates[0]
        if all(r == first for r in rates):
            if first == 0:
                return principal / n
            growth = (_ONE + first) ** n
            return principal * first * growth / (growth - _ONE)
        discount, total = _ONE, Decimal(0)
        for rate in rates:
            discount /= _ONE + rate
            total += discount
        return principal / total


def _equal_installment(terms: LoanTerms, rates: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    payment = quantize(level_payment(terms.principal, rates))
    return _amortise(terms, rates, lambda balance, interest: payment - interest, payment)


def _equal_principal(terms: LoanTerms, rates: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    part = quantize(terms.principal / terms.term)
    return _amortise(terms, rates, lambda balance, interest: part, None)


def _flat(terms: LoanTerms, rates: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    part, balance, rows = quantize(terms.principal / terms.term), terms.principal, []
    for index, rate in enumerate(rates):
        # never repay more than is left (¥1.00 over 52 periods rounds each part up to ¥0.02)
        principal = balance if index == len(rates) - 1 else min(part, balance)
        balance -= principal
        rows.append((principal, quantize(terms.principal * rate)))
    if terms.last_installment is LastInstallment.EQUAL_PAYMENT and len(rows) > 1:
        payment = sum(rows[0])
        principal, interest = rows[-1]
        rows[-1] = (principal, max(payment - principal, ZERO))
    return rows


def _interest_only(terms: LoanTerms, rates: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    rows = [(ZERO, quantize(terms.principal * rate)) for rate in rates]
    rows[-1] = (terms.principal, rows[-1][1])
    return rows


def _bullet(terms: LoanTerms, rates: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    return [(terms.principal, quantize(terms.principal * sum(rates)))]


def _amortise(terms, rates, principal_of, payment) -> list[tuple[Decimal, Decimal]]:
    """Interest on the running balance; the last installment repays what is left.

    Interest is never capitalised: when a period's interest exceeds the payment, that
    installment pays the interest only.  Should that repay the loan before the term (only
    with long actual-day periods at high rates), the schedule ends when the balance is zero.
    """
    balance, rows, last = terms.principal, [], len(rates) - 1
    for index, rate in enumerate(rates):
        interest = quantize(balance * rate)
        if index == last:
            principal = balance
            if payment is not None and terms.last_installment is LastInstallment.EQUAL_PAYMENT and index:
                # the last total equals the others when only rounding residue separates them
                residual = payment - balance
                if residual >= 0 and abs(residual - interest) <= FEN * len(rates):
                    interest = residual
        else:
            principal = min(max(principal_of(balance, interest), ZERO), balance)
        balance -= principal
        rows.append((principal, interest))
        if balance == 0:
            break
    return rows


_METHODS = {
    Method.EQUAL_INSTALLMENT: _equal_installment,
    Method.EQUAL_PRINCIPAL: _equal_principal,
    Method.FLAT: _flat,
    Method.INTEREST_ONLY: _interest_only,
    Method.BULLET: _bullet,
}


def assemble(terms: LoanTerms, dates, rows, *, first_period: Decimal = _ONE) -> Schedule:
    """Turn (principal, interest) rows into installments, totals and the annualised rate."""
    fee, balance, business_day = terms.fee_per_installment, terms.principal, terms.business_day
    installments, totals = [], []
    total_principal = total_interest = ZERO
    for number, (due, (principal, interest)) in enumerate(zip(dates, rows, strict=True), start=1):
        balance -= principal
        total = principal + interest + fee
        total_principal += principal
        total_interest += interest
        totals.append(total)
        if business_day is not BusinessDay.NONE:
            due = adjust_business_day(due, business_day)
        installments.append(Installment(number, due, principal, interest, fee, total, balance))
    per_year = terms.frequency.periods_per_year(terms.day_count.year_days)
    if terms.method is Method.BULLET:  # one period: the whole term, so simple interest annualises as quoted
        per_year /= first_period + terms.term - 1
        first_period = _ONE
    return Schedule(
        principal=terms.principal,
        periodic_payment=installments[0].total,
        total_principal=total_principal,
        total_interest=total_interest,
        total_fee=fee * len(installments),
        total_payment=sum(totals, ZERO),
        net_disbursed=terms.net_disbursed,
        annualised_rate=annualised_rate(
            terms.net_disbursed,
            totals,
            periods_per_year=per_year,
            first_period=first_period,
            guess=terms.rate.annual / per_year,
        ),
        installments=tuple(installments),
        method=terms.method,
    )
