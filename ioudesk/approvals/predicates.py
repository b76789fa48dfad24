"""What a user may do with an approval request: one predicate per button, used by the pages, the API
and the services (which refuse with the same answer).

- decide (同意/驳回/退回/改条件/转办/加签): the user has a pending task of the request's current step,
  holds ``approvals.decide_approvalrequest``, sees the request's branch and is not the maker (never,
  not through a delegation or a transfer either);
- resubmit: the maker, while the request is returned (已退回);
- cancel (撤回): the maker, while it is pending or returned;
- bulk approve (批量同意): a low-risk request (its kind says) whose current step allows it.
"""

from __future__ import annotations

from ioudesk.approvals.models import ApprovalRequest, ApprovalTask, FlowStep, RequestStatus, TaskState
from ioudesk.approvals.registry import kind_for
from ioudesk.core import scope

DECIDE = "approvals.decide_approvalrequest"
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.RETURNED)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def sees_branch(user, branch_id) -> bool:
    """A request without a branch (an organisation-wide operation: a product, a role, the business
    date, a flow) is everyone's; otherwise the data scope decides."""
    return branch_id is None or scope.can_see_branch(user, branch_id)


def is_maker(request: ApprovalRequest, user) -> bool:
    return user is not None and request.maker_id == user.pk


def can_view(request: ApprovalRequest, user) -> bool:
    """The maker, anyone with a task on it, or a user with the approvals view permission who sees
    the branch."""
    if not _active(user):
        return False
    if is_maker(request, user):
        return True
    if not sees_branch(user, request.branch_id):
        return False
    if user.has_perm("approvals.view_approvalrequest") or user.has_perm(DECIDE):
        return True
    return ApprovalTask.objects.filter(request=request, assignee=user).exists()


def pending_task(request: ApprovalRequest, user) -> ApprovalTask | None:
    """The user's task that waits for their decision now, or None."""
    if not _active(user) or request.status != RequestStatus.PENDING:
        return None
    return (ApprovalTask.objects.filter(request=request, assignee=user, state=TaskState.PENDING,
                                        step_order=request.current_step)
            .select_related("step").order_by("position", "pk").first())


def can_decide(request: ApprovalRequest, user) -> bool:
    if not _active(user) or is_maker(request, user):
        return False
    if not user.has_perm(DECIDE) or not sees_branch(user, request.branch_id):
        return False
    return pending_task(request, user) is not None


def can_resubmit(request: ApprovalRequest, user) -> bool:
    return _active(user) and is_maker(request, user) and request.status == RequestStatus.RETURNED


def can_cancel(request: ApprovalRequest, user) -> bool:
    return _active(user) and is_maker(request, user) and request.status in OPEN_STATUSES


def bulk_allowed(request: ApprovalRequest) -> bool:
    """批量同意 only for a low-risk request (the kind's ``low_risk``) whose current step allows it."""
    kind = kind_for(request.kind)
    if kind is None or kind.low_risk is None or request.status != RequestStatus.PENDING:
        return False
    step = FlowStep.objects.filter(version_id=request.flow_version_id, order=request.current_step).first()
    if step is None or not step.allow_bulk:
        return False
    try:
        return bool(kind.low_risk(request))
    except Exception:
        return False
