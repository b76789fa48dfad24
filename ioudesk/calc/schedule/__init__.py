"""Repayment schedules (还款计划): 等额本息, 等额本金, 先息后本, 到期一次还本付息, 等本等息, 自定义.

Rules (docs/domain.md §4; the formulas as published by the big banks' loan calculators):

* 等额本息 ``equal_installment``: payment = P·r·(1+r)^n / ((1+r)^n − 1), rounded half-up
  to the fen; each installment's interest is balance × r, its principal the rest.
* 等额本金 ``equal_principal``: principal P/n (rounded), interest balance × r.
* 先息后本 ``interest_only``: interest P × r each period, principal with the last.
* 到期一次还本付息 ``bullet``: one installment at maturity, simple interest over the term.
* 等本等息 ``flat``: principal P/n and interest P × r on the original principal each period.
* 自定义 ``custom``: see :func:`custom_schedule`.

Rounding is half-up per installment; **the principal parts always sum to the principal**
(the last installment repays the balance), and the last installment's convention for
equal payments is :class:`LastInstallment` (``SETTLE_BALANCE`` by default).  A broken first
period (``first_due``) counts its actual days under the day count; for 等额本息 the level
payment is then solved on the actual periods, so installments stay equal.  Interest is never
capitalised: should one period's interest exceed the level payment (a long actual-day
period at a high rate over a very long term), that installment pays its interest only and
the last installment settles the rest.

Worked example (the classic mortgage figure published by Chinese bank calculators, e.g.
China Construction Bank's 房贷计算器: ¥1,000,000 over 30 years at 4.9 % →
¥5,307.27 a month):

>>> from datetime import date
>>> from decimal import Decimal
>>> from ioudesk.calc.rates import parse_rate
>>> plan = generate_schedule(LoanTerms(principal=Decimal("1000000"), rate=parse_rate("4.9%"),
...                                    term=360, start=date(2025, 1, 15)))
>>> plan.periodic_payment, plan.total_principal, plan.installments[-1].balance
(Decimal('5307.27'), Decimal('1000000.00'), Decimal('0.00'))
>>> plan.installments[0].interest, plan.installments[0].principal
(Decimal('4083.33'), Decimal('1223.94'))
"""
from ioudesk.calc.schedule.build import generate_schedule, level_payment, one_payment_schedule
from ioudesk.calc.schedule.custom import custom_schedule
from ioudesk.calc.schedule.model import MAX_TERM, Installment, LastInstallment, LoanTerms, Method, Schedule

__all__ = [
    "MAX_TERM",
    "Installment",
    "LastInstallment",
    "LoanTerms",
    "Method",
    "Schedule",
    "custom_schedule",
    "generate_schedule",
    "level_payment",
    "one_payment_schedule",
]
