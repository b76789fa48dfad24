"""What a user may do in legal: one predicate per button, used by the pages, the API and the
services (which refuse with the same answer)."""

from __future__ import annotations

from ioudesk.collections.models import Case, CaseStatus
from ioudesk.collections.predicates import can_view_case
from ioudesk.core import scope
from ioudesk.legal.models import Defaulter, LegalCase, LegalStatus

ADD_CASE = "legal.add_legalcase"
CHANGE_CASE = "legal.change_legalcase"
VIEW_CASE = "legal.view_legalcase"
ADD_DEFAULTER = "legal.add_defaulter"
CHANGE_DEFAULTER = "legal.change_defaulter"


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_open_legal_case(case: Case, user) -> bool:
    """转诉讼 from a collection case: an open case, not in legal already, that the user sees, with
    the permission to add legal cases (催收主管, 系统管理员)."""
    return (_active(user) and case.status == CaseStatus.OPEN and not case.legal and user.has_perm(ADD_CASE)
            and can_view_case(case, user))


def can_view_legal_case(legal_case: LegalCase, user) -> bool:
    return _active(user) and user.has_perm(VIEW_CASE) and scope.can_see_branch(user, legal_case.branch_id)


def can_change_legal_case(legal_case: LegalCase, user) -> bool:
    """Record filing, hearings, judgment, costs…: not once it is closed."""
    return (legal_case.status != LegalStatus.CLOSED and _active(user) and user.has_perm(CHANGE_CASE)
            and scope.can_see_branch(user, legal_case.branch_id))


def can_list_defaulter(user) -> bool:
    return _active(user) and user.has_perm(ADD_DEFAULTER)


def can_remove_defaulter(defaulter: Defaulter, user) -> bool:
    return (defaulter.removed_on is None and _active(user) and user.has_perm(CHANGE_DEFAULTER)
            and scope.can_see_branch(user, defaulter.branch_id))
