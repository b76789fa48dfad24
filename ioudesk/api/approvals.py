"""/api/v1/approvals: the approver's inbox (待我审批), a request with its steps and decisions (what each
approver saw), a decision, and bulk approval of low-risk requests.

Same services, predicates, permissions and data scope as the back office's 审批 pages: the inbox
needs ``approvals.decide_approvalrequest``; a request is visible to its maker, to anyone with a task
on it and to users with the approvals view or decide permission who see its branch. The maker can
never decide their own request (403 ``approval_own_request``). Money is a string with two decimals
("1200.00"), times ISO with offset. docs/domain.md §23.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.approvals import predicates, selectors
from ioudesk.approvals.models import ApprovalRequest
from ioudesk.approvals.registry import kind_for
from ioudesk.core.errors import NotFound, ValidationFailed

router = Router(tags=["审批"])

DECIDE = "approvals.decide_approvalrequest"
Decision = Literal["approve", "reject", "return", "return_step", "counter_offer", "transfer", "add_approver"]


def _money(value) -> str | None:
    return f"{Decimal(value):.2f}" if value is not None else None


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def _kind_label(code) -> str:
    found = kind_for(code)
    return str(found.label) if found else code


class ApprovalRequestRow(Schema):
    id: int
    number: str = Field(description="审批单号，如 SP20261201-0001")
    kind: str = Field(description="审批事项代码（名称见 kind_label）")
    kind_label: str
    status: str = Field(description="状态代码：审批中、已退回、已通过、已驳回、已撤回（名称见 status_display）")
    status_display: str
    summary: str
    amount: str | None = Field(None, description="金额（元），两位小数")
    maker: str | None = Field(None, description="申请人的用户名")
    branch_id: int | None
    current_step: int | None
    created_at: datetime
    decided_at: datetime | None


class ApprovalInboxRow(ApprovalRequestRow):
    task_id: int
    step_name: str
    due_at: datetime | None
    on_behalf_of: str | None = Field(None, description="委派、转办或升级前的审批人")
    bulk_allowed: bool = Field(description="可在批量同意中同意（低风险事项且该步骤允许）")


class ApprovalTaskOut(Schema):
    id: int
    step_order: int
    assignee: str | None
    on_behalf_of: str | None
    added_by: str | None
    state: str
    due_at: datetime | None
    acted_at: datetime | None


class ApprovalStepOut(Schema):
    order: int
    name: str
    mode: str
    applies: bool
    current: bool
    tasks: list[ApprovalTaskOut]


class ApprovalDecisionOut(Schema):
    id: int
    decision: str
    decision_display: str
    step_order: int | None
    decided_by: str | None
    to_user: str | None
    comment: str
    seen: list[list[str]] = Field(description="审批时所见：[[项目, 值], …]")
    offer: dict
    at: datetime


class ApprovalRequestDetail(ApprovalRequestRow):
    reason: str
    payload: dict
    result: dict
    rows: list[list[str]] = Field(description="申请内容：[[项目, 值], …]")
    flow: str
    flow_version: int
    steps: list[ApprovalStepOut]
    decisions: list[ApprovalDecisionOut]
    can_decide: bool
    can_resubmit: bool
    can_cancel: bool


class ApprovalDecideIn(Schema):
    decision: Decision
    comment: str = Field("", max_length=2000, description="驳回、退回、退回上一步和改条件同意须填写")
    offer: dict[str, str] | None = Field(None, description="改条件同意：调整后的条件（金额、期限或利率；键为该事项可调整的字段名，金额两位小数）")
    to_user_id: int | None = Field(None, description="转办、加签给（用户 id）")
    to_step: int | None = Field(None, ge=1, le=100, description="退回上一步：步骤序号（留空为上一步）")


class ApprovalBulkIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=200)
    comment: str = Field("", max_length=500)


class ApprovalBulkRefused(Schema):
    id: int
    number: str
    reason: str


class ApprovalBulkOut(Schema):
    approved: list[int]
    refused: list[ApprovalBulkRefused]


class ApprovalInboxFilters(Schema):
    kind: str | None = Field(None, max_length=40)
    q: str | None = Field(None, max_length=60)
    overdue: bool | None = None


def _row(request: ApprovalRequest) -> dict:
    return {"id": request.pk, "number": request.number, "kind": request.kind, "kind_label": _kind_label(request.kind),
            "status": request.status, "status_display": request.get_status_display(), "summary": request.summary,
            "amount": _money(request.amount), "maker": _name(request.maker), "branch_id": request.branch_id,
            "current_step": request.current_step, "created_at": request.created_at, "decided_at": request.decided_at}


def _detail(request: ApprovalRequest, user) -> dict:
    detail = selectors.request_detail(request, user)
    steps = [{"order": s.order, "name": s.name, "mode": str(s.mode), "applies": s.applies, "current": s.current,
              "tasks": [{"id": t.pk, "step_order": t.step_order, "assignee": _name(t.assignee),
                         "on_behalf_of": _name(t.on_behalf_of), "added_by": _name(t.added_by), "state": t.state,
                         "due_at": t.due_at, "acted_at": t.acted_at} for t in s.tasks]} for s in detail.steps]
    decisions = [{"id": d.pk, "decision": d.decision, "decision_display": d.get_decision_display(),
                  "step_order": d.step_order, "decided_by": _name(d.decided_by), "to_user": _name(d.to_user),
                  "comment": d.comment, "seen": [[str(a), str(b)] for a, b in (d.seen or [])], "offer": d.offer or {},
                  "at": d.at} for d in detail.timeline]
    return {**_row(request), "reason": request.reason, "payload": request.payload or {}, "result": request.result or {},
            "rows": [[a, b] for a, b in detail.rows], "flow": str(request.flow_version.flow),
            "flow_version": request.flow_version.number, "steps": steps, "decisions": decisions,
            "can_decide": detail.can_decide, "can_resubmit": detail.can_resubmit, "can_cancel": detail.can_cancel}


def _get(request, request_id: int) -> ApprovalRequest:
    found = selectors.request_get(user=request.user, pk=request_id)
    if found is None:
        raise NotFound(_("审批单不存在，或您无权查看。"))
    return found


def _services():
    from ioudesk.approvals import services

    return services


@router.get("", response={200: list[ApprovalInboxRow], **READ_ERRORS}, summary="待我审批（分页，时限早的在前）")
@paginate(Pages, page_size=50)
def inbox_list(request, filters: Query[ApprovalInboxFilters]):
    require_perm(request, DECIDE)
    tasks = selectors.inbox(request.user, kind=filters.kind or None, q=(filters.q or "").strip() or None,
                            overdue=bool(filters.overdue))
    return [{**_row(t.request), "task_id": t.pk, "step_name": t.step.name if t.step else "", "due_at": t.due_at,
             "on_behalf_of": _name(t.on_behalf_of), "bulk_allowed": predicates.bulk_allowed(t.request)}
            for t in tasks]


@router.get("/requests", response={200: list[ApprovalRequestRow], **READ_ERRORS},
            summary="审批单（我提交的、我经手的，或有查看权限时本网点的；分页）")
@paginate(Pages, page_size=50)
def request_list(request, status: str | None = None, kind: str | None = None):
    queryset = selectors.requests_visible(request.user).order_by("-created_at", "-pk")
    if status:
        queryset = queryset.filter(status=status[:10])
    if kind:
        queryset = queryset.filter(kind=kind[:40])
    return [_row(r) for r in queryset]


@router.get("/{int:request_id}", response={200: ApprovalRequestDetail, **READ_ERRORS},
            summary="审批单详情（步骤、审批记录及审批时所见）")
def request_detail(request, request_id: int):
    return _detail(_get(request, request_id), request.user)


@router.post("/{int:request_id}/decide", response={200: ApprovalRequestDetail, **WRITE_ERRORS},
             summary="审批：同意、驳回、退回、退回上一步、改条件同意、转办、加签")
def request_decide(request, request_id: int, payload: ApprovalDecideIn):
    approval = _get(request, request_id)
    to_user = None
    if payload.to_user_id is not None:
        to_user = get_user_model().objects.filter(pk=payload.to_user_id, is_active=True).first()
        if to_user is None:
            raise ValidationFailed(_("转办或加签的人员不存在或已停用。"), extra={"field": "to_user_id"})
    decided = _services().request_decide(request=approval, user=request.user, decision=payload.decision,
                                         comment=payload.comment, offer=payload.offer, to_user=to_user,
                                         to_step=payload.to_step)
    decided.refresh_from_db()
    return _detail(decided, request.user)


@router.post("/bulk-approve", response={200: ApprovalBulkOut, **WRITE_ERRORS},
             summary="批量同意（只限低风险事项；每笔单独办理，逐笔说明未同意的原因）")
def bulk_approve(request, payload: ApprovalBulkIn):
    require_perm(request, DECIDE)
    found, refused = [], []
    for pk in dict.fromkeys(payload.ids):
        approval = selectors.request_get(user=request.user, pk=pk)
        if approval is None:
            refused.append({"id": pk, "number": "", "reason": _("审批单不存在，或您无权查看。")})
        else:
            found.append(approval)
    done, not_done = _services().decide_many(requests=found, user=request.user, comment=payload.comment)
    refused += [{"id": r.pk, "number": r.number, "reason": reason} for r, reason in not_done]
    return {"approved": [r.pk for r in done], "refused": refused}
