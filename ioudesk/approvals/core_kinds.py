"""The request kinds approvals registers itself: changing an approval flow (``approval_flow_change``),
and core's two sensitive operations, moving the business date back (``business_date_back``) and
changing a role's permissions (``role_change``). Core cannot import approvals: its services call
``core.approval_hooks.approval_gate``, which approvals fills with ``services.gate`` at start-up.

Payloads (JSON):
- approval_flow_change (target ApprovalFlow): {"steps": [step dicts of flows.flow_save], "settings":
  {name, priority, is_active, min_amount, max_amount, products, branches}, "note": "..."};
- business_date_back (target Organisation): {"new_date": "2026-11-20" | null, "reason": "..."};
- role_change (target Group): {"name": "...", "permissions": [permission pk, ...]}.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals import flows
from ioudesk.approvals.models import ApproverType, StepMode
from ioudesk.approvals.registry import RequestKind, kind_for, register_request_kind

FLOW_CHANGE = "approval_flow_change"
BUSINESS_DATE_BACK = "business_date_back"
ROLE_CHANGE = "role_change"


# --- approval_flow_change -----------------------------------------------------------------------

def _may_change_flows(user) -> None:
    from ioudesk.core.errors import PermissionDenied

    if user is not None and not user.has_perm("approvals.change_approvalflow"):
        raise PermissionDenied(_g("您没有修改审批流的权限。"))


def _flow_validate(*, target, payload, user):
    _may_change_flows(user)
    flows.clean_steps(payload.get("steps") or [])
    flows.clean_settings(payload.get("settings") or {})


def _flow_execute(*, target, payload, maker, checker=None, approval=None):
    _may_change_flows(maker)
    version = flows.flow_save(flow=target, steps=payload.get("steps") or [], settings=payload.get("settings") or {},
                              user=maker, note=payload.get("note") or "")
    return {"flow": target.pk, "version": version.number}


def step_text(step: dict) -> str:
    """One step in words: 审批员审批（角色 审批员，或签，¥200,000.00 起）."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from ioudesk.approvals.models import ApproverGroup

    if step.get("approver_type") == ApproverType.GROUP:
        who = _g("审批组 %(name)s") % {"name": ApproverGroup.objects.filter(pk=step.get("group")).first() or "-"}
    elif step.get("approver_type") == ApproverType.USERS:
        people = get_user_model().objects.filter(pk__in=step.get("users") or [])
        who = "、".join(str(u) for u in people) or "-"
    else:
        who = _g("角色 %(name)s") % {"name": Group.objects.filter(pk=step.get("role")).first() or "-"}
    parts = [who, str(StepMode(step.get("mode") or StepMode.ANY).label)]
    if step.get("mode") == StepMode.N_OF_M:
        parts.append(_g("%(n)s 人") % {"n": step.get("required_count") or 1})
    if step.get("min_amount"):
        parts.append(_g("¥%(amount)s 起") % {"amount": f"{Decimal(step['min_amount']):,.2f}"})
    if step.get("max_amount"):
        parts.append(_g("至 ¥%(amount)s") % {"amount": f"{Decimal(step['max_amount']):,.2f}"})
    if step.get("min_score") is not None or step.get("max_score") is not None:
        parts.append(_g("评分 %(low)s–%(high)s") % {"low": step.get("min_score") if step.get("min_score") is not None
                                                    else "", "high": step.get("max_score")
                                                    if step.get("max_score") is not None else ""})
    if step.get("time_limit_hours"):
        parts.append(_g("时限 %(h)s 小时") % {"h": step["time_limit_hours"]})
    return f"{step.get('name')}（{'，'.join(parts)}）"


def _flow_describe(request):
    from ioudesk.approvals.models import ApprovalFlow

    flow = ApprovalFlow.objects.filter(pk=request.target_id).first()
    payload = request.payload or {}
    kind = kind_for(flow.kind) if flow is not None else None
    rows = [(_g("审批流"), str(flow) if flow else "-"),
            (_g("审批事项"), str(kind.label) if kind else (flow.kind if flow else "-")),
            (_g("当前版本"), f"v{flow.current_version.number}" if flow and flow.current_version else _g("未发布"))]
    settings = payload.get("settings") or {}
    if "is_active" in settings:
        rows.append((_g("启用"), _g("是") if settings["is_active"] else _g("否")))
    for index, step in enumerate(payload.get("steps") or [], start=1):
        rows.append((_g("第 %(n)d 步") % {"n": index}, step_text(step)))
    if payload.get("note"):
        rows.append((_g("修改说明"), payload["note"]))
    return rows


# --- business_date_back -------------------------------------------------------------------------------

def _date_of(payload) -> date | None:
    value = payload.get("new_date")
    return date.fromisoformat(value) if value else None


def _date_execute(*, target, payload, maker, checker=None, approval=None):
    from ioudesk.core.services import business_date_set

    organisation = business_date_set(organisation=target, new_date=_date_of(payload), reason=payload.get("reason") or "",
                                     actor=maker, approval=approval)
    return {"business_date": organisation.business_date.isoformat() if organisation.business_date else None}


def _date_describe(request):
    from ioudesk.core.models import Organisation

    organisation = Organisation.objects.filter(pk=request.target_id).first()
    payload = request.payload or {}
    current = organisation.business_date.isoformat() if organisation and organisation.business_date else _g("今天")
    return [(_g("当前营业日"), current), (_g("改为"), payload.get("new_date") or _g("今天（实际日期）")),
            (_g("原因"), payload.get("reason") or "-")]


def _date_validate(*, target, payload, user):
    """What business_date_set itself would refuse (a date before the books, too far ahead, no reason, no
    permission) is refused before the request is opened, not when it is approved."""
    from ioudesk.core.errors import ValidationFailed
    from ioudesk.core.services import business_date_check

    try:
        new_date = _date_of(payload)
    except (TypeError, ValueError):
        raise ValidationFailed(_g("营业日格式不正确"), extra={"field": "business_date"}) from None
    business_date_check(new_date=new_date, reason=payload.get("reason") or "", actor=user)


# --- role_change ---------------------------------------------------------------------------------------

def _role_execute(*, target, payload, maker, checker=None, approval=None):
    from ioudesk.core.staff import role_save

    role = role_save(role=target, name=payload.get("name") or target.name,
                     permissions=Permission.objects.filter(pk__in=payload.get("permissions") or []),
                     actor=maker, approval=approval)
    return {"role": role.pk}


def _role_describe(request):
    from django.contrib.auth.models import Group

    role = Group.objects.filter(pk=request.target_id).first()
    payload = request.payload or {}
    wanted = set(payload.get("permissions") or [])
    current = set(role.permissions.values_list("pk", flat=True)) if role else set()
    added = Permission.objects.filter(pk__in=wanted - current).order_by("content_type__app_label", "codename")
    removed = Permission.objects.filter(pk__in=current - wanted).order_by("content_type__app_label", "codename")
    rows = [(_g("角色"), str(role) if role else "-")]
    if role and payload.get("name") and payload["name"] != role.name:
        rows.append((_g("新名称"), payload["name"]))
    rows.append((_g("增加的权限"), "、".join(str(p.name) for p in added) or _g("无")))
    rows.append((_g("去掉的权限"), "、".join(str(p.name) for p in removed) or _g("无")))
    return rows


def register() -> None:
    register_request_kind(RequestKind(code=FLOW_CHANGE, label=_("审批流变更"), execute=_flow_execute,
                                      describe=_flow_describe, validate=_flow_validate,
                                      url=lambda request: f"/admin/approvals/approvalflow/{request.target_id}/change/"))
    register_request_kind(RequestKind(code=BUSINESS_DATE_BACK, label=_("营业日回退"), execute=_date_execute,
                                      describe=_date_describe, validate=_date_validate))
    register_request_kind(RequestKind(code=ROLE_CHANGE, label=_("角色权限变更"), execute=_role_execute,
                                      describe=_role_describe,
                                      url=lambda request: f"/admin/auth/group/{request.target_id}/change/"))
