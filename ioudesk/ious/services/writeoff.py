"""核销 and 核销后收回.

Write-off: customer credit (溢缴款) is first set off against the debt (Dr 客户溢缴款 / Cr the
receivables, a credit application of its own, recorded as 溢缴 on the write-off); then Dr 贷款损失 /
Cr every receivable left (principal, interest, penalty, fees), and off the balance sheet
Dr 核销本金（表外）and 核销利息（表外）/ Cr 表外登记对方, so the debt is still tracked.
Recovery: Dr the funding account / Cr 核销后收回收入, and the memo accounts are reduced by what
came back (principal first). Every write-off records its 收回方式.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates, status
from ioudesk.ious.approval_codes import IOU_WRITE_OFF
from ioudesk.ious.models import Iou, PaymentMethod, RecoveryMethod, Status, Transaction, TransactionKind
from ioudesk.ious.services import idempotency
from ioudesk.ious.services.accrual import iou_accrue
from ioudesk.ious.services.allocation import apply_credit
from ioudesk.ious.services.guards import approval_gate, check_day, check_user, funding_for
from ioudesk.ious.services.ledgering import ZERO, lock, post
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line


@transaction.atomic
def iou_write_off(*, iou: Iou, user, reason: str, recovery_method: str = RecoveryMethod.WRITE_OFF,
                  idempotency_key: str | None = None, approval=None) -> Transaction:
    """核销. When an approval flow applies (kind ``iou_write_off``), only with its approved request
    (``approval``)."""
    request = idempotency.request_hash("write_off", iou=iou.pk, reason=reason, recovery_method=recovery_method)
    iou = lock(iou)
    check_user(iou, user, "ious.write_off_iou")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    status.target(iou, Event.WRITE_OFF)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写核销原因（如：债务人死亡、破产，经诉讼执行仍无法收回）。"))
    if recovery_method not in RecoveryMethod.values:
        raise ValidationFailed(_("请选择收回方式。"))
    approval_gate(IOU_WRITE_OFF, iou, amount=iou.total_outstanding, approval=approval)
    day = clock.today()
    rows = iou_accrue(iou, day=day, user=user)
    if iou.total_outstanding <= 0:
        # Nothing to post (an IOU reopened owing nothing by a reversal before that was fixed).
        raise InvalidState(_("借据 %(number)s 没有未还欠款，无需核销。") % {"number": iou.number})
    # The customer's credit is money owed back to the debtor: set off against the debt first
    # (民法典第五百六十八条), and only the rest is written off (docs/domain.md §10).
    if iou.overpayment > 0 and iou.overpayment >= iou.total_outstanding:
        raise InvalidState(_("溢缴款 ¥%(credit)s 足以清偿全部欠款 ¥%(owed)s，无需核销：请办理提前结清。") % {
            "credit": f"{iou.overpayment:,.2f}", "owed": f"{iou.total_outstanding:,.2f}"})
    set_off = apply_credit(iou, rows, day=day, user=user, set_off=True) if iou.overpayment > 0 else None
    credit_set_off = set_off.amount if set_off else ZERO
    # What is written off, by component (read before posting: the posting moves the balances to 0).
    principal, interest, penalty, fee = (iou.principal_outstanding, iou.interest_outstanding,
                                         iou.penalty_outstanding, iou.fee_outstanding)
    off_balance_interest = interest + penalty + fee  # 核销利息（表外）keeps all but the principal
    total = principal + off_balance_interest
    lines = [
        Line(AccountCode.LOAN_LOSS, debit=total),
        Line(AccountCode.LOANS, credit=principal),
        Line(AccountCode.INTEREST_RECEIVABLE, credit=interest),
        Line(AccountCode.PENALTY_RECEIVABLE, credit=penalty),
        Line(AccountCode.FEES_RECEIVABLE, credit=fee),
        Line(AccountCode.MEMO_WRITTEN_OFF_PRINCIPAL, debit=principal),
        Line(AccountCode.MEMO_WRITTEN_OFF_INTEREST, debit=off_balance_interest),
        Line(AccountCode.MEMO_CONTRA, credit=total),
    ]
    entry = post(iou, kind=EntryKind.WRITE_OFF, lines=lines, day=day, user=user,
                 memo=f"{_g('核销')} {iou.number}：{reason}"[:200])
    # The document's breakdown is the entry's, component by component (the transaction list
    # shows 利息 and 罚息 from it); its 溢缴 is the credit set off before it.
    record = Transaction.objects.create(
        iou=iou, kind=TransactionKind.WRITE_OFF, day=day, amount=total, principal=principal,
        interest=interest, penalty=penalty, fee=fee, overpayment=credit_set_off, reason=reason, entry_id=entry.pk,
        idempotency_key=idempotency_key, request_hash=request, created_by=user,
    )
    before = status.transition(iou, Event.WRITE_OFF)
    iou.written_off_on, iou.recovery_method = day, recovery_method
    iou.save(update_fields=["status", "written_off_on", "recovery_method", "updated_at"])
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("核销"), reason=reason,
                 changes={"status": [before, iou.status], "amount": [None, str(total)],
                          "credit_set_off": [None, str(credit_set_off)],
                          "recovery_method": [None, recovery_method]})
    return record


@transaction.atomic
def iou_recover(*, iou: Iou, amount, user, day: date | None = None, method: str = PaymentMethod.BANK_TRANSFER,
                reference: str = "", payer: str = "", idempotency_key: str | None = None) -> Transaction:
    request = idempotency.request_hash("recovery", iou=iou.pk, amount=amount, day=day, method=method,
                                       reference=reference, payer=payer)
    iou = lock(iou)
    check_user(iou, user, "ious.record_repayment")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    if not predicates.can_recover(iou):
        if iou.status == Status.WRITTEN_OFF:
            raise InvalidState(_("核销的金额已全部收回，不能再登记核销后收回。"))
        raise InvalidState(_("只有已核销的借据才能登记核销后收回；未核销的请登记还款。"))
    amount = calc_guard(parse_amount, amount, field="收回金额")
    remaining = iou.written_off_principal + iou.written_off_interest
    if amount <= 0 or amount > remaining:
        raise ValidationFailed(_("收回金额必须大于0，且不超过尚未收回的核销金额 ¥%(left)s。") % {"left": f"{remaining:,.2f}"})
    day = check_day(iou, day)
    principal = min(amount, iou.written_off_principal)
    interest = amount - principal
    lines = [
        Line(funding_for(method), debit=amount), Line(AccountCode.RECOVERY_INCOME, credit=amount),
        Line(AccountCode.MEMO_CONTRA, debit=amount),
        Line(AccountCode.MEMO_WRITTEN_OFF_PRINCIPAL, credit=principal),
        Line(AccountCode.MEMO_WRITTEN_OFF_INTEREST, credit=interest),
    ]
    entry = post(iou, kind=EntryKind.RECOVERY, lines=lines, day=day, user=user,
                 memo=f"{_g('核销后收回')} {iou.number}")
    record = Transaction.objects.create(
        iou=iou, kind=TransactionKind.RECOVERY, day=day, amount=amount, principal=principal, interest=interest,
        method=method, reference=reference, payer=payer, entry_id=entry.pk, idempotency_key=idempotency_key,
        request_hash=request,
        created_by=user,
    )
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("核销后收回"), changes={"amount": [None, str(amount)]})
    return record
