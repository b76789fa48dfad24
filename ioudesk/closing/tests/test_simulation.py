"""90 business days of a portfolio of every kind, closed day by day, checked against the calc engine.

The portfolio of 120 IOUs (60 on PostgreSQL) (made on 2026-01-15, closed 2026-01-16 … 2026-04-15): loans with equal installments,
equal principal, interest only and bullet; 欠条 for goods with a due date; some with customer
credit paid in advance, some paid on every due date, some paid late, some never. After every day:
days past due, bucket and five-tier class of every live IOU equal what calc.aging says from its
unpaid installments; at the end, for the IOUs never paid, interest and penalty to date to the fen
against calc.interest.penalty_interest over the stretches between the days the rule of decision
0006 posts (class changes, month ends, due dates), and `ledger verify` passes.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from ioudesk.calc import aging
from ioudesk.calc.interest import penalty_interest
from ioudesk.closing import services
from ioudesk.closing.tests.conftest import make_loan
from ioudesk.core import clock
from ioudesk.ious.models import LIVE_STATUSES, Installment, Iou
from ioudesk.ious.selectors import penalty_to_date
from ioudesk.ious.services.accrual import TIER_TO_CLASS
from ioudesk.ious.services.installments import unpaid
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.verify import verify

START, DAYS = date(2026, 1, 15), 90
KINDS = [
    dict(method="equal_installment", term=12, rate="12%"),
    dict(method="equal_principal", term=6, rate="18%"),
    dict(method="interest_only", term=3, rate="10%"),
    dict(method="bullet", term=2, rate="8%"),
    dict(kind="debt", term=1, rate="年化0%", method="bullet", due_date=date(2026, 2, 20), debt_reason="goods"),
]
BEHAVIOURS = ("never", "on_time", "late", "credit")


def _due_rows(iou):
    return list(Installment.objects.filter(schedule__iou=iou, schedule__is_current=True).order_by("number"))


def expected_penalty(iou, rows, end: date) -> D:
    """Penalty to `end` of an IOU never paid, worked out from the rule: posted on the days the class
    changes, at month ends and on due dates; each stretch rounded once."""
    from ioudesk.ious.services.accrual import penalty_annual_rate

    first_due = min(r.due_date for r in rows)
    posting = {first_due + timedelta(days=n + 1) for n in (0, 90, 270, 360)}
    day = START
    while day <= end:
        if (day + timedelta(days=1)).month != day.month:
            posting.add(day)
        day += timedelta(days=1)
    posting |= {r.due_date for r in rows}
    total = D("0.00")
    for row in rows:
        if row.due_date >= end:
            continue
        rate = penalty_annual_rate(iou, row.due_date)  # docs/domain.md §8 (LPR for a 欠条 without interest)
        if rate <= 0:
            continue
        marks = sorted(p for p in posting if row.due_date < p < end) + [end]
        since = row.due_date
        for mark in marks:
            total += penalty_interest(overdue_principal=row.principal_due, due_date=since, as_of=mark,
                                      penalty_rate=rate, grace_days=iou.grace_days if since == row.due_date else 0
                                      ).amount
            since = mark
    return total


@pytest.mark.django_db
def test_ninety_days_of_a_portfolio(debtor, manager, approver, finance):
    from django.db import connection

    # Over a hundred IOUs on SQLite; the PostgreSQL pass (slower per statement here) closes 60 of them.
    size = 120 if connection.vendor == "sqlite" else 60
    ious = []
    for n in range(size):
        kind = dict(KINDS[n % len(KINDS)])
        ious.append((make_loan(debtor, manager, approver, finance, principal=str(1000 + 37 * n), on=START, **kind),
                     BEHAVIOURS[(n // len(KINDS)) % len(BEHAVIOURS)]))
    with clock.frozen(START):
        for iou, behaviour in ious:
            if behaviour == "credit":
                iou_repay(iou=iou, amount="300", user=finance)  # credit: applied when installments fall due
    end = START + timedelta(days=DAYS)
    day = START + timedelta(days=1)
    while day <= end:
        with clock.frozen(day):
            for iou, behaviour in ious:
                due_today = [r for r in _due_rows(iou) if r.due_date == day - timedelta(days=10 if behaviour == "late"
                                                                                          else 0)]
                if behaviour in ("on_time", "late") and due_today:
                    fresh = Iou.objects.get(pk=iou.pk)
                    if fresh.status in LIVE_STATUSES:
                        iou_repay(iou=fresh, amount=str(sum(r.total_due for r in due_today) + D("50")), user=finance)
            services.close_execute(origin="command")
            for iou, _behaviour in ious:
                fresh = Iou.objects.get(pk=iou.pk)
                if fresh.status not in LIVE_STATUSES:
                    continue
                rows = _due_rows(fresh)
                dpd = aging.days_past_due([r.due_date for r in rows if any(v > 0 for v in unpaid(r).values())],
                                          as_of=day)
                assert (fresh.days_past_due, fresh.bucket, fresh.classification) == (
                    dpd, aging.loan_bucket(dpd), TIER_TO_CLASS[aging.classification_floor(dpd)]), (day, fresh.number)
        day += timedelta(days=1)

    states = {}
    for iou, behaviour in ious:
        fresh = Iou.objects.get(pk=iou.pk)
        states.setdefault(behaviour, set()).add(fresh.status)
        if behaviour != "never":
            continue
        rows = _due_rows(fresh)
        assert fresh.interest_outstanding == sum((r.interest_due for r in rows if r.due_date <= end), D("0.00"))
        assert fresh.fee_outstanding == sum((r.fee_due for r in rows if r.due_date <= end), D("0.00"))
        assert penalty_to_date(fresh, end) == expected_penalty(fresh, rows, end), fresh.number
    assert "overdue" in states["never"] and "overdue" not in states["on_time"]
    assert verify().ok
