"""提前结清 (early settlement on a quote), 退还溢缴款 (refund of customer credit).

Early settlement: interest for the broken period since the last due date (or disbursement) on the
principal not yet due at the contract rate (overdue principal bears its penalty instead), plus the
prepayment fee, is charged (docs/domain.md §10); the remaining schedule is replaced by one
installment due today holding everything owed (a new schedule version, so the original stays in
the history); the payment must cover it and then settles the IOU.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.daycount import DayCount
from ioudesk.calc.interest import settlement_quote
from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates
from ioudesk.ious.approval_codes import IOU_REFUND
from ioudesk.ious.models import (
    Installment,
    Iou,
    PaymentMethod,
    ScheduleKind,
    ScheduleVersion,
    Transaction,
    TransactionKind,
)
from ioudesk.ious.services import idempotency
from ioudesk.ious.services.accrual import iou_accrue
from ioudesk.ious.services.guards import approval_gate, check_day, check_user, funding_for
from ioudesk.ious.services.installments import current_installments, unpaid
from ioudesk.ious.services.ledgering import ZERO, lock, post
from ioudesk.ious.services.payments import on_demand_interest_from, repay_locked
from ioudesk.ious.terms import calc_guard, set_last_due
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line


@dataclass(frozen=True)
class Quote:
    day: date
    principal: Decimal
    interest_due: Decimal  # already on the books
    broken_interest: Decimal  # for the days since the last due date
    penalty: Decimal
    fee: Decimal
    prepayment_fee: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        return (self.principal + self.interest_due + self.broken_interest + self.penalty + self.fee
                + self.prepayment_fee - self.credit)


def _interest_paid_to(iou: Iou, rows: list[Installment], day: date) -> date:
    if not rows:  # payable on demand: charged to the latest payment, or from the day it took effect
        return on_demand_interest_from(iou)
    passed = [row.due_date for row in rows if row.due_date <= day]
    return max(passed) if passed else iou.disbursed_on


def quote_locked(iou: Iou, day: date) -> Quote:
    """For an IOU already accrued to `day`."""
    rows = current_installments(iou)
    # calc's one rule (docs/domain.md §10, §11): the broken-period interest and the prepayment fee
    # are on the principal not yet due; overdue principal is late, not early, and bears penalty.
    if rows:
        not_yet_due = sum((unpaid(row)["principal"] for row in rows if row.due_date > day), ZERO)
        fee_rate = iou.prepayment_fee_rate
    else:
        # A 欠条 without a due date is payable on demand: none of it is overdue, so all of it bears
        # interest for the days since it took effect; nor is any of it repaid before a due date.
        not_yet_due, fee_rate = iou.principal_outstanding, ZERO
    calc = calc_guard(
        settlement_quote, outstanding_principal=iou.principal_outstanding, annual_rate=iou.annual_rate,
        interest_paid_to=_interest_paid_to(iou, rows, day), settle_on=day, day_count=DayCount.parse(iou.day_count),
        prepayment_fee_rate=fee_rate, principal_not_yet_due=not_yet_due,
    )
    return Quote(day=day, principal=iou.principal_outstanding, interest_due=iou.interest_outstanding,
                 broken_interest=calc.interest, penalty=iou.penalty_outstanding, fee=iou.fee_outstanding,
                 prepayment_fee=calc.prepayment_fee, credit=iou.overpayment)


@transaction.atomic
def iou_settlement_quote(*, iou: Iou, user, day: date | None = None) -> Quote:
    """What settles the IOU on `day` (the business date). Nothing is posted: the accrual that
    the quote needs runs in a savepoint that is rolled back."""
    iou = lock(iou)
    check_user(iou, user, "ious.view_iou")
    if not predicates.can_settle_early(iou):
        raise InvalidState(_("只有未结清的借据可以报价提前结清。"))
    day = check_day(iou, day)
    savepoint = transaction.savepoint()
    try:
        iou_accrue(iou, day=day, user=None)
        return quote_locked(iou, day)
    finally:
        transaction.savepoint_rollback(savepoint)


@transaction.atomic
def iou_settle_early(*, iou: Iou, amount, user, method: str = PaymentMethod.BANK_TRANSFER, reference: str = "",
                     payer: str = "", idempotency_key: str | None = None) -> Transaction:
    request = idempotency.request_hash("early_settlement", iou=iou.pk, amount=amount, method=method,
                                       reference=reference, payer=payer)
    iou = lock(iou)
    check_user(iou, user, "ious.record_repayment")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    if not predicates.can_settle_early(iou):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能提前结清。") % {
            "number": iou.number, "status": iou.get_status_display()})
    day = clock.today()
    iou_accrue(iou, day=day, user=user)
    quote = quote_locked(iou, day)
    amount = calc_guard(parse_amount, amount, field="还款金额")
    if amount < quote.total:
        raise ValidationFailed(_("提前结清需支付 ¥%(total)s（本金、利息、罚息、费用合计，已扣除溢缴款），本次金额不足。") % {
            "total": f"{quote.total:,.2f}"})
    post(iou, kind=EntryKind.INTEREST_ACCRUAL, day=day, user=user, memo=f"{_g('提前结清计息')} {iou.number}",
         lines=[Line(AccountCode.INTEREST_RECEIVABLE, debit=quote.broken_interest),
                Line(AccountCode.INTEREST_INCOME, credit=quote.broken_interest),
                Line(AccountCode.FEES_RECEIVABLE, debit=quote.prepayment_fee),
                Line(AccountCode.FEE_INCOME, credit=quote.prepayment_fee)])
    _replace_schedule(iou, day, quote)
    record = repay_locked(iou, amount=amount, day=day, method=method, reference=reference, payer=payer,
                          user=user, idempotency_key=idempotency_key, request_hash=request, reason=_g("提前结清"))
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("提前结清"), changes={"amount": [None, str(amount)]})
    return record


def _replace_schedule(iou: Iou, day: date, quote: Quote) -> None:
    rows = current_installments(iou)
    owed = {k: sum((max(unpaid(row)[k], ZERO) for row in rows), ZERO) for k in ("interest", "fee", "penalty")}
    if not rows:  # payable on demand: what its payments left unpaid is on the IOU (as quoted), not on installments
        owed = {"interest": quote.interest_due, "fee": quote.fee, "penalty": quote.penalty}
    # A 欠条 without a due date has no schedule yet: its settlement installment is version 1.
    last = iou.schedules.order_by("-version").values_list("version", flat=True).first() or 0
    ScheduleVersion.objects.filter(iou=iou, is_current=True).update(is_current=False)
    version = ScheduleVersion.objects.create(iou=iou, version=last + 1, effective_from=day,
                                             reason=_g("提前结清"), kind=ScheduleKind.SETTLEMENT, term=1,
                                             rate_text=iou.rate_text, annual_rate=iou.annual_rate)
    Installment.objects.create(
        schedule=version, number=1, due_date=day, principal_due=quote.principal,
        interest_due=owed["interest"] + quote.broken_interest, fee_due=owed["fee"] + quote.prepayment_fee,
        interest_accrued=True, penalty_charged=owed["penalty"], penalty_accrued_to=day,
    )
    set_last_due(iou, day)  # the settlement installment is the last one; 首期还款日 is left as agreed
    iou.save(update_fields=["maturity_date", "limitation_expires_on", "updated_at"])


@transaction.atomic
def iou_refund_credit(*, iou: Iou, user, amount=None, method: str = PaymentMethod.BANK_TRANSFER,
                      reference: str = "", idempotency_key: str | None = None, approval=None) -> Transaction:
    """退还溢缴款: Dr 客户溢缴款 / Cr the funding account. When an approval flow applies (kind
    ``iou_refund``), only with its approved request (``approval``)."""
    request = idempotency.request_hash("refund", iou=iou.pk, amount=amount, method=method, reference=reference)
    iou = lock(iou)
    check_user(iou, user, "ious.record_repayment")
    existing = idempotency.replayed(idempotency_key, iou=iou, request=request)  # after the lock: a twin waits
    if existing is not None:
        return existing
    if iou.overpayment > 0 and not predicates.can_refund(iou):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能退还溢缴款。") % {
            "number": iou.number, "status": iou.get_status_display()})
    amount = iou.overpayment if amount is None else calc_guard(parse_amount, amount, field="退款金额")
    if amount <= 0 or amount > iou.overpayment:
        raise ValidationFailed(_("退款金额必须大于0且不超过溢缴款余额 ¥%(credit)s。") % {"credit": f"{iou.overpayment:,.2f}"})
    approval_gate(IOU_REFUND, iou, amount=amount, approval=approval)
    day = clock.today()
    entry = post(iou, kind=EntryKind.REFUND, day=day, user=user, memo=f"{_g('退还溢缴款')} {iou.number}",
                 lines=[Line(AccountCode.CUSTOMER_CREDIT, debit=amount), Line(funding_for(method), credit=amount)])
    record = Transaction.objects.create(iou=iou, kind=TransactionKind.REFUND, day=day, amount=amount,
                                        overpayment=amount, method=method, reference=reference, entry_id=entry.pk,
                                        idempotency_key=idempotency_key, request_hash=request, created_by=user)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("退还溢缴款"), changes={"amount": [None, str(amount)]})
    return record
