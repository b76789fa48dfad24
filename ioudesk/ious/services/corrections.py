"""冲正 and 减免: corrections that leave the original visible.

A reversal posts the mirror entry of the original and undoes what it did to the installments.
Reversing a repayment also takes back every later repayment and penalty accrual and posts them
again in order (rewind.py: ``rewind``/``replay``, shared with a repayment entered late with an
earlier date), so the allocation of later payments and the penalty are what they would have been
without the reversed one. A waiver writes a receivable off against the income it came from
(Dr 利息收入/罚息收入/手续费收入, Cr the receivable).

A reversal that makes something owed again reopens a settled IOU (撤销结清); one that leaves
nothing owed leaves it settled. A repayment whose credit was refunded is not reversed while the
refund stands (the refund is reversed first: the credit is then owed to the customer again), so
customer credit never goes below zero (docs/domain.md §10).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates, status
from ioudesk.ious.approval_codes import IOU_WAIVE, TRANSACTION_REVERSE
from ioudesk.ious.models import Iou, Status, Transaction, TransactionKind
from ioudesk.ious.services import idempotency, rewind
from ioudesk.ious.services.accrual import iou_accrue, refresh_delinquency, settle_if_paid
from ioudesk.ious.services.guards import approval_gate, check_user
from ioudesk.ious.services.installments import WAIVED_FIELDS, current_installments, unpaid
from ioudesk.ious.services.ledgering import ZERO, apply_lines, lock
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line, post_entry

WAIVABLE = {
    "interest": (AccountCode.INTEREST_RECEIVABLE, AccountCode.INTEREST_INCOME, WAIVED_FIELDS["interest"]),
    "penalty": (AccountCode.PENALTY_RECEIVABLE, AccountCode.PENALTY_INCOME, WAIVED_FIELDS["penalty"]),
    "fee": (AccountCode.FEES_RECEIVABLE, AccountCode.FEE_INCOME, WAIVED_FIELDS["fee"]),
}
WAIVABLE_NAMES = {"interest": _("利息"), "penalty": _("罚息"), "fee": _("费用")}


@transaction.atomic
def transaction_reverse(*, record: Transaction, reason: str, user, idempotency_key: str | None = None,
                        approval=None) -> Transaction:
    """冲正 a repayment, a waiver, a refund of customer credit or (before anything else happened) a
    disbursement. When an approval flow applies (kind ``transaction_reverse``), only with its approved
    request for this transaction (``approval``)."""
    request = idempotency.request_hash("reversal", iou=record.iou_id, transaction=record.pk, reason=reason)
    iou = lock(record.iou)
    record = Transaction.objects.select_for_update().get(pk=record.pk)
    check_user(iou, user, "ious.reverse_transaction")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写冲正原因。"))
    if record.kind == TransactionKind.REVERSAL:
        raise InvalidState(_("冲正交易不能再冲正；如需恢复，请重新登记原业务。"))
    if Transaction.objects.filter(reverses=record).exists():
        raise InvalidState(_("该交易已于此前冲正，不能重复冲正。"))
    if iou.status == Status.WRITTEN_OFF:
        raise InvalidState(_("已核销的借据不能冲正交易。"))
    if approval is not None and str(approval.payload.get("transaction")) != str(record.pk):
        raise InvalidState(_("审批单 %(number)s 批准的不是这笔交易的冲正。") % {"number": approval.number})
    approval_gate(TRANSACTION_REVERSE, iou, amount=record.amount, approval=approval)

    if record.kind == TransactionKind.REPAYMENT:
        result = _reverse_repayment(iou, record, reason, user)
    elif record.kind == TransactionKind.WAIVER:
        result = rewind.undo(iou, record, reason, user)
        if iou.total_outstanding > 0:
            _reopen(iou)  # the waived amount is owed again: a settled IOU is not settled any more
        refresh_delinquency(iou, current_installments(iou), clock.today())
    elif record.kind == TransactionKind.REFUND:
        result = rewind.undo(iou, record, reason, user)  # the credit is owed to the customer again
    elif record.kind in (TransactionKind.DISBURSEMENT, TransactionKind.ACTIVATION):
        result = _reverse_disbursement(iou, record, reason, user)
    else:
        raise InvalidState(_("只能冲正还款、减免、退还溢缴款或放款。"))
    if idempotency_key:
        Transaction.objects.filter(pk=result.pk).update(idempotency_key=idempotency_key, request_hash=request)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("冲正"), reason=reason,
                 changes={"transaction": [f"{record.get_kind_display()} {record.amount}", None]})
    return result


def _reverse_repayment(iou: Iou, record: Transaction, reason: str, user) -> Transaction:
    later = rewind.later_repayments(iou, record=record)
    replay_reason = _g("因冲正 %(day)s 的还款重新分摊") % {"day": record.day.isoformat()}
    accrued_to = rewind.rewind(iou, later, after=record.day, reason=replay_reason, user=user)
    result = rewind.undo(iou, record, reason, user)
    settled_on = iou.settled_on
    _reopen(iou)
    rewind.replay(iou, later, reason=replay_reason, user=user, accrued_to=accrued_to)
    if iou.overpayment < 0:
        # Credit this payment made (directly, or through the later payments replayed) was paid
        # back to the customer: reversing it would leave the customer owing refunded money as a
        # negative credit. The refund is reversed first (docs/domain.md §10). Raising rolls back.
        refunded = sum((t.amount for t in Transaction.objects.filter(
            iou=iou, kind=TransactionKind.REFUND, reversed_by__isnull=True)), ZERO)
        raise InvalidState(_("这笔还款形成的溢缴款已退还客户（退还溢缴款合计 ¥%(refunded)s），冲正后溢缴款将短缺 "
                             "¥%(short)s。请先冲正退还溢缴款，再冲正这笔还款。") % {
            "refunded": f"{refunded:,.2f}", "short": f"{-iou.overpayment:,.2f}"})
    # A payment that paid nothing (the credit had settled the IOU) leaves it owing nothing: it
    # stays settled, as of the day it was settled before, or the last payment that stands.
    settle_if_paid(iou, current_installments(iou), settled_on or _last_payment_day(iou))
    return result


def _reopen(iou: Iou) -> None:
    """撤销结清: a settled IOU owes again (a payment or a waiver that settled it was reversed)."""
    if status.can(iou, Event.REOPEN):
        status.transition(iou, Event.REOPEN)
        iou.settled_on = None
        iou.save(update_fields=["status", "settled_on", "updated_at"])


def _last_payment_day(iou: Iou):
    return (Transaction.objects.filter(iou=iou, kind__in=[TransactionKind.REPAYMENT, TransactionKind.WAIVER],
                                       reversed_by__isnull=True).order_by("-day").values_list("day", flat=True)
            .first() or clock.today())


def _reverse_disbursement(iou: Iou, record: Transaction, reason: str, user) -> Transaction:
    others = Transaction.objects.filter(iou=iou).exclude(pk=record.pk).exists()
    if others or iou.interest_outstanding or iou.penalty_outstanding or iou.fee_outstanding:
        raise InvalidState(_("放款后已发生还款或计息，不能直接冲正放款；请先冲正后续交易。"))
    result = rewind.undo(iou, record, reason, user)
    iou.schedules.update(is_current=False)
    status.transition(iou, Event.UNDO_DISBURSE)
    iou.disbursed_on = iou.maturity_date = iou.limitation_expires_on = None
    iou.save(update_fields=["status", "disbursed_on", "maturity_date", "limitation_expires_on", "updated_at"])
    return result


@transaction.atomic
def iou_waive(*, iou: Iou, component: str, amount, reason: str, user,
              idempotency_key: str | None = None, approval=None) -> Transaction:
    """减免 part or all of the interest, penalty or fees owed (oldest installment first). When an
    approval flow applies to the amount (kind ``iou_waive``, e.g. from ¥1,000), only with its approved
    request (``approval``)."""
    request = idempotency.request_hash("waiver", iou=iou.pk, component=component, amount=amount, reason=reason)
    iou = lock(iou)
    check_user(iou, user, "ious.waive_iou")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    if not predicates.can_waive(iou):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能减免。") % {
            "number": iou.number, "status": iou.get_status_display()})
    if component not in WAIVABLE:
        raise ValidationFailed(_("只能减免利息、罚息或费用；本金不能减免，请走核销流程。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写减免原因。"))
    amount = calc_guard(parse_amount, amount, field="减免金额")
    approval_gate(IOU_WAIVE, iou, amount=amount, approval=approval)
    day = clock.today()
    iou_accrue(iou, day=day, user=user)
    rows = current_installments(iou)
    owed = sum((max(unpaid(row)[component], ZERO) for row in rows), ZERO)
    if amount <= 0 or amount > owed:
        raise ValidationFailed(_("减免金额必须大于0，且不超过当前未还%(component)s ¥%(owed)s。") % {
            "component": WAIVABLE_NAMES[component], "owed": f"{owed:,.2f}"})
    receivable, income, field = WAIVABLE[component]
    left, breakdown = amount, []
    for row in rows:
        take = min(left, max(unpaid(row)[component], ZERO))
        if take > 0:
            setattr(row, field, getattr(row, field) + take)
            row.save(update_fields=[field])
            breakdown.append({"number": row.number, "component": component, "amount": str(take)})
            left -= take
        if left == 0:
            break
    lines = [Line(income, debit=amount), Line(receivable, credit=amount)]
    entry = post_entry(kind=EntryKind.WAIVER, lines=lines, memo=f"{_g('减免')} {iou.number}：{reason}"[:200],
                       iou_id=iou.pk, day=day, user=user)
    iou.save(update_fields=[*apply_lines(iou, lines), "updated_at"])
    record = Transaction.objects.create(
        iou=iou, kind=TransactionKind.WAIVER, day=day, amount=amount, reason=reason, allocation=breakdown,
        entry_id=entry.pk, idempotency_key=idempotency_key, request_hash=request, created_by=user,
        **{component: amount},
    )
    refresh_delinquency(iou, rows, day)
    settle_if_paid(iou, rows, day)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("减免"), reason=reason,
                 changes={component: [None, str(amount)]})
    return record
