"""What may be done to a bill now, by whom: one predicate per button (docs/domain.md §26).

The pages offer a button, the API lists an action and the service refuses, all by the same
predicate. Each answers from the bill's state and the user's permissions and branches.
"""

from __future__ import annotations

from ioudesk.core import scope
from ioudesk.receivables.models import Bill, BillKind, BillStatus

EDITABLE = (BillStatus.DRAFT,)
POSTABLE = (BillStatus.DRAFT, BillStatus.PENDING)
POSTED = (BillStatus.OPEN, BillStatus.PAID)
# the bills that are a debt in their own right (a credit note or a negative adjustment only changes one)
DEBT_KINDS = (BillKind.SALES, BillKind.SERVICE, BillKind.PURCHASE, BillKind.ADJUSTMENT)


def _sees(bill: Bill, user) -> bool:
    return user is not None and scope.can_see_branch(user, bill.branch_id)


def _perm(user, codename: str) -> bool:
    return user is not None and user.has_perm(f"receivables.{codename}")


def is_order(bill: Bill) -> bool:
    return bill.kind == BillKind.PURCHASE_ORDER


def can_edit(bill: Bill, user) -> bool:
    """A draft (new, or returned by its approver), by a user who may change bills of its branch."""
    return (bill.status in EDITABLE and not is_order(bill) and bill.kind in (BillKind.SALES, BillKind.SERVICE,
                                                                            BillKind.PURCHASE)
            and _perm(user, "change_bill") and _sees(bill, user))


def can_submit(bill: Bill, user) -> bool:
    return (bill.status == BillStatus.DRAFT and bill.kind in (BillKind.SALES, BillKind.SERVICE, BillKind.PURCHASE)
            and (_perm(user, "change_bill") or _perm(user, "add_bill")) and _sees(bill, user))


def can_post(bill: Bill, user) -> bool:
    """Make it effective: the one who submits it (no flow applies), or finance."""
    return (bill.status in POSTABLE and not is_order(bill)
            and (_perm(user, "change_bill") or _perm(user, "post_bill")) and _sees(bill, user))


def can_credit(bill: Bill, user) -> bool:
    """A credit note (红字) against a posted bill with something still open, by finance."""
    return (bill.status == BillStatus.OPEN and bill.kind in DEBT_KINDS and bill.open_amount > 0
            and bill.total > 0 and _perm(user, "post_bill") and _sees(bill, user))


def can_adjust(bill: Bill, user) -> bool:
    return (bill.status in POSTED and bill.kind in (BillKind.SALES, BillKind.SERVICE, BillKind.PURCHASE)
            and _perm(user, "post_bill") and _sees(bill, user))


def void_waits_for_submitter(bill: Bill, user):
    """The open approval request on a pending bill that only its submitter, not ``user``, may withdraw
    (None when there is none): a pending bill is voided by withdrawing its request through the approvals'
    own door, so that its approvers' tasks close (``bills.bill_void``)."""
    if bill.status != BillStatus.PENDING:
        return None
    from ioudesk.approvals.selectors import pending_for

    uid = getattr(user, "pk", None)
    return next((r for r in pending_for(bill) if r.maker_id != uid), None)


def can_void(bill: Bill, user) -> bool:
    """A draft; a pending bill by the one who submitted it (its request withdrawn); a posted one, by
    whoever may void bills, only while nothing is matched or credited against it."""
    if not (_perm(user, "void_bill") and _sees(bill, user)):
        return False
    if bill.status in (BillStatus.DRAFT, BillStatus.ORDERED):
        return True
    if bill.status == BillStatus.PENDING:
        return void_waits_for_submitter(bill, user) is None
    return (bill.status == BillStatus.OPEN and bill.kind in (BillKind.SALES, BillKind.SERVICE, BillKind.PURCHASE,
                                                             BillKind.ADJUSTMENT)
            and bill.paid == 0 and bill.credited == 0 and bill.entry_id is not None
            and not bill.corrections.exclude(status=BillStatus.VOID).exists())


def can_attach(bill: Bill, user) -> bool:
    return bill.status != BillStatus.VOID and _perm(user, "add_billattachment") and _sees(bill, user)


def can_receive(order: Bill, user) -> bool:
    """A purchase order whose supplier's bill has come in (到票)."""
    return (is_order(order) and order.status == BillStatus.ORDERED and _perm(user, "add_bill")
            and _sees(order, user))


def offered_actions(bill: Bill, user) -> dict[str, bool]:
    return {"edit": can_edit(bill, user), "submit": can_submit(bill, user), "credit": can_credit(bill, user),
            "adjust": can_adjust(bill, user), "void": can_void(bill, user), "attach": can_attach(bill, user),
            "receive": can_receive(bill, user)}
