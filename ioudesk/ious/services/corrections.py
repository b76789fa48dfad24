"""冲正 and 减免: corrections that leave the original visible.

A reversal posts the mirror entry of the original and undoes what it did to the installments.
Reversing a repayment also takes back every later repayment and penalty accrual and posts them
again in order (``rewind``/``replay``), so the allocation of later payments and the penalty are
what they would have been without the reversed one (Fineract's "reprocess" of subsequent
transactions). A repayment entered late with an earlier date goes through the same rewind. A waiver writes a receivable off against the income it
came from (Dr 利息收入/罚息收入/手续费收入, Cr the receivable).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates, status
from ioudesk.ious.models import Installment, Iou, PaymentSource, Status, Transaction, TransactionKind
from ioudesk.ious.services import idempotency
from ioudesk.ious.services.accrual import current_installments, iou_accrue, refresh_delinquency, unpaid
from ioudesk.ious.services.ledgering import ZERO, apply_lines, lock
from ioudesk.ious.services.repayment import _check_user, apply_allocation, repay_locked, settle_if_paid
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind, JournalEntry
from ioudesk.ledger.services import Line, post_entry, reverse_entry

WAIVABLE = {
    "interest": (AccountCode.INTEREST_RECEIVABLE, AccountCode.INTEREST_INCOME, "interest_waived"),
    "penalty": (AccountCode.PENALTY_RECEIVABLE, AccountCode.PENALTY_INCOME, "penalty_waived"),
    "fee": (AccountCode.FEES_RECEIVABLE, AccountCode.FEE_INCOME, "fee_waived"),
}
WAIVABLE_NAMES = {"interest": _("利息"), "penalty": _("罚息"), "fee": _("费用")}


def _reverse_posting(iou: Iou, original: Transaction, reason: str, user) -> JournalEntry | None:
    if original.entry_id is None:
        return None  # a penalty accrual that came to 0.00: nothing was posted
    entry = JournalEntry.objects.get(pk=original.entry_id)
    reversal = reverse_entry(entry=entry, reason=reason, user=user, day=clock.today())
    lines = [Line(p.account.code, debit=p.debit, credit=p.credit) for p in reversal.postings.select_related("account")]
    fields = apply_lines(iou, lines)
    if fields:
        iou.save(update_fields=[*fields, "updated_at"])
    return reversal


def _undo(iou: Iou, original: Transaction, reason: str, user) -> Transaction:
    reversal = _reverse_posting(iou, original, reason, user)
    if original.kind == TransactionKind.PENALTY:
        _unaccrue_penalty(iou, original)
    elif original.allocation:
        rows = list(Installment.objects.filter(schedule__iou=iou))
        if original.kind == TransactionKind.WAIVER:
            by_number = {row.number: row for row in rows}
            for line in original.allocation:
                row = by_number[line["number"]]
                field = WAIVABLE[line["component"]][2]
                setattr(row, field, getattr(row, field) - Decimal(line["amount"]))
                row.save(update_fields=[field])
        else:
            apply_allocation(rows, original.allocation, original.day, sign=-1)
    return Transaction.objects.create(
        iou=iou, kind=TransactionKind.REVERSAL, day=clock.today(), amount=original.amount,
        principal=original.principal, interest=original.interest, penalty=original.penalty, fee=original.fee,
        overpayment=original.overpayment, reverses=original, reason=reason,
        entry_id=reversal.pk if reversal else None, created_by=user,
    )


def _unaccrue_penalty(iou: Iou, accrual: Transaction) -> None:
    """Take back what one penalty accrual charged on each installment, back to where it started."""
    by_pk = {row.pk: row for row in Installment.objects.filter(pk__in=[d["installment"] for d in accrual.allocation])}
    for detail in accrual.allocation:
        row = by_pk[detail["installment"]]
        row.penalty_charged -= Decimal(detail["penalty"])
        row.penalty_accrued_to = date.fromisoformat(detail["since"]) if detail["since"] else None
        row.save(update_fields=["penalty_charged", "penalty_accrued_to"])
    excess = sum((Decimal(d["excess"]) for d in accrual.allocation), ZERO)
    if excess:
        iou.cap_unprotected_penalty -= excess
        iou.save(update_fields=["cap_unprotected_penalty", "updated_at"])


@transaction.atomic
def transaction_reverse(*, record: Transaction, reason: str, user, idempotency_key: str | None = None) -> Transaction:
    """冲正 a repayment, a waiver or (before anything else happened) a disbursement."""
    request = idempotency.request_hash("reversal", iou=record.iou_id, transaction=record.pk, reason=reason)
    iou = lock(record.iou)
    record = Transaction.objects.select_for_update().get(pk=record.pk)
    _check_user(iou, user, "ious.reverse_transaction")
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

    if record.kind == TransactionKind.REPAYMENT:
        result = _reverse_repayment(iou, record, reason, user)
    elif record.kind == TransactionKind.WAIVER:
        result = _undo(iou, record, reason, user)
        refresh_delinquency(iou, current_installments(iou), clock.today())
    elif record.kind in (TransactionKind.DISBURSEMENT, TransactionKind.ACTIVATION):
        result = _reverse_disbursement(iou, record, reason, user)
    else:
        raise InvalidState(_("只能冲正还款、减免或放款。"))
    if idempotency_key:
        Transaction.objects.filter(pk=result.pk).update(idempotency_key=idempotency_key, request_hash=request)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("冲正"), reason=reason,
                 changes={"transaction": [f"{record.get_kind_display()} {record.amount}", None]})
    return result


def _reverse_repayment(iou: Iou, record: Transaction, reason: str, user) -> Transaction:
    later = later_repayments(iou, record=record)
    replay_reason = _g("因冲正 %(day)s 的还款重新分摊") % {"day": record.day.isoformat()}
    accrued_to = rewind(iou, later, after=record.day, reason=replay_reason, user=user)
    result = _undo(iou, record, reason, user)
    if status.can(iou, Event.REOPEN):
        status.transition(iou, Event.REOPEN)
        iou.settled_on = None
        iou.save(update_fields=["status", "settled_on", "updated_at"])
    replay(iou, later, reason=replay_reason, user=user, accrued_to=accrued_to)
    return result


# --- rewinding to an earlier date --------------------------------------------------------------
# A repayment reversed, or a repayment entered late with an earlier date, changes what was overdue
# from its date on: the repayments after it are allocated differently and the penalty after it
# runs on a different amount. Both are taken back (latest first) and posted again in order, then
# penalty is accrued again up to where it had been (Fineract's reprocessing of later transactions).

# Money events after the date that rewinding cannot take back and post again by itself.
BLOCKING = {TransactionKind.WAIVER: _("减免"), TransactionKind.REFUND: _("退还溢缴款"),
            TransactionKind.WRITE_OFF: _("核销"), TransactionKind.RECOVERY: _("核销后收回"),
            TransactionKind.DISBURSEMENT: _("放款")}


def later_repayments(iou: Iou, *, record: Transaction | None = None, after: date | None = None) -> list[Transaction]:
    """The live repayments after `record` (same day: entered after it), or dated after `after`,
    in the order they were posted."""
    payments = Transaction.objects.filter(iou=iou, kind=TransactionKind.REPAYMENT, reversed_by__isnull=True)
    if record is not None:
        payments = payments.filter(day__gte=record.day).exclude(pk=record.pk).exclude(day=record.day, pk__lt=record.pk)
    else:
        payments = payments.filter(day__gt=after)
    return list(payments.order_by("day", "pk"))


def penalties_after(iou: Iou, day: date):
    """The live penalty accruals dated after `day`."""
    return Transaction.objects.filter(iou=iou, kind=TransactionKind.PENALTY, reversed_by__isnull=True, day__gt=day)


def rewind(iou: Iou, payments: list[Transaction], *, after: date, reason: str, user,
           late_entry: bool = False) -> date | None:
    """Take back `payments` and every penalty accrual dated after `after`, latest first. Returns
    the date penalty had been accrued to (to accrue again to), or None when none was taken back.
    `late_entry`: for a repayment entered late (the refusal then says it can be entered as of today)."""
    penalties = list(penalties_after(iou, after))
    if penalties:
        _refuse_what_cannot_be_replayed(iou, after, late_entry)
    for event in sorted([*payments, *penalties], key=lambda t: (t.day, t.pk), reverse=True):
        _undo(iou, event, reason, user)
    return max((p.day for p in penalties), default=None)


def replay(iou: Iou, payments: list[Transaction], *, reason: str, user, accrued_to: date | None) -> None:
    """Post `payments` again in order, accrue penalty again up to `accrued_to`, and bring days past
    due and the status up to the business date."""
    for payment in payments:
        if payment.source == PaymentSource.CREDIT:
            continue  # credit applications happen again by themselves as the payments are replayed
        repay_locked(iou, amount=payment.amount, day=payment.day, method=payment.method, user=user,
                     reference=payment.reference, payer=payment.payer, reason=reason)
    if accrued_to is not None and predicates.is_live(iou):
        iou_accrue(iou, day=accrued_to, user=user, refresh=False)
    refresh_delinquency(iou, current_installments(iou), clock.today())


def _refuse_what_cannot_be_replayed(iou: Iou, after: date, late_entry: bool) -> None:
    kinds = (Transaction.objects.filter(iou=iou, kind__in=list(BLOCKING), reversed_by__isnull=True, day__gt=after)
             .order_by("day").values_list("kind", flat=True))
    names = list(dict.fromkeys(str(BLOCKING[kind]) for kind in kinds))
    if iou.schedules.filter(effective_from__gt=after, version__gt=1).exists():
        names.append(str(_("展期/重组/提前结清")))
    if names:
        message = _("%(day)s 之后已计收罚息，并办理过%(what)s。重算这段时间的罚息需要先冲正这些业务。") % {
            "day": after.isoformat(), "what": str(_("、")).join(names)}
        if late_entry:
            message = str(message) + str(_("也可以按今天的营业日登记这笔还款。"))
        raise InvalidState(message)


def _reverse_disbursement(iou: Iou, record: Transaction, reason: str, user) -> Transaction:
    others = Transaction.objects.filter(iou=iou).exclude(pk=record.pk).exists()
    if others or iou.interest_outstanding or iou.penalty_outstanding or iou.fee_outstanding:
        raise InvalidState(_("放款后已发生还款或计息，不能直接冲正放款；请先冲正后续交易。"))
    result = _undo(iou, record, reason, user)
    iou.schedules.update(is_current=False)
    status.transition(iou, Event.UNDO_DISBURSE)
    iou.disbursed_on = iou.maturity_date = iou.limitation_expires_on = None
    iou.save(update_fields=["status", "disbursed_on", "maturity_date", "limitation_expires_on", "updated_at"])
    return result


@transaction.atomic
def iou_waive(*, iou: Iou, component: str, amount, reason: str, user,
              idempotency_key: str | None = None) -> Transaction:
    """减免 part or all of the interest, penalty or fees owed (oldest installment first)."""
    request = idempotency.request_hash("waiver", iou=iou.pk, component=component, amount=amount, reason=reason)
    iou = lock(iou)
    _check_user(iou, user, "ious.waive_iou")
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
