"""What may be done to an IOU now: one predicate per action, next to the transition table
(status.py). The back office offers a button, the API lists an action, and the service refuses,
all by the same predicate (Saleor's ``Order.can_cancel()``, checked again in the action).

A predicate answers from the IOU's state alone (``can_approve`` and ``can_reject`` also need the
user: the maker of an IOU may not sign it off, docs/domain.md §17). Whether the user holds the
permission and sees the branch is the other half: ``may(user, iou, action)`` checks both, and
``offered_actions(user, iou)`` lists what a page or the API offers.

Maker-checker (docs/domain.md §23): while an approval request for an action is open (pending or
returned) on the IOU, the action is not offered again; and when an approval flow decides an IOU's
sign-off (kind ``iou_approval``), the single 审批通过/驳回 is not offered: the approvers decide on the
request (the IOU page's pending-request card, the inbox).
"""

from __future__ import annotations

from decimal import Decimal

from ioudesk.approvals.selectors import pending_for
from ioudesk.approvals.services import needs_approval
from ioudesk.core import scope
from ioudesk.ious import status
from ioudesk.ious.approval_codes import ACTION_KINDS, IOU_APPROVAL
from ioudesk.ious.models import LIVE_STATUSES, Iou, IouKind, Status, Transaction, TransactionKind
from ioudesk.ious.status import Event

LIVE = LIVE_STATUSES  # 生效, 逾期, 已展期: disbursed and not settled, written off or cancelled


def is_live(iou: Iou) -> bool:
    return iou.status in LIVE


def can_submit(iou: Iou) -> bool:
    return status.can(iou, Event.SUBMIT)


def is_maker(iou: Iou, user) -> bool:
    return user is not None and iou.created_by_id is not None and iou.created_by_id == user.pk


def can_approve(iou: Iou, user=None) -> bool:
    """待审批, and not by the person who entered it (maker-checker; without a user: the status alone)."""
    return status.can(iou, Event.APPROVE) and not is_maker(iou, user)


def can_reject(iou: Iou, user=None) -> bool:
    return status.can(iou, Event.REJECT) and not is_maker(iou, user)


def flow_decides_approval(iou: Iou) -> bool:
    """An approval flow signs this IOU off (kind ``iou_approval``): not the single 审批."""
    return needs_approval(IOU_APPROVAL, amount=iou.principal, product_id=iou.product_id, branch_id=iou.branch_id)


def awaits_approval_request(iou: Iou) -> bool:
    """待审批 under an ``iou_approval`` flow but without an open request (submitted before the flow was
    configured): submitting it again opens the request."""
    return (iou.status == Status.PENDING_APPROVAL and flow_decides_approval(iou)
            and IOU_APPROVAL not in open_request_kinds(iou))


def open_request_kinds(iou: Iou) -> set[str]:
    """The kinds of the approval requests open (pending or returned) on the IOU."""
    return {request.kind for request in pending_for(iou)}


def can_cancel(iou: Iou) -> bool:
    return status.can(iou, Event.CANCEL)


def can_disburse(iou: Iou) -> bool:
    return status.can(iou, Event.DISBURSE)


def disbursed_total(iou: Iou) -> Decimal:
    """Principal paid out so far (tranches not reversed)."""
    return sum((t.principal for t in Transaction.objects.filter(
        iou=iou, kind=TransactionKind.DISBURSEMENT, reversed_by__isnull=True)), Decimal("0.00"))


def can_disburse_tranche(iou: Iou) -> bool:
    """A live loan paid out in part (分笔放款) with principal still to pay out."""
    return iou.kind == IouKind.LOAN and is_live(iou) and disbursed_total(iou) < iou.principal


def can_repay(iou: Iou) -> bool:
    return is_live(iou)


def can_settle_early(iou: Iou) -> bool:
    return is_live(iou)


def can_waive(iou: Iou) -> bool:
    return is_live(iou)


def can_classify(iou: Iou) -> bool:
    """五级分类 set by hand (iou_classify): on a live IOU; the tier itself is checked by the service
    against the floor by days past due."""
    return is_live(iou)


def can_refund(iou: Iou) -> bool:
    """Customer credit is left to pay back, and the IOU is not written off or cancelled (a
    settled IOU's credit is refunded)."""
    return iou.overpayment > 0 and iou.status not in (Status.WRITTEN_OFF, Status.CANCELLED)


def can_extend(iou: Iou) -> bool:
    return status.can(iou, Event.EXTEND)


def can_write_off(iou: Iou) -> bool:
    """Live, and owing more than the customer's credit (which is set off first: credit that pays
    everything settles the IOU instead, docs/domain.md §10)."""
    if iou.overpayment > 0 and iou.overpayment >= iou.total_outstanding:
        return False
    return status.can(iou, Event.WRITE_OFF)


def can_recover(iou: Iou) -> bool:
    """Written off, with something of the written-off amount still not recovered."""
    return iou.status == Status.WRITTEN_OFF and iou.written_off_principal + iou.written_off_interest > 0


REVERSIBLE_KINDS = (TransactionKind.REPAYMENT, TransactionKind.WAIVER, TransactionKind.REFUND)


def can_reverse(record: Transaction, iou: Iou | None = None, *, only_transaction: bool | None = None) -> bool:
    """冲正 is offered on a repayment, waiver or refund not yet reversed, and on a disbursement while it is
    the IOU's only transaction; never on a written-off IOU (the service says why, with its reasons).
    ``only_transaction``: whether the IOU has no other transaction, when the caller knows."""
    iou = iou or record.iou
    if iou.status == Status.WRITTEN_OFF or record.kind == TransactionKind.REVERSAL or _reversed(record):
        return False
    if record.kind in REVERSIBLE_KINDS:
        return True
    if record.kind in (TransactionKind.DISBURSEMENT, TransactionKind.ACTIVATION):
        if only_transaction is None:
            only_transaction = not Transaction.objects.filter(iou_id=iou.pk).exclude(pk=record.pk).exists()
        return only_transaction
    return False


RECEIPT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.RECOVERY)


def can_print_receipt(record: Transaction) -> bool:
    """还款凭证: for a repayment or a recovery after write-off that stands (not reversed)."""
    return record.kind in RECEIPT_KINDS and not _reversed(record)


def _reversed(record: Transaction) -> bool:
    return record.is_reversed  # select_related("reversed_by") spares the query


# action → (the permission it needs, the predicate on the IOU and the user). The back office's
# buttons and the API's `actions` come from here; 冲正 and receipts are per transaction (above).
ACTIONS: dict[str, tuple[str, object]] = {
    "submit": ("ious.change_iou", lambda iou, user: can_submit(iou) or awaits_approval_request(iou)),
    "approve": ("ious.approve_iou", lambda iou, user: can_approve(iou, user) and not flow_decides_approval(iou)),
    "reject": ("ious.approve_iou", lambda iou, user: can_reject(iou, user) and not flow_decides_approval(iou)),
    "disburse": ("ious.disburse_iou", lambda iou, user: can_disburse(iou)),
    "tranche": ("ious.disburse_iou", lambda iou, user: can_disburse_tranche(iou)),
    "repay": ("ious.record_repayment", lambda iou, user: can_repay(iou)),
    "settle": ("ious.record_repayment", lambda iou, user: can_settle_early(iou)),
    "waive": ("ious.waive_iou", lambda iou, user: can_waive(iou)),
    "refund": ("ious.record_repayment", lambda iou, user: can_refund(iou)),
    "extend": ("ious.extend_iou", lambda iou, user: can_extend(iou)),
    "write_off": ("ious.write_off_iou", lambda iou, user: can_write_off(iou)),
    "recover": ("ious.record_repayment", lambda iou, user: can_recover(iou)),
    "classify": ("ious.classify_iou", lambda iou, user: can_classify(iou)),
    "cancel": ("ious.change_iou", lambda iou, user: can_cancel(iou)),
}


def has_permission(user, iou: Iou, permission: str) -> bool:
    return bool(user is not None and user.has_perm(permission) and scope.can_see_branch(user, iou.branch_id))


def may(user, iou: Iou, action: str, *, open_kinds: set[str] | None = None) -> bool:
    """The user holds the action's permission for the IOU's branch, the IOU allows it now, and no
    approval request for it is open on the IOU (``open_kinds``: ``open_request_kinds(iou)`` when the
    caller has it)."""
    permission, allowed = ACTIONS[action]
    if not (has_permission(user, iou, permission) and allowed(iou, user)):
        return False
    kind = ACTION_KINDS.get(action)
    if kind is None:
        return True
    return kind not in (open_request_kinds(iou) if open_kinds is None else open_kinds)


def offered_actions(user, iou: Iou) -> list[str]:
    open_kinds = open_request_kinds(iou)
    return [name for name in ACTIONS if may(user, iou, name, open_kinds=open_kinds)]
