"""Posting a payment on a locked IOU, and settling it once nothing is owed (`settle_if_paid`, in
accrual.py, which the daily close shares).

The part of a repayment shared by 还款 (repayment.py), 提前结清 (settlement.py) and the replay of
later payments after a reversal (rewind.py). Above accrual and allocation; it imports no event
module.

Postings: Dr the funding account / Cr 应收罚息, 应收费用, 应收利息, 贷款-本金 as allocated, and
Cr 客户溢缴款 for any overpayment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Max
from django.utils.translation import gettext as _g

from ioudesk.calc.allocation import Direction, DueItem, allocate
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.interest import interest_between
from ioudesk.core import clock, prepared
from ioudesk.ious.models import Iou, IouKind, PaymentSource, Transaction, TransactionKind
from ioudesk.ious.services.accrual import iou_accrue, refresh_delinquency, settle_if_paid
from ioudesk.ious.services.allocation import STRATEGIES, allocate_for, apply_allocation, credit_lines, totals
from ioudesk.ious.services.guards import funding_for
from ioudesk.ious.services.installments import installments_due_by
from ioudesk.ious.services.ledgering import ZERO, post
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line


def repay_locked(iou: Iou, *, amount: Decimal, day: date, method: str, user, reference: str = "", payer: str = "",
                 idempotency_key: str | None = None, request_hash: str | None = None, reason: str = "",
                 today: date | None = None) -> Transaction:
    """The posting part of a repayment, for a locked IOU with checked input (also used to replay
    later payments after a reversal). `today`: the business date, when the caller has read it;
    `request_hash`: the fingerprint stored with the key (services/idempotency.py)."""
    today = today or clock.today()
    # Installments due after both dates owe nothing a payment could meet or make overdue.
    rows = iou_accrue(iou, day=day, user=user, refresh=False, rows=installments_due_by(iou, max(day, today)))
    memo = f"{_g('还款')} {iou.number} {payer}".strip()
    charged = []  # interest an on-demand debt charges to the payment's date, in the payment's entry
    if not rows and on_demand(iou):
        interest = on_demand_interest(iou, day)
        allocation = calc_guard(allocate, amount, [DueItem(
            0, principal=iou.principal_outstanding, interest=iou.interest_outstanding + interest,
            fee=iou.fee_outstanding, penalty=iou.penalty_outstanding)],
            strategy=STRATEGIES[iou.allocation_order], direction=Direction(iou.allocation_direction))
        breakdown = []  # no installment to put it on: the document's parts say what it paid
        paid = {k: allocation.totals[k] for k in ("principal", "interest", "fee", "penalty")}
        if interest:
            charged = [Line(AccountCode.INTEREST_RECEIVABLE, debit=interest),
                       Line(AccountCode.INTEREST_INCOME, credit=interest)]
            memo += _g("（计息至 %(day)s：¥%(interest)s）") % {"day": day.isoformat(), "interest": f"{interest:,.2f}"}
    else:
        allocation = allocate_for(iou, amount, rows, day)
        breakdown = apply_allocation(rows, allocation.lines, day)
        paid = totals(breakdown)
    lines = [*charged, Line(funding_for(method), debit=amount), *credit_lines(paid),
             Line(AccountCode.CUSTOMER_CREDIT, credit=allocation.overpayment)]
    entry = post(iou, kind=EntryKind.REPAYMENT, lines=lines, day=day, user=user,
                 memo=memo, save=False)  # saved with the delinquency below
    record = prepared.insert(Transaction(
        iou=iou, kind=TransactionKind.REPAYMENT, source=PaymentSource.PAYMENT, day=day, amount=amount,
        overpayment=allocation.overpayment, method=method, reference=reference, payer=payer, allocation=breakdown,
        entry_id=entry.pk,
        idempotency_key=idempotency_key, request_hash=request_hash, created_by=user, reason=reason, **paid,
    ))
    refresh_delinquency(iou, rows, max(day, today))
    settle_if_paid(iou, rows, day)
    return record


def on_demand(iou: Iou) -> bool:
    """A 欠条 without a due date, and so without a schedule: payable on demand, and the debtor may
    pay at any time (民法典第五百一十一条第四项: 履行期限不明确的，债务人可以随时履行). A payment
    reduces what is owed directly (docs/domain.md §10), with no installment to meet."""
    return iou.kind == IouKind.DEBT and iou.due_date is None and not iou.schedules.filter(is_current=True).exists()


def on_demand_interest_from(iou: Iou) -> date:
    """The day an on-demand debt's interest has been charged to: the day it took effect, or the
    latest payment standing (each payment charges the interest up to its own date)."""
    latest = Transaction.objects.filter(iou=iou, kind=TransactionKind.REPAYMENT, source=PaymentSource.PAYMENT,
                                        reversed_by__isnull=True).aggregate(day=Max("day"))["day"]
    return max(iou.disbursed_on, latest) if latest else iou.disbursed_on


def on_demand_interest(iou: Iou, day: date) -> Decimal:
    """Interest of an on-demand debt on its outstanding principal since it was last charged, to
    `day` (nothing for a payment dated on or before then: repayment.py posts an earlier payment
    before the later ones again, so that each charges the interest on what was owed then)."""
    since = on_demand_interest_from(iou)
    if day <= since or not iou.annual_rate or iou.principal_outstanding <= 0:
        return ZERO
    return calc_guard(interest_between, iou.principal_outstanding, iou.annual_rate, since, day,
                      DayCount.parse(iou.day_count))


def on_demand_paid_after(iou: Iou, day: date) -> bool:
    """An on-demand debt bearing interest with payments standing dated after `day`: a payment
    dated `day` is posted before them again, so that each charges interest on what was owed then."""
    return bool(iou.annual_rate) and on_demand(iou) and on_demand_interest_from(iou) > day \
        and iou.disbursed_on <= day
