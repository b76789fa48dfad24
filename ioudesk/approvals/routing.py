"""Which flow a request follows, which of its steps apply, and who approves each step.

Reads only (no writes): the lifecycle in ``services.py`` and the deadlines job use it. The rules are
docs/domain.md §23:

- a kind's active flows with a published version are tried by ``priority`` (then id); the first whose
  conditions (amount from/to, products, branches) all hold is the flow; none: no approval needed;
- a step applies when each of its conditions holds (amount from/to, products, branches, score
  from/to); a condition on the amount or score does not hold for a request without one;
- a step's approvers are its role's, its group's or its named users, who are active, hold
  ``approvals.decide_approvalrequest`` and see the request's branch, never the maker; an approver
  away on a delegation (委派) is replaced by the delegate (unless the delegate is the maker); a step
  left without anyone falls back to the 系统管理员 role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q

from ioudesk.approvals.models import ApprovalFlow, ApproverType, Delegation, FlowStep
from ioudesk.core import clock, scope
from ioudesk.core.roles import ADMINISTRATOR

DECIDE_PERMISSION = "approvals.decide_approvalrequest"


@dataclass(frozen=True)
class Facts:
    """What a flow's and a step's conditions look at."""

    amount: Decimal | None = None
    product_id: int | None = None
    branch_id: int | None = None
    score: int | None = None


def _in_range(value, low, high) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _ids(manager) -> set[int]:
    return {obj.pk for obj in manager.all()}


def flow_matches(flow: ApprovalFlow, facts: Facts) -> bool:
    if not _in_range(facts.amount, flow.min_amount, flow.max_amount):
        return False
    products = _ids(flow.products)
    if products and facts.product_id not in products:
        return False
    branches = _ids(flow.branches)
    return not branches or facts.branch_id in branches


def flow_for(kind: str, facts: Facts) -> ApprovalFlow | None:
    flows = (ApprovalFlow.objects.filter(kind=kind, is_active=True, current_version__isnull=False)
             .select_related("current_version").prefetch_related("products", "branches")
             .order_by("priority", "pk"))
    for flow in flows:
        if flow_matches(flow, facts):
            return flow
    return None


def step_applies(step: FlowStep, facts: Facts) -> bool:
    if not _in_range(facts.amount, step.min_amount, step.max_amount):
        return False
    if not _in_range(facts.score, step.min_score, step.max_score):
        return False
    products = _ids(step.products)
    if products and facts.product_id not in products:
        return False
    branches = _ids(step.branches)
    return not branches or facts.branch_id in branches


def applicable_steps(version, facts: Facts) -> list[FlowStep]:
    steps = (FlowStep.objects.filter(version=version).select_related("role", "group")
             .prefetch_related("products", "branches", "users").order_by("order"))
    return [step for step in steps if step_applies(step, facts)]


def facts_of(request) -> Facts:
    return Facts(amount=request.amount, product_id=request.product_id, branch_id=request.branch_id,
                 score=request.score)


def may_decide(user, branch_id) -> bool:
    """A user who may approve a request of this branch at all (the maker is excluded elsewhere)."""
    return bool(user is not None and user.is_active and user.has_perm(DECIDE_PERMISSION)
                and (branch_id is None or scope.can_see_branch(user, branch_id)))


def _members(step: FlowStep) -> list:
    User = get_user_model()
    if step.approver_type == ApproverType.ROLE and step.role_id:
        found = User.objects.filter(groups=step.role_id)
    elif step.approver_type == ApproverType.GROUP and step.group_id:
        if not step.group.is_active:
            return []
        found = User.objects.filter(approver_groups=step.group_id)
    elif step.approver_type == ApproverType.USERS:
        found = step.users.all()
    else:
        return []
    return list(found.filter(is_active=True).order_by("username").distinct())


def delegate_of(user, *, day=None):
    """The delegate standing in for ``user`` today (委派), or None."""
    day = day or clock.today()
    found = (Delegation.objects.filter(from_user=user, is_active=True, starts_on__lte=day, ends_on__gte=day)
             .select_related("to_user").order_by("-starts_on", "-pk").first())
    return found.to_user if found is not None and found.to_user.is_active else None


@dataclass
class Assignment:
    """Who gets a step's tasks: (assignee, on behalf of) pairs in order, and notes for the timeline."""

    people: list[tuple] = field(default_factory=list)
    fell_back: bool = False
    notes: list[str] = field(default_factory=list)


def assignees(step: FlowStep, *, maker, branch_id, exclude_ids=()) -> Assignment:
    """The approvers of ``step`` for a request of ``maker`` in ``branch_id``, delegations applied."""
    from django.utils.translation import gettext as _g

    result = Assignment()
    exclude_ids = set(exclude_ids)
    seen = set(exclude_ids)

    def take(candidates):
        for user in candidates:
            if user.pk == maker.pk or user.pk in seen:
                continue
            assignee, behalf = user, None
            delegate = delegate_of(user)
            if (delegate is not None and delegate.pk != maker.pk and delegate.pk not in exclude_ids
                    and may_decide(delegate, branch_id)):
                assignee, behalf = delegate, user
                result.notes.append(_g("%(who)s 委派给 %(to)s") % {"who": user, "to": delegate})
            elif not may_decide(user, branch_id):
                continue
            if assignee.pk in {a.pk for a, _b in result.people}:
                continue
            seen.add(user.pk)
            result.people.append((assignee, behalf))

    take(_members(step))
    if not result.people:
        User = get_user_model()
        admins = User.objects.filter(Q(groups__name=ADMINISTRATOR) | Q(is_superuser=True), is_active=True)
        take(admins.order_by("username").distinct())
        if result.people:
            result.fell_back = True
            result.notes.append(_g("步骤“%(step)s”没有可审批的人员，改由系统管理员审批") % {"step": step.name})
    return result
