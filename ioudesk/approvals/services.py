"""Writes of the approvals app: a request's life (submit, decide, resubmit, cancel, bulk approve) and
the gate the domain services call. Flow configuration (versions, groups, delegations, the seeded
flows) is in ``flows.py``, re-exported here. docs/domain.md §23.

One door for the interfaces: ``submit_or_run`` carries an operation out at once when no flow applies
to it, or opens an approval request; the domain service of the operation calls ``gate`` first, so an
operation that needs approval cannot be done around the flow (its executor passes the APPROVED
request as ``approval``).

Within a step, approvals are counted per *slot*: an approver's slot is the person the task was
first meant for (``on_behalf_of`` for a delegated, transferred or escalated task, else the assignee);
one approval fills a slot and cancels the slot's other tasks. The step is settled when:
或签 (any) one slot approved; 会签 (all) and 依次 (sequence) every slot approved; N 人同意 at least
``required_count`` slots; and in every mode each approver added by 加签 approved. A reject at any
task rejects the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ioudesk.approvals import predicates, routing
from ioudesk.approvals.errors import ApprovalRequired
from ioudesk.approvals.flows import (  # noqa: F401  (re-exported: the flow configuration services)
    approver_group_save,
    delegation_save,
    flow_create,
    flow_defaults_ensure,
    flow_save,
)
from ioudesk.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalTask,
    DecisionKind,
    FlowStep,
    RequestStatus,
    StepMode,
    TaskState,
)
from ioudesk.approvals.registry import RequestKind, kind_for
from ioudesk.calc.money import quantize
from ioudesk.core import audit, numbering
from ioudesk.core.errors import ApplicationError, InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction

NUMBER_PREFIX = "SP"
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.RETURNED)
OPEN_TASK_STATES = (TaskState.PENDING, TaskState.WAITING)
STAFF_CATEGORY = "staff_notice"
NEEDS_COMMENT = (DecisionKind.REJECT, DecisionKind.RETURN, DecisionKind.RETURN_TO_STEP, DecisionKind.COUNTER_OFFER)
DECISIONS = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.RETURN, DecisionKind.RETURN_TO_STEP,
             DecisionKind.COUNTER_OFFER, DecisionKind.TRANSFER, DecisionKind.ADD_APPROVER)


@dataclass
class Outcome:
    """What ``submit_or_run`` did: opened ``request`` (waiting for approval) or ran the operation
    (``result``: what its executor returned)."""

    request: ApprovalRequest | None = None
    result: dict | None = None

    @property
    def pending(self) -> bool:
        return self.request is not None


# --- helpers ----------------------------------------------------------------------------------

def _kind(kind: str | RequestKind) -> RequestKind:
    found = kind if isinstance(kind, RequestKind) else kind_for(kind)
    if found is None:
        raise InvalidState(_("未登记的审批事项：%(kind)s") % {"kind": kind}, code="approval_kind_unknown")
    return found


def _jsonable(value) -> dict:
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder))


def _money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise InvalidOperation
        return quantize(amount)
    except InvalidOperation:
        raise ValidationFailed(_("金额格式不正确：%(value)s") % {"value": value}, extra={"field": "amount"}) from None


def _facts(*, amount=None, product_id=None, branch_id=None, score=None) -> routing.Facts:
    return routing.Facts(amount=_money(amount), product_id=product_id, branch_id=branch_id, score=score)


def _route(kind: str, facts: routing.Facts):
    """(flow, applicable steps) or (None, [])."""
    flow = routing.flow_for(kind, facts)
    if flow is None:
        return None, []
    return flow, routing.applicable_steps(flow.current_version, facts)


def _seen(kind: RequestKind, request: ApprovalRequest) -> list:
    try:
        rows = kind.describe(request) or []
    except Exception:  # what they saw is a record, never a reason to refuse the decision
        return []
    return [[str(label), str(value)] for label, value in rows]


def _decision(request, decision, *, by=None, task=None, step_order=None, comment="", seen=None, offer=None,
              to_user=None) -> ApprovalDecision:
    return ApprovalDecision.objects.create(
        request=request, task=task, step_order=step_order if step_order is not None else request.current_step,
        decision=decision, decided_by=by, comment=comment or "", seen=seen or [], offer=offer or {},
        to_user=to_user)


def _note(request, text: str, *, step_order=None) -> None:
    _decision(request, DecisionKind.NOTE, comment=text, step_order=step_order)


def target_of(request: ApprovalRequest):
    model = request.target_type.model_class()
    if model is None:
        raise InvalidState(_("审批单 %(number)s 的对象类型已不存在。") % {"number": request.number})
    return model._default_manager.get(pk=request.target_id)


def _notify(user, *, request: ApprovalRequest, subject: str, body: str, key: str) -> None:
    from ioudesk.notify.services import message_queue

    if user is None or not user.is_active:
        return
    message_queue(channel="inapp", user=user, category=STAFF_CATEGORY, subject=subject[:200], body=body,
                  delivery_key=f"approval:{request.pk}:{key}:{user.pk}"[:200], related=request)


def _label(request: ApprovalRequest) -> str:
    kind = kind_for(request.kind)
    return str(kind.label) if kind is not None else request.kind


def _notify_task(task: ApprovalTask) -> None:
    request = task.request
    _notify(task.assignee, request=request, key=f"task{task.pk}",
            subject=_("待您审批：%(kind)s %(number)s") % {"kind": _label(request), "number": request.number},
            body=_("%(maker)s 提交的“%(summary)s”（审批单 %(number)s）等待您审批。") % {
                "maker": request.maker, "summary": request.summary, "number": request.number})


def _notify_maker(request: ApprovalRequest, *, outcome: str, comment: str = "") -> None:
    body = _("您提交的“%(summary)s”（审批单 %(number)s）%(outcome)s。") % {
        "summary": request.summary, "number": request.number, "outcome": outcome}
    if comment:
        body += _("意见：%(comment)s") % {"comment": comment}
    subject = _("审批结果：%(kind)s %(number)s %(outcome)s") % {
        "kind": _label(request), "number": request.number, "outcome": outcome}
    key = f"{request.status}{request.decisions.count()}"
    _notify(request.maker, request=request, key=key, subject=subject, body=body)
    if request.status == RequestStatus.APPROVED:
        from django.contrib.auth import get_user_model

        ids = [i for i in (request.payload or {}).get("notify_user_ids", []) if str(i).isdigit()]
        for user in get_user_model().objects.filter(pk__in=ids).exclude(pk=request.maker_id):
            _notify(user, request=request, key=key, subject=subject, body=body)


def _step(request: ApprovalRequest, order: int) -> FlowStep:
    return FlowStep.objects.select_related("role", "group").get(version_id=request.flow_version_id, order=order)


def _plan(steps, *, maker, branch_id) -> list[routing.Assignment]:
    """Everyone each step will need, checked before anything is written: a step nobody but the maker
    could approve is refused now rather than left stuck."""
    plans = []
    for step in steps:
        plan = routing.assignees(step, maker=maker, branch_id=branch_id)
        if not plan.people:
            raise InvalidState(
                _("审批步骤“%(step)s”除您本人外没有可审批的人员：请让管理员为该步骤的角色或审批组添加其他在职、"
                  "有审批权限的员工（或调整审批流）后再提交。") % {"step": step.name}, code="approval_no_approver")
        if step.mode == StepMode.N_OF_M and step.required_count > len(plan.people):
            raise InvalidState(
                _("审批步骤“%(step)s”需 %(n)d 人同意，但除您本人外只有 %(m)d 位可审批人员：请调整审批流或审批组。") % {
                    "step": step.name, "n": step.required_count, "m": len(plan.people)},
                code="approval_no_approver")
        plans.append(plan)
    return plans


def _earlier_approvers(request: ApprovalRequest, step: FlowStep) -> set[int]:
    return set(ApprovalTask.objects.filter(request=request, step_order__lt=step.order, state=TaskState.APPROVED)
               .values_list("assignee_id", flat=True))


def _open_step(request: ApprovalRequest, step: FlowStep, plan: routing.Assignment | None = None) -> list[ApprovalTask]:
    """Create the tasks of ``step`` and make it the request's current step; notify who must act now.
    Whoever approved an earlier step of this request is left out (each step its own approvers); only
    when nobody else is left (not even a 系统管理员) do they approve again, and the timeline says so."""
    earlier = _earlier_approvers(request, step)
    if plan is None or earlier:
        plan = routing.assignees(step, maker=request.maker, branch_id=request.branch_id, exclude_ids=earlier)
        if not plan.people and earlier:
            plan = routing.assignees(step, maker=request.maker, branch_id=request.branch_id)
            if plan.people:
                plan.notes.append(_("步骤“%(step)s”没有前序步骤以外的审批人，由前序审批人再次审批") % {"step": step.name})
        if not plan.people:
            raise InvalidState(_("审批步骤“%(step)s”没有可审批的人员：请管理员调整审批流或审批组。") % {"step": step.name},
                               code="approval_no_approver")
    request.current_step = step.order
    request.save(update_fields=["current_step"])
    due = timezone.now() + timedelta(hours=step.time_limit_hours) if step.time_limit_hours else None
    tasks = []
    for position, (assignee, behalf) in enumerate(plan.people):
        waiting = step.mode == StepMode.SEQUENCE and position > 0
        tasks.append(ApprovalTask.objects.create(
            request=request, step=step, step_order=step.order, position=position, assignee=assignee,
            on_behalf_of=behalf, state=TaskState.WAITING if waiting else TaskState.PENDING,
            due_at=None if waiting else due))
    for note in plan.notes:
        _note(request, note, step_order=step.order)
    for task in tasks:
        if task.state == TaskState.PENDING:
            _notify_task(task)
    return tasks


def _slot(task: ApprovalTask) -> int:
    return task.on_behalf_of_id or task.assignee_id


def _cancel_open(request: ApprovalRequest, *, step_order=None, slot=None, exclude=None) -> None:
    tasks = ApprovalTask.objects.filter(request=request, state__in=OPEN_TASK_STATES)
    if step_order is not None:
        tasks = tasks.filter(step_order=step_order)
    if exclude is not None:
        tasks = tasks.exclude(pk=exclude.pk)
    for task in tasks:
        if slot is None or _slot(task) == slot:
            task.state, task.acted_at = TaskState.CANCELLED, timezone.now()
            task.save(update_fields=["state", "acted_at"])


def _step_settled(request: ApprovalRequest, step: FlowStep) -> bool:
    tasks = list(ApprovalTask.objects.filter(request=request, step_order=step.order)
                 .exclude(state=TaskState.TRANSFERRED))
    added = [t for t in tasks if t.added_by_id]
    if any(t.state != TaskState.APPROVED for t in added if t.state != TaskState.CANCELLED):
        return False
    base = [t for t in tasks if not t.added_by_id]
    slots = {_slot(t) for t in base}
    approved = {_slot(t) for t in base if t.state == TaskState.APPROVED}
    if step.mode == StepMode.ANY:
        return bool(approved)
    if step.mode == StepMode.N_OF_M:
        return len(approved) >= step.required_count
    return slots <= approved  # all, sequence


def _next_in_sequence(request: ApprovalRequest, step: FlowStep) -> None:
    """依次: when nobody of the step's own approvers has a pending task, the next waiting one's turn."""
    open_base = ApprovalTask.objects.filter(request=request, step_order=step.order, added_by__isnull=True)
    if open_base.filter(state=TaskState.PENDING).exists():
        return
    task = open_base.filter(state=TaskState.WAITING).order_by("position", "pk").first()
    if task is not None:
        task.state = TaskState.PENDING
        task.due_at = timezone.now() + timedelta(hours=step.time_limit_hours) if step.time_limit_hours else None
        task.save(update_fields=["state", "due_at"])
        _notify_task(task)


def _execute(request: ApprovalRequest, *, checker) -> None:
    """The last step approved: APPROVED, then the kind's executor in this transaction."""
    kind = _kind(request.kind)
    request.status, request.decided_at = RequestStatus.APPROVED, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    result = kind.execute(target=target_of(request), payload=request.payload, maker=request.maker, checker=checker,
                          approval=request)
    request.result = _jsonable(result)
    request.save(update_fields=["result"])
    _decision(request, DecisionKind.EXECUTE, by=checker, comment=_("审批通过，已自动执行"))
    audit.record(AuditAction.ACTION, obj=request, verb=_("审批通过并执行"), branch_id=request.branch_id,
                 changes={"result": request.result})
    _notify_maker(request, outcome=_("已审批通过并执行"))


def _advance(request: ApprovalRequest, step: FlowStep, *, checker) -> None:
    _cancel_open(request, step_order=step.order)
    later = [s for s in routing.applicable_steps(request.flow_version, routing.facts_of(request)) if s.order > step.order]
    if later:
        _open_step(request, later[0])
    else:
        _execute(request, checker=checker)


# --- reading what the conditions say ------------------------------------------------------------

def flow_for(kind: str, *, amount=None, product_id=None, branch_id=None, score=None):
    """The flow a request of ``kind`` with these figures follows, or None (no approval needed)."""
    return routing.flow_for(kind, _facts(amount=amount, product_id=product_id, branch_id=branch_id, score=score))


def needs_approval(kind: str, *, amount=None, product_id=None, branch_id=None, score=None) -> bool:
    """A flow applies and at least one of its steps does."""
    _flow, steps = _route(kind, _facts(amount=amount, product_id=product_id, branch_id=branch_id, score=score))
    return bool(steps)


def gate(kind: str, *, target, amount=None, product_id=None, branch_id=None, score=None, approval=None) -> None:
    """For the domain services: refuse (``ApprovalRequired``) an operation that needs approval unless
    ``approval`` is the APPROVED request for it (this kind and target, or a kind that covers this one)
    that has not been carried out yet."""
    if not needs_approval(kind, amount=amount, product_id=product_id, branch_id=branch_id, score=score):
        return
    if approval is not None and approval.pk and approval.status == RequestStatus.APPROVED:
        if approval.kind == kind:
            content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
            matches = approval.target_type_id == content_type.pk and approval.target_id == target.pk
        else:
            covering = kind_for(approval.kind)
            matches = covering is not None and kind in covering.covers
        # carried out already, unless its executor said it waits for something (a counter-offer the
        # applicant has not accepted yet: the IOU is created on acceptance)
        executed = (ApprovalDecision.objects.filter(request_id=approval.pk, decision=DecisionKind.EXECUTE).exists()
                    and not (approval.result or {}).get("awaiting_acceptance"))
        if matches and not executed:
            return
    found = kind_for(kind)
    raise ApprovalRequired(_("「%(kind)s」须经审批：请提交审批，审批通过后自动执行。") % {
        "kind": found.label if found is not None else kind})


# --- a request's life -------------------------------------------------------------------------------

@transaction.atomic
def request_submit(*, kind, target, user, payload: dict, summary, reason="", amount=None, product=None,
                   branch=None, score=None) -> ApprovalRequest:
    """Open an approval request for ``target``: the first applicable step's approvers get their tasks."""
    kind = _kind(kind)
    branch_id = branch.pk if branch is not None else getattr(target, "branch_id", None)
    product_id = product.pk if product is not None else None
    facts = _facts(amount=amount, product_id=product_id, branch_id=branch_id, score=score)
    flow, steps = _route(kind.code, facts)
    if not steps:
        raise InvalidState(_("「%(kind)s」无需审批（没有适用的审批流）。") % {"kind": kind.label}, code="approval_not_needed")
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    running = ApprovalRequest.objects.filter(kind=kind.code, target_type=content_type, target_id=target.pk,
                                             status__in=OPEN_STATUSES).first()
    if running is not None:
        raise InvalidState(_("「%(kind)s」已有审批单 %(number)s 在审批中：请等待审批结果，或撤回后再提交。") % {
            "kind": kind.label, "number": running.number}, code="approval_open", extra={"request": running.pk})
    if kind.validate is not None:
        kind.validate(target=target, payload=payload, user=user)
    plans = _plan(steps, maker=user, branch_id=branch_id)
    summary = str(summary or "").strip()[:200] or str(kind.label)
    request = ApprovalRequest.objects.create(
        number=numbering.next_number(prefix=NUMBER_PREFIX), kind=kind.code, flow_version=flow.current_version,
        maker=user, branch_id=branch_id, target_type=content_type, target_id=target.pk, amount=facts.amount,
        product_id=product_id, score=score, summary=summary, reason=(reason or "").strip(),
        payload=_jsonable(payload))
    _decision(request, DecisionKind.SUBMIT, by=user, step_order=steps[0].order, comment=request.reason,
              seen=_seen(kind, request))
    _open_step(request, steps[0], plans[0])
    audit.record(AuditAction.ACTION, obj=request, verb=_("提交审批"), branch_id=branch_id,
                 changes={"kind": kind.code, "flow": flow.name, "version": flow.current_version.number,
                          "amount": str(facts.amount) if facts.amount is not None else None})
    return request


@transaction.atomic
def submit_or_run(*, kind, target, user, payload, summary, reason="", amount=None, product=None, branch=None,
                  score=None) -> Outcome:
    """THE door for interfaces: the operation at once when no flow applies, else an approval request."""
    kind = _kind(kind)
    branch_id = branch.pk if branch is not None else getattr(target, "branch_id", None)
    if not needs_approval(kind.code, amount=amount, product_id=product.pk if product is not None else None,
                          branch_id=branch_id, score=score):
        result = kind.execute(target=target, payload=payload, maker=user, checker=None, approval=None)
        return Outcome(result=result if isinstance(result, dict) else {})
    return Outcome(request=request_submit(kind=kind, target=target, user=user, payload=payload, summary=summary,
                                          reason=reason, amount=amount, product=product, branch=branch, score=score))


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.select_for_update(of=("self",)).select_related("maker", "flow_version").get(pk=request.pk)


def _check_person(request: ApprovalRequest, user, *, field_name: str = "to_user") -> None:
    """``user`` may receive a task of this request (transfer, add approver)."""
    if user is None:
        raise ValidationFailed(_("请选择转交或加签的人员。"), extra={"field": field_name})
    if user.pk == request.maker_id:
        raise ValidationFailed(_("不能转给或加签申请人本人：申请人不能审批自己提交的申请。"), extra={"field": field_name})
    if not routing.may_decide(user, request.branch_id):
        raise ValidationFailed(_("%(who)s 没有审批权限或看不到该网点，不能接手此审批。") % {"who": user},
                               extra={"field": field_name})
    if ApprovalTask.objects.filter(request=request, step_order=request.current_step, assignee=user,
                                   state__in=OPEN_TASK_STATES).exists():
        raise ValidationFailed(_("%(who)s 已在当前步骤的审批人中。") % {"who": user}, extra={"field": field_name})


def _clean_offer(kind: RequestKind, offer) -> dict:
    if not kind.counter_fields:
        raise InvalidState(_("「%(kind)s」不能改条件同意。") % {"kind": kind.label}, code="approval_no_counter_offer")
    if not isinstance(offer, dict):
        raise ValidationFailed(_("请填写调整后的条件。"), extra={"field": "offer"})
    unknown = sorted(set(offer) - set(kind.counter_fields))
    if unknown:
        raise ValidationFailed(_("不能调整的条件：%(fields)s") % {"fields": "、".join(unknown)}, extra={"field": "offer"})
    cleaned = {}
    for name, value in offer.items():
        text = str(value if value is not None else "").strip()
        if not text:
            continue
        if name == "amount":
            amount = _money(text.replace(",", "").lstrip("¥"))
            if amount is None or amount <= 0:
                raise ValidationFailed(_("调整后的金额须大于 0。"), extra={"field": "amount"})
            text = str(amount)
        elif name == "term":
            if not text.isdigit() or int(text) <= 0:
                raise ValidationFailed(_("调整后的期限须为正整数。"), extra={"field": "term"})
        cleaned[name] = text
    if not cleaned:
        raise ValidationFailed(_("改条件同意须填写至少一项调整后的条件。"), extra={"field": "offer"})
    return cleaned


@transaction.atomic
def request_decide(*, request: ApprovalRequest, user, decision: str, comment: str = "", offer: dict | None = None,
                   to_user=None, to_step: int | None = None) -> ApprovalRequest:
    """One approver's decision on their pending task of the current step (see the module docstring)."""
    request = _locked(request)
    if decision not in DECISIONS:
        raise ValidationFailed(_("未知的审批操作：%(decision)s") % {"decision": decision}, extra={"field": "decision"})
    if predicates.is_maker(request, user):
        raise PermissionDenied(_("不能审批自己提交的申请"), code="approval_own_request")
    if not user.has_perm(predicates.DECIDE) or not predicates.sees_branch(user, request.branch_id):
        raise PermissionDenied(_("您没有审批此申请的权限。"))
    if request.status != RequestStatus.PENDING:
        raise InvalidState(_("审批单 %(number)s 已%(status)s，不能再审批。") % {
            "number": request.number, "status": request.get_status_display()}, code="approval_closed")
    task = predicates.pending_task(request, user)
    if task is None:
        raise PermissionDenied(_("审批单 %(number)s 的当前步骤没有您的待办。") % {"number": request.number},
                               code="approval_not_assignee")
    comment = (comment or "").strip()
    if decision in NEEDS_COMMENT and not comment:
        raise ValidationFailed(_("请填写意见：驳回、退回和改条件同意须说明理由。"), extra={"field": "comment"})
    kind = _kind(request.kind)
    step = task.step or _step(request, task.step_order)
    now = timezone.now()
    seen = _seen(kind, request)

    if decision in (DecisionKind.TRANSFER, DecisionKind.ADD_APPROVER):
        _check_person(request, to_user)
        if decision == DecisionKind.TRANSFER:
            task.state, task.acted_at = TaskState.TRANSFERRED, now
            task.save(update_fields=["state", "acted_at"])
        new = ApprovalTask.objects.create(
            request=request, step=step, step_order=task.step_order,
            position=task.position if decision == DecisionKind.TRANSFER else (
                (ApprovalTask.objects.filter(request=request, step_order=task.step_order)
                 .aggregate(m=Max("position"))["m"] or 0) + 1),
            assignee=to_user, on_behalf_of_id=_slot(task) if decision == DecisionKind.TRANSFER else None,
            added_by=user if decision == DecisionKind.ADD_APPROVER else None, state=TaskState.PENDING,
            due_at=task.due_at)
        _decision(request, decision, by=user, task=task, comment=comment, seen=seen, to_user=to_user)
        _notify_task(new)
        audit.record(AuditAction.ACTION, obj=request, branch_id=request.branch_id,
                     verb=_("转办") if decision == DecisionKind.TRANSFER else _("加签"),
                     changes={"to_user": str(to_user)}, reason=comment)
        return request

    if decision == DecisionKind.REJECT:
        task.state, task.acted_at = TaskState.REJECTED, now
        task.save(update_fields=["state", "acted_at"])
        _cancel_open(request)
        request.status, request.decided_at = RequestStatus.REJECTED, now
        request.save(update_fields=["status", "decided_at"])
        _decision(request, decision, by=user, task=task, comment=comment, seen=seen)
        audit.record(AuditAction.ACTION, obj=request, verb=_("驳回审批"), reason=comment, branch_id=request.branch_id)
        if kind.on_reject is not None:
            kind.on_reject(request=request, user=user, comment=comment)
        _notify_maker(request, outcome=_("被驳回"), comment=comment)
        return request

    if decision == DecisionKind.RETURN:
        task.state, task.acted_at = TaskState.RETURNED, now
        task.save(update_fields=["state", "acted_at"])
        _cancel_open(request)
        request.status = RequestStatus.RETURNED
        request.save(update_fields=["status"])
        _decision(request, decision, by=user, task=task, comment=comment, seen=seen)
        audit.record(AuditAction.ACTION, obj=request, verb=_("退回审批"), reason=comment, branch_id=request.branch_id)
        if kind.on_return is not None:
            kind.on_return(request=request, user=user, comment=comment)
        _notify_maker(request, outcome=_("被退回，请补充后重新提交"), comment=comment)
        return request

    if decision == DecisionKind.RETURN_TO_STEP:
        earlier = [s for s in routing.applicable_steps(request.flow_version, routing.facts_of(request))
                   if s.order < task.step_order]
        if not earlier:
            raise InvalidState(_("当前已是第一个审批步骤，没有可退回的上一步：请改为“退回”给申请人。"),
                               code="approval_no_earlier_step")
        if to_step in (None, ""):
            target_step = earlier[-1]
        else:
            target_step = next((s for s in earlier if str(s.order) == str(to_step)), None)
            if target_step is None:
                raise ValidationFailed(_("只能退回到当前步骤之前的步骤。"), extra={"field": "to_step"})
        task.state, task.acted_at = TaskState.RETURNED, now
        task.save(update_fields=["state", "acted_at"])
        _cancel_open(request)
        _decision(request, decision, by=user, task=task, comment=comment, seen=seen, offer={"to_step": target_step.order})
        audit.record(AuditAction.ACTION, obj=request, verb=_("退回上一步"), reason=comment, branch_id=request.branch_id,
                     changes={"to_step": target_step.name})
        _open_step(request, target_step)
        return request

    # approve or counter-offer (which counts as an approval)
    cleaned = None
    if decision == DecisionKind.COUNTER_OFFER:
        cleaned = _clean_offer(kind, offer)
        payload = dict(request.payload or {})
        payload["offer"] = {**(payload.get("offer") or {}), **cleaned}
        request.payload = payload
        request.save(update_fields=["payload"])
    task.state, task.acted_at = TaskState.APPROVED, now
    task.save(update_fields=["state", "acted_at"])
    _cancel_open(request, step_order=task.step_order, slot=_slot(task), exclude=task)
    _decision(request, decision, by=user, task=task, comment=comment, seen=seen, offer=cleaned)
    audit.record(AuditAction.ACTION, obj=request, branch_id=request.branch_id, reason=comment,
                 verb=_("改条件同意") if cleaned else _("同意"), changes={"offer": cleaned} if cleaned else None)
    if _step_settled(request, step):
        _advance(request, step, checker=user)
    elif step.mode == StepMode.SEQUENCE:
        _next_in_sequence(request, step)
    return request


@transaction.atomic
def request_resubmit(*, request: ApprovalRequest, user, payload: dict | None = None, comment: str = "") -> ApprovalRequest:
    """The maker sends a returned request again (optionally with a changed payload): from step 1 of
    the same flow version."""
    request = _locked(request)
    if not predicates.can_resubmit(request, user):
        if not predicates.is_maker(request, user):
            raise PermissionDenied(_("只有申请人可以重新提交。"))
        raise InvalidState(_("审批单 %(number)s 没有被退回，不能重新提交。") % {"number": request.number},
                           code="approval_not_returned")
    kind = _kind(request.kind)
    if payload is not None:
        merged = _jsonable(payload)
        if kind.validate is not None:
            kind.validate(target=target_of(request), payload=merged, user=user)
        request.payload = merged
    steps = routing.applicable_steps(request.flow_version, routing.facts_of(request))
    plans = _plan(steps, maker=request.maker, branch_id=request.branch_id)
    request.status = RequestStatus.PENDING
    request.save(update_fields=["status", "payload"])
    _decision(request, DecisionKind.RESUBMIT, by=user, step_order=steps[0].order, comment=(comment or "").strip(),
              seen=_seen(kind, request))
    _open_step(request, steps[0], plans[0])
    audit.record(AuditAction.ACTION, obj=request, verb=_("重新提交审批"), branch_id=request.branch_id)
    return request


@transaction.atomic
def request_cancel(*, request: ApprovalRequest, user, reason: str) -> ApprovalRequest:
    """The maker withdraws a pending or returned request (撤回)."""
    request = _locked(request)
    if not predicates.can_cancel(request, user):
        if not predicates.is_maker(request, user):
            raise PermissionDenied(_("只有申请人可以撤回审批单。"))
        raise InvalidState(_("审批单 %(number)s 已%(status)s，不能撤回。") % {
            "number": request.number, "status": request.get_status_display()}, code="approval_closed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写撤回原因。"), extra={"field": "reason"})
    _cancel_open(request)
    request.status, request.decided_at = RequestStatus.CANCELLED, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _decision(request, DecisionKind.CANCEL, by=user, comment=reason)
    audit.record(AuditAction.ACTION, obj=request, verb=_("撤回审批"), reason=reason, branch_id=request.branch_id)
    kind = kind_for(request.kind)
    hook = kind and (kind.on_cancel or kind.on_reject)
    if hook:
        hook(request=request, user=user, comment=reason)
    return request


def decide_many(*, requests, user, comment: str = "") -> tuple[list[ApprovalRequest], list[tuple[ApprovalRequest, str]]]:
    """批量同意: each request approved in its own transaction; (done, refused with the reason)."""
    done, refused = [], []
    for request in requests:
        if not predicates.bulk_allowed(request):
            refused.append((request, _("不是可批量审批的低风险事项，请逐笔审批。")))
            continue
        if not predicates.can_decide(request, user):
            refused.append((request, _("不能审批：申请人本人或不是当前步骤的审批人。")))
            continue
        try:
            done.append(request_decide(request=request, user=user, decision=DecisionKind.APPROVE,
                                       comment=comment or _("批量同意")))
        except ApplicationError as error:  # ours, or the executor's own refusal
            refused.append((request, str(error.message)))
    return done, refused


# --- time limits (the periodic ``approvals.deadlines``) -------------------------------------------------

@transaction.atomic
def task_remind(*, task: ApprovalTask, now=None) -> bool:
    """Remind the assignee once that the task's time limit is near (80 % of it gone)."""
    task = ApprovalTask.objects.select_for_update(of=("self",)).select_related("request", "assignee").get(pk=task.pk)
    if task.state != TaskState.PENDING or task.reminded_at is not None or task.due_at is None:
        return False
    request = task.request
    _notify(task.assignee, request=request, key=f"remind{task.pk}",
            subject=_("审批即将超时：%(kind)s %(number)s") % {"kind": _label(request), "number": request.number},
            body=_("“%(summary)s”（审批单 %(number)s）须在 %(due)s 前审批，超时将升级处理。") % {
                "summary": request.summary, "number": request.number,
                "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")})
    task.reminded_at = now or timezone.now()
    task.save(update_fields=["reminded_at"])
    return True


@transaction.atomic
def task_escalate(*, task: ApprovalTask, now=None) -> list[ApprovalTask]:
    """Past its time limit: the step's escalation role or person gets a task in the same slot (either
    may decide; one approval fills the slot), decision ESCALATE, once per task."""
    task = ApprovalTask.objects.select_for_update(of=("self",)).select_related("request", "step", "assignee").get(pk=task.pk)
    request = task.request
    if task.state != TaskState.PENDING or task.escalated_at is not None or request.status != RequestStatus.PENDING:
        return []
    step = task.step or _step(request, task.step_order)
    now = now or timezone.now()
    task.escalated_at = now
    task.save(update_fields=["escalated_at"])
    candidates = []
    if step.escalate_to_user_id:
        candidates.append(step.escalate_to_user)
    if step.escalate_to_role_id:
        from django.contrib.auth import get_user_model

        candidates += list(get_user_model().objects.filter(groups=step.escalate_to_role_id, is_active=True)
                           .order_by("username"))
    holding = set(ApprovalTask.objects.filter(request=request, step_order=task.step_order, state__in=OPEN_TASK_STATES)
                  .values_list("assignee_id", flat=True))
    created = []
    for person in candidates:
        if person.pk == request.maker_id or person.pk in holding or not routing.may_decide(person, request.branch_id):
            continue
        holding.add(person.pk)
        created.append(ApprovalTask.objects.create(
            request=request, step=step, step_order=task.step_order, position=task.position, assignee=person,
            on_behalf_of_id=_slot(task), state=TaskState.PENDING))
    _decision(request, DecisionKind.ESCALATE, task=task, step_order=task.step_order,
              to_user=created[0].assignee if created else None,
              comment=(_("%(who)s 超过处理时限，已升级给 %(to)s") % {
                  "who": task.assignee, "to": "、".join(str(t.assignee) for t in created)}) if created
              else _("%(who)s 超过处理时限，没有可升级的审批人") % {"who": task.assignee})
    for new in created:
        _notify_task(new)
    return created
