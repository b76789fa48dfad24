"""Posting a payment on a locked IOU, and settling the IOU once nothing is owed.

The part of a repayment shared by 还款 (repayment.py), 提前结清 (settlement.py) and the replay of
later payments after a reversal (rewind.py). Above accrual and allocation; it imports no event
module.

Postings: Dr the funding account / Cr 应收罚息, 应收费用, 应收利息, 贷款-本金 as allocated, and
Cr 客户溢缴款 for any overpayment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _g

from ioudesk.core import audit, clock, prepared
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import status
from ioudesk.ious.models import Installment, Iou, PaymentSource, Transaction, TransactionKind
from ioudesk.ious.services.accrual import iou_accrue, refresh_delinquency
from ioudesk.ious.services.allocation import allocate_for, apply_allocation, credit_lines, totals
from ioudesk.ious.services.guards import funding_for
from ioudesk.ious.services.installments import installments_due_by, unpaid
from ioudesk.ious.services.ledgering import post
from ioudesk.ious.status import Event
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
    allocation = allocate_for(iou, amount, rows, day)
    breakdown = apply_allocation(rows, allocation.lines, day)
    paid = totals(breakdown)
    lines = [Line(funding_for(method), debit=amount), *credit_lines(paid),
             Line(AccountCode.CUSTOMER_CREDIT, credit=allocation.overpayment)]
    entry = post(iou, kind=EntryKind.REPAYMENT, lines=lines, day=day, user=user,
                 memo=f"{_g('还款')} {iou.number} {payer}".strip(), save=False)  # saved with the delinquency below
    record = prepared.insert(Transaction(
        iou=iou, kind=TransactionKind.REPAYMENT, source=PaymentSource.PAYMENT, day=day, amount=amount,
        overpayment=allocation.overpayment, method=method, reference=reference, payer=payer, allocation=breakdown,
        entry_id=entry.pk,
        idempotency_key=idempotency_key, request_hash=request_hash, created_by=user, reason=reason, **paid,
    ))
    refresh_delinquency(iou, rows, max(day, today))
    settle_if_paid(iou, rows, day)
    return record


def settle_if_paid(iou: Iou, rows: list[Installment], day: date) -> bool:
    """When nothing is owed any more, the IOU is 已结清 (any credit left stays to be refunded)."""
    if iou.principal_outstanding or iou.interest_outstanding or iou.penalty_outstanding or iou.fee_outstanding:
        return False
    if any(unpaid(row)["principal"] > 0 for row in rows) or not status.can(iou, Event.SETTLE):
        return False
    status.transition(iou, Event.SETTLE)
    iou.settled_on = day
    iou.save(update_fields=["status", "settled_on", "updated_at"])
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("结清"), changes={"status": [None, iou.status]})
    return True
