"""Rewinding an IOU to an earlier date and posting what came after again.

A repayment reversed, or a repayment entered late with an earlier date, changes what was overdue
from its date on: the repayments after it are allocated differently and the penalty after it runs
on a different amount. Both are taken back (latest first, ``rewind``) and posted again in order
(``replay``), then penalty is accrued again up to where it had been (Fineract's "reprocess" of
subsequent transactions). ``undo`` reverses one money event; corrections.py (冲正) and
repayment.py (a late entry) call these. Above payments and accrual; it imports no event module.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState
from ioudesk.ious import predicates
from ioudesk.ious.models import Installment, Iou, PaymentSource, ScheduleVersion, Transaction, TransactionKind
from ioudesk.ious.services.accrual import iou_accrue, refresh_delinquency
from ioudesk.ious.services.allocation import RECEIVABLE, apply_allocation, totals
from ioudesk.ious.services.installments import WAIVED_FIELDS, current_installments
from ioudesk.ious.services.ledgering import ZERO, apply_lines
from ioudesk.ious.services.payments import repay_locked
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.services import Line, reverse_entry

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
        undo(iou, event, reason, user)
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


def undo(iou: Iou, original: Transaction, reason: str, user) -> Transaction:
    """Reverse one money event: the mirror entry, and what it did to the installments taken back
    on the installments it touched: those of the schedule version current when it was posted.
    When a later version has replaced that schedule since (extension, tranche, early settlement),
    what becomes owed again is also carried onto the current schedule (``_carry_forward``)."""
    if _paid_on_demand(original) and iou.schedules.exists():
        # Put on no installment (payments.on_demand) and charged its interest in its own entry,
        # which the early settlement since built on: taking it back would unbalance that schedule.
        raise InvalidState(_("这笔还款登记时欠条未约定还款期限，此后已办理提前结清（生成了还款计划），不能再冲正。"))
    reversal = _reverse_posting(iou, original, reason, user)
    if original.kind == TransactionKind.PENALTY:
        _unaccrue_penalty(iou, original)
    elif original.allocation:
        version = schedule_when_posted(iou, original)
        rows = list(Installment.objects.filter(schedule=version)) if version is not None else []
        owed_again = dict.fromkeys(RECEIVABLE, ZERO)
        if original.kind == TransactionKind.WAIVER:
            by_number = {row.number: row for row in rows}
            for line in original.allocation:
                row = by_number[line["number"]]
                field = WAIVED_FIELDS[line["component"]]
                setattr(row, field, getattr(row, field) - Decimal(line["amount"]))
                row.save(update_fields=[field])
                owed_again[line["component"]] += Decimal(line["amount"])
        else:
            apply_allocation(rows, original.allocation, original.day, sign=-1)
            owed_again = totals(original.allocation)
        if version is not None and not version.is_current:
            _carry_forward(iou, owed_again)
    return Transaction.objects.create(
        iou=iou, kind=TransactionKind.REVERSAL, day=clock.today(), amount=original.amount,
        principal=original.principal, interest=original.interest, penalty=original.penalty, fee=original.fee,
        overpayment=original.overpayment, reverses=original, reason=reason,
        entry_id=reversal.pk if reversal else None, created_by=user,
    )


def _paid_on_demand(original: Transaction) -> bool:
    """A payment on a 欠条 without a due date: money put on the debt, on no installment."""
    return (original.kind == TransactionKind.REPAYMENT and not original.allocation
            and any((original.principal, original.interest, original.fee, original.penalty)))


def schedule_when_posted(iou: Iou, original: Transaction) -> ScheduleVersion | None:
    """The schedule version an IOU document was allocated on: the latest one made before it (a
    document names installments by number, and every version numbers its own)."""
    return (iou.schedules.filter(created_at__lte=original.created_at).order_by("-version").first()
            or iou.schedules.filter(is_current=True).first())


def _carry_forward(iou: Iou, owed: dict[str, Decimal]) -> None:
    """What a reversal makes owed again on a schedule that has been replaced goes where the new
    version put everything owed when it was made: its installment due on its effective date
    (installment 0 of an extension or tranche, made now if nothing was owed then; the one
    installment of an early settlement). So the current schedule owes what the balances say."""
    if not any(owed.values()):
        return
    current = iou.schedules.filter(is_current=True).first()
    if current is None:
        return
    row = (Installment.objects.filter(schedule=current, due_date=current.effective_from).order_by("number").first()
           or Installment(schedule=current, number=0, due_date=current.effective_from, principal_due=ZERO,
                          interest_due=ZERO, interest_accrued=True, penalty_accrued_to=clock.today()))
    row.principal_due += owed["principal"]
    row.interest_due += owed["interest"]
    row.fee_due += owed["fee"]
    row.penalty_charged += owed["penalty"]
    row.paid_off_on = None
    row.save()


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
