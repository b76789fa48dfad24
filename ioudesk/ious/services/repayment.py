"""还款: a payment allocated by the IOU's strategy across what is due on its date, the rest kept as
customer credit (applied when the next installment falls due, or refunded). Partial, late and
early payments all go through here; early settlement (提前结清) is in settlement.py.

Postings: Dr the funding account / Cr 应收罚息, 应收费用, 应收利息, 贷款-本金 as allocated, and
Cr 客户溢缴款 for any overpayment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.allocation import Direction, DueItem, Strategy, allocate
from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock, prepared, scope
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates, status
from ioudesk.ious.models import (
    Installment,
    Iou,
    PaymentMethod,
    PaymentSource,
    Transaction,
    TransactionKind,
)
from ioudesk.ious.services import idempotency
from ioudesk.ious.services.accrual import installments_due_by, iou_accrue, refresh_delinquency, unpaid
from ioudesk.ious.services.ledgering import ZERO, lock, post
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line

RECEIVABLE = {"penalty": AccountCode.PENALTY_RECEIVABLE, "fee": AccountCode.FEES_RECEIVABLE,
              "interest": AccountCode.INTEREST_RECEIVABLE, "principal": AccountCode.LOANS}
STRATEGIES = {
    "penalty_fee_interest_principal": Strategy.PENALTY_FEE_INTEREST_PRINCIPAL,
    "interest_principal_fee_penalty": Strategy.INTEREST_PRINCIPAL_FEE_PENALTY,
    "principal_first": Strategy.PRINCIPAL_FIRST,
}


def funding_for(method: str) -> str:
    """Cash goes to 库存现金, everything else arrives in the bank (基本户)."""
    return AccountCode.CASH if method == PaymentMethod.CASH else AccountCode.BANK_BASIC


def dues_on(rows: list[Installment], day: date) -> list[DueItem]:
    """What can be paid on `day`: everything on installments due by then, and penalties anywhere."""
    items = []
    for row in rows:
        owed = unpaid(row)
        if row.due_date > day:
            owed = {"principal": ZERO, "interest": ZERO, "fee": ZERO, "penalty": owed["penalty"]}
        if any(v > 0 for v in owed.values()):
            items.append(DueItem(row.number, **{k: max(v, ZERO) for k, v in owed.items()}))
    return items


def allocate_for(iou: Iou, amount: Decimal, rows: list[Installment], day: date):
    return calc_guard(allocate, amount, dues_on(rows, day), strategy=STRATEGIES[iou.allocation_order],
                      direction=Direction(iou.allocation_direction))


def apply_allocation(rows: list[Installment], allocation, day: date, sign: int = 1) -> list[dict]:
    """Add (or with sign=-1 take back) what an allocation paid on each installment."""
    by_number = {row.number: row for row in rows}
    breakdown = []
    for line in allocation:
        number = line["number"] if isinstance(line, dict) else line.number
        parts = {k: (line[k] if isinstance(line, dict) else getattr(line, k)) for k in RECEIVABLE}
        parts = {k: Decimal(str(v)) for k, v in parts.items()}
        if not any(parts.values()):
            continue
        row = by_number[number]
        row.principal_paid += sign * parts["principal"]
        row.interest_paid += sign * parts["interest"]
        row.fee_paid += sign * parts["fee"]
        row.penalty_paid += sign * parts["penalty"]
        row.paid_off_on = day if sign > 0 and not any(v > 0 for v in unpaid(row).values()) \
            and row.interest_accrued else (None if sign < 0 else row.paid_off_on)
        prepared.update(row, ["principal_paid", "interest_paid", "fee_paid", "penalty_paid", "paid_off_on"])
        breakdown.append({"number": number, **{k: str(v) for k, v in parts.items()}})
    return breakdown


def totals(breakdown: list[dict]) -> dict[str, Decimal]:
    return {k: sum((Decimal(line[k]) for line in breakdown), ZERO) for k in RECEIVABLE}


def credit_lines(totals_: dict[str, Decimal]) -> list[Line]:
    return [Line(RECEIVABLE[k], credit=v, component="") for k, v in totals_.items() if v]


@transaction.atomic
def iou_repay(*, iou: Iou, amount, user, day: date | None = None, method: str = PaymentMethod.BANK_TRANSFER,
              reference: str = "", payer: str = "", idempotency_key: str | None = None) -> Transaction:
    """Record a payment. The same idempotency key twice posts once and returns the first result."""
    request = idempotency.request_hash("repayment", iou=iou.pk, amount=amount, day=day, method=method,
                                       reference=reference, payer=payer)
    iou = lock(iou)
    _check_user(iou, user, "ious.record_repayment")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    if not predicates.can_repay(iou):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能登记还款。") % {
            "number": iou.number, "status": iou.get_status_display()})
    amount = calc_guard(parse_amount, amount, field="还款金额")
    if amount <= 0:
        raise ValidationFailed(_("还款金额必须大于0。"))
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("请选择支付方式：现金、银行转账、微信、支付宝或其他。"))
    today = clock.today()
    day = check_day(iou, day, today=today)

    from ioudesk.ious.services import corrections

    # Entered late with an earlier date, after penalty has run since on money this payment had
    # already paid: take back what came after it, post it on its date, and post the rest again.
    rewinding = day < today and corrections.penalties_after(iou, day).exists()
    if rewinding:
        replay_reason = _g("因补登 %(day)s 的还款重新分摊") % {"day": day.isoformat()}
        later = corrections.later_repayments(iou, after=day)
        accrued_to = corrections.rewind(iou, later, after=day, reason=replay_reason, user=user, late_entry=True)
    record = repay_locked(iou, amount=amount, day=day, method=method, reference=reference, payer=payer,
                          user=user, idempotency_key=idempotency_key, request_hash=request, today=today)
    if rewinding:
        corrections.replay(iou, later, reason=replay_reason, user=user, accrued_to=accrued_to)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("登记还款"), changes={"amount": [None, str(amount)]},
                 reason=reference)
    return record


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


def apply_credit(iou: Iou, rows: list[Installment], *, day: date, user=None) -> Transaction | None:
    """Customer credit (溢缴款) pays what has fallen due: Dr 客户溢缴款 / Cr the receivables."""
    allocation = allocate_for(iou, iou.overpayment, rows, day)
    if allocation.applied <= 0:
        return None
    breakdown = apply_allocation(rows, allocation.lines, day)
    paid = totals(breakdown)
    entry = post(iou, kind=EntryKind.REPAYMENT, day=day, user=user, memo=f"{_g('溢缴款冲抵')} {iou.number}",
                 lines=[Line(AccountCode.CUSTOMER_CREDIT, debit=allocation.applied), *credit_lines(paid)])
    return Transaction.objects.create(
        iou=iou, kind=TransactionKind.REPAYMENT, source=PaymentSource.CREDIT, day=day, amount=allocation.applied,
        method=PaymentMethod.OTHER, payer=_g("溢缴款冲抵"), allocation=breakdown, entry_id=entry.pk, created_by=user, **paid,
    )


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


def check_day(iou: Iou, day: date | None, *, today: date | None = None) -> date:
    today = today or clock.today()
    day = day or today
    if day > today:
        raise ValidationFailed(_("业务日期不能晚于营业日 %(day)s。") % {"day": today.isoformat()})
    if iou.disbursed_on and day < iou.disbursed_on:
        raise ValidationFailed(_("还款日期 %(day)s 早于放款日 %(start)s，请核对日期。") % {
            "day": day.isoformat(), "start": iou.disbursed_on.isoformat()})
    return day


def _check_user(iou: Iou, user, perm: str) -> None:
    if not user.has_perm(perm) or not scope.can_see_branch(user, iou.branch_id):
        raise PermissionDenied(_("您没有办理此业务的权限。"))
