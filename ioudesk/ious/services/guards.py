"""Checks every IOU money service makes before it acts: who may act on this IOU, which business
day the event may carry, and which account a payment method's money goes to.

A building block below the event modules (repayment, corrections, settlement, restructure,
writeoff): it imports none of them.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.services import gate
from ioudesk.core import clock, scope
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.ious.models import Iou, PaymentMethod
from ioudesk.ledger.chart import AccountCode


def check_user(iou: Iou, user, perm: str) -> None:
    """The user holds `perm` and sees the IOU's branch (the data scope), or is refused."""
    if not user.has_perm(perm) or not scope.can_see_branch(user, iou.branch_id):
        raise PermissionDenied(_("您没有办理此业务的权限。"))


def approval_gate(kind: str, iou: Iou, *, amount=None, approval=None) -> None:
    """Refused (``ApprovalRequired``) when an approval flow applies to this operation on this IOU and
    ``approval`` is not its approved request: the one door, so neither a page nor the API can go
    round the flow (docs/domain.md §23). Without a flow, nothing happens."""
    gate(kind, target=iou, amount=amount, product_id=iou.product_id, branch_id=iou.branch_id, approval=approval)


def check_day(iou: Iou, day: date | None, *, today: date | None = None) -> date:
    """The day a payment is dated: the business date by default, never later, never before the
    IOU was paid out."""
    today = today or clock.today()
    day = day or today
    if day > today:
        raise ValidationFailed(_("业务日期不能晚于营业日 %(day)s。") % {"day": today.isoformat()})
    if iou.disbursed_on and day < iou.disbursed_on:
        raise ValidationFailed(_("还款日期 %(day)s 早于放款日 %(start)s，请核对日期。") % {
            "day": day.isoformat(), "start": iou.disbursed_on.isoformat()})
    return day


def funding_for(method: str) -> str:
    """Cash goes to 库存现金, everything else arrives in the bank (基本户)."""
    return AccountCode.CASH if method == PaymentMethod.CASH else AccountCode.BANK_BASIC
