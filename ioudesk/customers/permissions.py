"""What a user may do with a customer: one predicate per action, used alike by the pages (which
buttons they offer: the 360 page, the IOU page, the follow-up lists) and by the services (what they
refuse). Each is the role's permission plus the data scope (the customer's branch), and for
follow-ups the collector's rule below.

Follow-ups (跟进记录): the customer's account staff (who may change customers: 客户经理, 系统管理员)
record contact with any customer or prospect they can see. A user who may add follow-ups but not
change customers — the 催收员 — records contact with debtors only: customers in their scope who
have an IOU being collected (live, or written off with recovery still possible). Prospects are not
theirs.
"""

from __future__ import annotations

from ioudesk.core import scope


def _in_scope(user, customer) -> bool:
    return scope.can_see_branch(user, customer.branch_id)


def can_change_customer(user, customer) -> bool:
    return user.has_perm("customers.change_customer") and _in_scope(user, customer)


def can_upload_file(user, customer) -> bool:
    return user.has_perm("customers.add_customerfile") and _in_scope(user, customer)


def can_create_iou(user, customer) -> bool:
    return user.has_perm("ious.add_iou") and _in_scope(user, customer)


# Who is a debtor is the debts' business: the apps holding debts (ious; receivables later) register a
# check here at start-up (ious/apps.py), as they register their 360-page sections, so customers never
# imports them.
DEBTOR_CHECKS: list = []


def is_debtor(customer) -> bool:
    """The customer has a debt being collected (for IOUs: live — active, overdue, extended — or written off)."""
    return any(check(customer) for check in DEBTOR_CHECKS)


def records_follow_ups_for_debtors_only(user) -> bool:
    """The collector's rule (see the module docstring)."""
    return user.has_perm("customers.add_followup") and not user.has_perm("customers.change_customer")


def can_add_follow_up(user, *, customer=None, prospect=None) -> bool:
    """May ``user`` record a follow-up, for this customer or prospect (or for some, with neither)?"""
    if not user.has_perm("customers.add_followup"):
        return False
    target = customer or prospect
    if target is not None and not scope.can_see_branch(user, target.branch_id):
        return False
    if not records_follow_ups_for_debtors_only(user):
        return True
    if prospect is not None:
        return False
    return customer is None or is_debtor(customer)


def customer_actions(user, customer) -> dict[str, bool]:
    """The buttons of the customer's 360 page the user may use."""
    return {
        "change": can_change_customer(user, customer),
        "create_iou": can_create_iou(user, customer),
        "upload_file": can_upload_file(user, customer),
        "add_follow_up": can_add_follow_up(user, customer=customer),
    }
