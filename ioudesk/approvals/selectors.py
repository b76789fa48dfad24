"""Reads of the approvals app: the approver's inbox (待我审批) and its count for the sidebar, the
requests pending on an entity (shown on its page), a request with everything needed to decide it,
and the lists the back office and the API show (scoped by branch)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ioudesk.approvals import predicates, routing
from ioudesk.approvals.models import (
    ApprovalDecision,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalTask,
    DecisionKind,
    FlowStep,
    RequestStatus,
    TaskState,
)
from ioudesk.approvals.registry import kind_for
from ioudesk.core import scope

OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.RETURNED)


def inbox(user, *, kind: str | None = None, q: str | None = None, overdue: bool | None = None) -> QuerySet[ApprovalTask]:
    """The user's tasks waiting for their decision now (the current step of a pending request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ApprovalTask.objects.none()
    tasks = (ApprovalTask.objects.filter(assignee=user, state=TaskState.PENDING, request__status=RequestStatus.PENDING,
                                         step_order=F("request__current_step"))
             .exclude(request__maker=user)
             .select_related("request", "request__maker", "request__branch", "step", "on_behalf_of")
             .order_by(F("due_at").asc(nulls_last=True), "request__created_at", "pk"))
    if kind:
        tasks = tasks.filter(request__kind=kind)
    if q:
        q = q.strip()
        tasks = tasks.filter(Q(request__number__icontains=q) | Q(request__summary__icontains=q))
    if overdue:
        tasks = tasks.filter(due_at__lt=timezone.now())
    return tasks


def inbox_count(user) -> int:
    return inbox(user).count()


def inbox_badge(request) -> int | None:
    """The sidebar badge of 待我审批 (Unfold calls it with the HTTP request): None when zero."""
    count = inbox_count(getattr(request, "user", None))
    return count or None


def inbox_counts(user) -> dict:
    """Counts for the inbox header: all, overdue, by kind (code → (label, count))."""
    tasks = inbox(user)
    by_kind: dict[str, list] = {}
    for code in tasks.values_list("request__kind", flat=True):
        found = kind_for(code)
        entry = by_kind.setdefault(code, [str(found.label) if found else code, 0])
        entry[1] += 1
    return {"all": tasks.count(), "overdue": tasks.filter(due_at__lt=timezone.now()).count(),
            "by_kind": {code: tuple(entry) for code, entry in by_kind.items()}}


def _of_target(target) -> QuerySet[ApprovalRequest]:
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return (ApprovalRequest.objects.filter(target_type=content_type, target_id=target.pk)
            .select_related("maker", "flow_version__flow"))


def pending_for(target) -> list[ApprovalRequest]:
    """The open (pending or returned) requests on ``target``, newest first, each with ``step_name``
    (its current step) and ``kind_label``."""
    requests = list(_of_target(target).filter(status__in=OPEN_STATUSES).order_by("-created_at", "-pk"))
    return [_annotate(r) for r in requests]


def pending_kinds(target) -> set[str]:
    """The kinds with an open request on ``target`` (to not offer the same action again)."""
    return set(_of_target(target).filter(status__in=OPEN_STATUSES).values_list("kind", flat=True))


def history_for(target) -> list[ApprovalRequest]:
    return [_annotate(r) for r in _of_target(target).order_by("-created_at", "-pk")]


def _annotate(request: ApprovalRequest) -> ApprovalRequest:
    found = kind_for(request.kind)
    request.kind_label = str(found.label) if found else request.kind
    step = (FlowStep.objects.filter(version_id=request.flow_version_id, order=request.current_step).first()
            if request.current_step else None)
    request.step_name = step.name if step else ""
    request.waiting_on = [t.assignee for t in ApprovalTask.objects.filter(
        request=request, step_order=request.current_step, state=TaskState.PENDING).select_related("assignee")] \
        if request.status == RequestStatus.PENDING else []
    return request


def requests_visible(user) -> QuerySet[ApprovalRequest]:
    """Every request the user may list: their branches' (scope), or the ones they made or have a task on."""
    base = ApprovalRequest.objects.select_related("maker", "branch", "flow_version__flow")
    if not (user.has_perm("approvals.view_approvalrequest") or user.has_perm(predicates.DECIDE)):
        return base.filter(Q(maker=user) | Q(tasks__assignee=user)).distinct()
    branch_ids = scope.visible_branch_ids(user)
    if branch_ids is None:
        return base
    return base.filter(Q(branch_id__in=branch_ids) | Q(branch__isnull=True))


def request_get(*, user, pk) -> ApprovalRequest | None:
    request = ApprovalRequest.objects.select_related("maker", "branch", "flow_version__flow").filter(pk=pk).first()
    if request is None or not predicates.can_view(request, user):
        return None
    return request


@dataclass
class StepView:
    order: int
    name: str
    mode: str
    applies: bool
    current: bool
    tasks: list = field(default_factory=list)


@dataclass
class RequestDetail:
    request: ApprovalRequest
    kind_label: str
    rows: list
    steps: list[StepView]
    timeline: list[ApprovalDecision]
    task: ApprovalTask | None
    can_decide: bool
    can_resubmit: bool
    can_cancel: bool
    can_counter_offer: bool
    counter_fields: tuple
    earlier_steps: list[StepView]
    target_url: str
    bulk_allowed: bool


def request_detail(request: ApprovalRequest, user) -> RequestDetail:
    kind = kind_for(request.kind)
    try:
        rows = [(str(a), str(b)) for a, b in (kind.describe(request) if kind else [])]
    except Exception:
        rows = []
    facts = routing.facts_of(request)
    tasks = list(ApprovalTask.objects.filter(request=request).select_related("assignee", "on_behalf_of", "added_by"))
    steps = []
    for step in FlowStep.objects.filter(version_id=request.flow_version_id).prefetch_related(
            "products", "branches").order_by("order"):
        steps.append(StepView(order=step.order, name=step.name, mode=step.get_mode_display(),
                              applies=routing.step_applies(step, facts),
                              current=request.status == RequestStatus.PENDING and step.order == request.current_step,
                              tasks=[t for t in tasks if t.step_order == step.order]))
    timeline = list(ApprovalDecision.objects.filter(request=request).select_related("decided_by", "to_user", "task")
                    .order_by("at", "pk"))
    task = predicates.pending_task(request, user)
    decide = predicates.can_decide(request, user)
    url = ""
    if kind is not None and kind.url is not None:
        try:
            url = kind.url(request) or ""
        except Exception:
            url = ""
    return RequestDetail(
        request=request, kind_label=str(kind.label) if kind else request.kind, rows=rows, steps=steps,
        timeline=timeline, task=task if decide else None, can_decide=decide,
        can_resubmit=predicates.can_resubmit(request, user), can_cancel=predicates.can_cancel(request, user),
        can_counter_offer=bool(decide and kind and kind.counter_fields),
        counter_fields=kind.counter_fields if kind else (),
        earlier_steps=[s for s in steps if s.applies and request.current_step and s.order < request.current_step],
        target_url=url, bulk_allowed=predicates.bulk_allowed(request))


def decisions_of(request: ApprovalRequest) -> QuerySet[ApprovalDecision]:
    return ApprovalDecision.objects.filter(request=request).exclude(decision=DecisionKind.NOTE).order_by("at", "pk")


def possible_approvers(request: ApprovalRequest, *, user=None, limit: int = 300) -> list:
    """Who a task of ``request`` may be transferred to or added (转办/加签): active staff who may
    decide for its branch, never the maker, nor ``user`` (the one transferring)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    permission = Permission.objects.filter(codename="decide_approvalrequest", content_type__app_label="approvals").first()
    people = (get_user_model().objects.filter(is_active=True)
              .filter(Q(is_superuser=True) | Q(groups__permissions=permission) | Q(user_permissions=permission))
              .exclude(pk=request.maker_id).distinct().order_by("username"))
    if user is not None:
        people = people.exclude(pk=user.pk)
    return [p for p in people[:limit] if routing.may_decide(p, request.branch_id)]



def approval_note(kind: str, *, product_id=None, branch_id=None) -> str:
    """What an operation's form says before the maker submits it: whether it goes to approval, and from
    which amount (the active flows of the kind for this product and branch, whatever the amount)."""
    from django.utils.translation import gettext as _

    from ioudesk.calc.money import format_yuan

    flows = (ApprovalFlow.objects.filter(kind=kind, is_active=True, current_version__isnull=False)
             .prefetch_related("products", "branches").order_by("priority", "pk"))
    matching = [f for f in flows if routing.flow_matches(f, routing.Facts(
        amount=f.min_amount if f.min_amount is not None else f.max_amount, product_id=product_id,
        branch_id=branch_id))]
    if not matching:
        return ""
    if all(f.min_amount is None and f.max_amount is None for f in matching):
        return _("此操作须经审批：提交后由审批人同意才会执行。")
    lowest = min((f.min_amount for f in matching if f.min_amount is not None), default=None)
    if lowest is not None and all(f.max_amount is None for f in matching):
        return _("金额 %(amount)s 起须经审批（提交后由审批人同意才会执行）；低于此金额立即生效。") % {
            "amount": format_yuan(lowest)}
    return _("视金额等条件，此操作可能须经审批：提交后页面会说明是否已生效。")
