"""What a user may do with a receipt or an allocation: one predicate per button, used by the pages,
the API and the services (receipts.py, matching.py)."""

from __future__ import annotations

from ioudesk.core import scope
from ioudesk.receivables.models import Allocation, Receipt, ReceiptStatus


def _sees(receipt: Receipt, user) -> bool:
    return scope.can_see_branch(user, receipt.branch_id)


def can_match(receipt: Receipt, user) -> bool:
    """Manual matching, accepting a suggestion, running the rules again: money left unmatched."""
    return (user.has_perm("receivables.match_receipt") and _sees(receipt, user)
            and receipt.status in (ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL) and receipt.unmatched > 0)


def can_undo(allocation: Allocation, user) -> bool:
    if allocation.undone or not user.has_perm("receivables.match_receipt") or not _sees(allocation.receipt, user):
        return False
    if allocation.receipt.status == ReceiptStatus.IGNORED:
        return False
    if allocation.iou_id is not None:  # the IOU's repayment is reversed through its own door
        return user.has_perm("ious.reverse_transaction")
    return True


def can_ignore(receipt: Receipt, user) -> bool:
    return can_match(receipt, user) and user.has_perm("receivables.change_receipt")
