"""What a user may do with a collection case: one predicate per button, used by the pages, the API
and the services (which refuse with the same answer).

Who sees a case (docs/domain.md §20):
- 系统管理员, 审计 (``core.view_all_branches``) and superusers: every case;
- ``collections.view_branch_cases`` (催收主管 by ``collections.*``): every case of their branches;
- otherwise (催收员, 客户经理) with ``collections.view_case``: the cases they own, the cases of the
  IMPORTANT customers they manage (``customer.owner``) and the cases on IOUs where they are the
  ``officer`` (for a receivables bill's case: the bill's 业务员, ``Bill.manager``); always inside their branches (the data scope).
"""

from __future__ import annotations

from ioudesk.collections.models import Case, CaseStatus
from ioudesk.core import scope

VIEW = "collections.view_case"
VIEW_BRANCH = "collections.view_branch_cases"
RECORD = "collections.add_contactrecord"
ASSIGN = "collections.add_caseassignment"


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def sees_branch_cases(user) -> bool:
    return _active(user) and (scope.sees_all_branches(user) or user.has_perm(VIEW_BRANCH))


def can_view_case(case: Case, user) -> bool:
    if not _active(user) or not user.has_perm(VIEW):
        return False
    if not scope.can_see_branch(user, case.branch_id):
        return False
    if sees_branch_cases(user):
        return True
    if case.owner_id == user.pk:
        return True
    if case.iou_id is not None and case.iou.officer_id == user.pk:
        return True
    if case.iou_id is None and case.bill_id is not None and case.bill.manager_id == user.pk:
        return True  # a receivables bill's 业务员, as an IOU's officer
    customer = case.customer
    return customer.category == "important" and customer.owner_id == user.pk


def can_record_contact(case: Case, user) -> bool:
    """记录催收: an open case the user sees, with the permission to add contact records."""
    return case.status == CaseStatus.OPEN and user is not None and user.has_perm(RECORD) and can_view_case(case, user)


def can_assign(user) -> bool:
    """分案/转派 (by hand, in bulk): 催收主管 and administrators, not 催收员."""
    return _active(user) and user.has_perm(ASSIGN)


def can_assign_case(case: Case, user) -> bool:
    return case.status == CaseStatus.OPEN and can_assign(user) and can_view_case(case, user)


def can_recall(case: Case, user) -> bool:
    """收回: an open case that is with a collector or an agency."""
    return can_assign_case(case, user) and (case.owner_id is not None or case.agency_id is not None)
