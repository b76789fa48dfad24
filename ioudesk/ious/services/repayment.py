"""还款: a payment allocated by the IOU's strategy across what is due on its date, the rest kept as
customer credit (applied when the next installment falls due, or refunded). Partial, late and
early payments all go through here; early settlement (提前结清) is in settlement.py.

The posting itself is payments.repay_locked (shared with settlement and the replay after a
reversal); allocation and customer credit are in allocation.py.
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
from ioudesk.ious import predicates
from ioudesk.ious.models import Iou, PaymentMethod, Transaction
from ioudesk.ious.services import idempotency, rewind
from ioudesk.ious.services.guards import check_day, check_user
from ioudesk.ious.services.ledgering import lock
from ioudesk.ious.services.payments import on_demand_paid_after, repay_locked
from ioudesk.ious.terms import calc_guard


@transaction.atomic
def iou_repay(*, iou: Iou, amount, user, day: date | None = None, method: str = PaymentMethod.BANK_TRANSFER,
              reference: str = "", payer: str = "", idempotency_key: str | None = None) -> Transaction:
    """Record a payment. The same idempotency key twice posts once and returns the first result."""
    request = idempotency.request_hash("repayment", iou=iou.pk, amount=amount, day=day, method=method,
                                       reference=reference, payer=payer)
    iou = lock(iou)
    check_user(iou, user, "ious.record_repayment")
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

    # Entered late with an earlier date, after penalty has run since on money this payment had
    # already paid (or, on a debt payable on demand, after later payments charged interest on
    # what it had paid): take back what came after it, post it on its date, and post the rest again.
    rewinding = day < today and (rewind.penalties_after(iou, day).exists() or on_demand_paid_after(iou, day))
    if rewinding:
        replay_reason = _g("因补登 %(day)s 的还款重新分摊") % {"day": day.isoformat()}
        later = rewind.later_repayments(iou, after=day)
        accrued_to = rewind.rewind(iou, later, after=day, reason=replay_reason, user=user, late_entry=True)
    record = repay_locked(iou, amount=amount, day=day, method=method, reference=reference, payer=payer,
                          user=user, idempotency_key=idempotency_key, request_hash=request, today=today)
    if rewinding:
        rewind.replay(iou, later, reason=replay_reason, user=user, accrued_to=accrued_to)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("登记还款"), changes={"amount": [None, str(amount)]},
                 reason=reference)
    return record
