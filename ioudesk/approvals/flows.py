"""Flow configuration: flows and their versions, approver groups, delegations, the seeded flows.

An edit of a flow publishes a new ``FlowVersion`` (``flow_save``); requests already running keep the
version they started on. In the back office a flow is edited through the request kind
``approval_flow_change`` (``core_kinds.py``), whose executor calls ``flow_save``: editing the flows is
itself approved by the flow of that kind. docs/domain.md §23.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ioudesk.approvals.models import (
    ApprovalFlow,
    ApproverGroup,
    ApproverType,
    Delegation,
    FlowStep,
    FlowVersion,
    StepMode,
)
from ioudesk.approvals.registry import REQUEST_KINDS
from ioudesk.calc.money import quantize
from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.roles import ADMINISTRATOR, APPROVER

RISK_COMMITTEE = "风控委员会"
COMMITTEE_FROM = Decimal("200000.00")
WAIVER_FROM = Decimal("1000.00")

STEP_FIELDS = ("name", "approver_type", "role", "group", "users", "mode", "required_count", "min_amount",
               "max_amount", "products", "branches", "min_score", "max_score", "time_limit_hours",
               "escalate_to_role", "escalate_to_user", "allow_bulk")
FLOW_FIELDS = ("name", "priority", "is_active", "min_amount", "max_amount", "products", "branches")


def _refuse(problems: dict[str, list[str]]) -> ValidationFailed:
    first = next(iter(problems))
    return ValidationFailed("；".join(m for ms in problems.values() for m in ms),
                            extra={"field": first, "details": [{"field": name, "message": message}
                                                               for name, messages in problems.items()
                                                               for message in messages]})


def _pk(value):
    if value in (None, ""):
        return None
    return getattr(value, "pk", value)


def _pks(values) -> list[int]:
    return sorted({int(_pk(v)) for v in (values or []) if _pk(v) not in (None, "")})


def _amount(value, field_name, problems):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", ""))
        if not amount.is_finite():
            raise InvalidOperation
        amount = quantize(amount)
    except InvalidOperation:
        problems.setdefault(field_name, []).append(_("金额格式不正确：%(value)s") % {"value": value})
        return None
    if amount < 0:
        problems.setdefault(field_name, []).append(_("金额不能为负数"))
    return amount


def _int(value, field_name, problems, *, low=None):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        problems.setdefault(field_name, []).append(_("请填写整数：%(value)s") % {"value": value})
        return None
    if low is not None and number < low:
        problems.setdefault(field_name, []).append(_("不能小于 %(low)s") % {"low": low})
    return number


def clean_steps(steps: list[dict]) -> list[dict]:
    """The steps as JSON values (ids, amounts as strings), every problem named by ``steps-<i>-<field>``."""
    problems: dict[str, list[str]] = {}
    if not steps:
        raise _refuse({"steps": [_("审批流至少要有一个步骤")]})
    User = get_user_model()
    cleaned = []
    for index, raw in enumerate(steps):
        at = f"steps-{index}-"
        label = _("第 %(n)d 步") % {"n": index + 1}
        step = {"name": str(raw.get("name") or "").strip()[:40]}
        if not step["name"]:
            problems.setdefault(at + "name", []).append(label + _("：请填写步骤名称"))
        kind = raw.get("approver_type") or ApproverType.ROLE
        if kind not in ApproverType.values:
            problems.setdefault(at + "approver_type", []).append(label + _("：审批人类型不正确"))
        mode = raw.get("mode") or StepMode.ANY
        if mode not in StepMode.values:
            problems.setdefault(at + "mode", []).append(label + _("：审批方式不正确"))
        step.update(approver_type=kind, mode=mode, role=_pk(raw.get("role")), group=_pk(raw.get("group")),
                    users=_pks(raw.get("users")))
        if kind == ApproverType.ROLE and not (step["role"] and Group.objects.filter(pk=step["role"]).exists()):
            problems.setdefault(at + "role", []).append(label + _("：请选择审批角色"))
        if kind == ApproverType.GROUP and not (step["group"] and ApproverGroup.objects.filter(pk=step["group"]).exists()):
            problems.setdefault(at + "group", []).append(label + _("：请选择审批组"))
        if kind == ApproverType.USERS and (not step["users"] or User.objects.filter(pk__in=step["users"]).count()
                                           != len(step["users"])):
            problems.setdefault(at + "users", []).append(label + _("：请选择审批人员"))
        step["required_count"] = _int(raw.get("required_count") or 1, at + "required_count", problems, low=1) or 1
        low = _amount(raw.get("min_amount"), at + "min_amount", problems)
        high = _amount(raw.get("max_amount"), at + "max_amount", problems)
        if low is not None and high is not None and low > high:
            problems.setdefault(at + "max_amount", []).append(label + _("：金额上限不能低于下限"))
        step["min_amount"] = str(low) if low is not None else None
        step["max_amount"] = str(high) if high is not None else None
        step["min_score"] = _int(raw.get("min_score"), at + "min_score", problems)
        step["max_score"] = _int(raw.get("max_score"), at + "max_score", problems)
        if step["min_score"] is not None and step["max_score"] is not None and step["min_score"] > step["max_score"]:
            problems.setdefault(at + "max_score", []).append(label + _("：评分上限不能低于下限"))
        step["time_limit_hours"] = _int(raw.get("time_limit_hours"), at + "time_limit_hours", problems, low=1)
        step["escalate_to_role"] = _pk(raw.get("escalate_to_role"))
        step["escalate_to_user"] = _pk(raw.get("escalate_to_user"))
        if (step["escalate_to_role"] or step["escalate_to_user"]) and not step["time_limit_hours"]:
            problems.setdefault(at + "time_limit_hours", []).append(label + _("：设置了超时升级，请填写时限（小时）"))
        step["products"], step["branches"] = _pks(raw.get("products")), _pks(raw.get("branches"))
        step["allow_bulk"] = bool(raw.get("allow_bulk"))
        cleaned.append(step)
    if problems:
        raise _refuse(problems)
    return cleaned


def clean_settings(settings: dict) -> dict:
    problems: dict[str, list[str]] = {}
    cleaned = {}
    if "name" in settings:
        cleaned["name"] = str(settings["name"] or "").strip()[:60]
        if not cleaned["name"]:
            problems["name"] = [_("请填写审批流名称")]
    if "priority" in settings:
        cleaned["priority"] = _int(settings["priority"], "priority", problems, low=0) or 0
    if "is_active" in settings:
        cleaned["is_active"] = bool(settings["is_active"])
    for name in ("min_amount", "max_amount"):
        if name in settings:
            value = _amount(settings[name], name, problems)
            cleaned[name] = str(value) if value is not None else None
    if cleaned.get("min_amount") and cleaned.get("max_amount") and \
            Decimal(cleaned["min_amount"]) > Decimal(cleaned["max_amount"]):
        problems["max_amount"] = [_("金额上限不能低于下限")]
    for name in ("products", "branches"):
        if name in settings:
            cleaned[name] = _pks(settings[name])
    if problems:
        raise _refuse(problems)
    return cleaned


def steps_of(version: FlowVersion | None) -> list[dict]:
    """A version's steps as the dicts ``flow_save`` takes (to edit them, or to show them)."""
    if version is None:
        return []
    rows = []
    for step in version.steps.prefetch_related("users", "products", "branches").order_by("order"):
        rows.append({
            "name": step.name, "approver_type": step.approver_type, "role": step.role_id, "group": step.group_id,
            "users": sorted(u.pk for u in step.users.all()), "mode": step.mode, "required_count": step.required_count,
            "min_amount": str(step.min_amount) if step.min_amount is not None else None,
            "max_amount": str(step.max_amount) if step.max_amount is not None else None,
            "products": sorted(p.pk for p in step.products.all()), "branches": sorted(b.pk for b in step.branches.all()),
            "min_score": step.min_score, "max_score": step.max_score, "time_limit_hours": step.time_limit_hours,
            "escalate_to_role": step.escalate_to_role_id, "escalate_to_user": step.escalate_to_user_id,
            "allow_bulk": step.allow_bulk})
    return rows


def settings_of(flow: ApprovalFlow) -> dict:
    return {"name": flow.name, "priority": flow.priority, "is_active": flow.is_active,
            "min_amount": str(flow.min_amount) if flow.min_amount is not None else None,
            "max_amount": str(flow.max_amount) if flow.max_amount is not None else None,
            "products": sorted(p.pk for p in flow.products.all()) if flow.pk else [],
            "branches": sorted(b.pk for b in flow.branches.all()) if flow.pk else []}


@transaction.atomic
def flow_create(*, name: str, kind: str, user=None, priority: int = 100) -> ApprovalFlow:
    """A new flow, switched off and without steps: it applies to nothing until its first version is
    published (through ``approval_flow_change``) and it is switched on."""
    if user is not None and not user.has_perm("approvals.add_approvalflow"):
        raise PermissionDenied(_("您没有新建审批流的权限。"))
    problems = {}
    name = str(name or "").strip()[:60]
    if not name:
        problems["name"] = [_("请填写审批流名称")]
    if kind not in REQUEST_KINDS:
        problems["kind"] = [_("请选择审批事项")]
    if problems:
        raise _refuse(problems)
    flow = ApprovalFlow.objects.create(name=name, kind=kind, priority=priority, is_active=False)
    audit.record(AuditAction.CREATE, obj=flow, verb=_("新建审批流"))
    return flow


@transaction.atomic
def flow_save(*, flow: ApprovalFlow, steps: list[dict], user=None, note: str = "",
              settings: dict | None = None) -> FlowVersion:
    """Publish a new version of ``flow`` with ``steps`` (and change its own settings): the next
    requests follow it, running ones keep theirs."""
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    cleaned = clean_steps(steps)
    changes = clean_settings(settings or {})
    before = settings_of(flow)
    for name in ("name", "priority", "is_active", "min_amount", "max_amount"):
        if name in changes:
            setattr(flow, name, Decimal(changes[name]) if name.endswith("amount") and changes[name] else changes[name])
    number = (flow.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = FlowVersion.objects.create(flow=flow, number=number, note=str(note or "")[:200], created_by=user)
    for order, data in enumerate(cleaned, start=1):
        step = FlowStep.objects.create(
            version=version, order=order, name=data["name"], approver_type=data["approver_type"],
            role_id=data["role"] if data["approver_type"] == ApproverType.ROLE else None,
            group_id=data["group"] if data["approver_type"] == ApproverType.GROUP else None,
            mode=data["mode"], required_count=data["required_count"],
            min_amount=Decimal(data["min_amount"]) if data["min_amount"] else None,
            max_amount=Decimal(data["max_amount"]) if data["max_amount"] else None,
            min_score=data["min_score"], max_score=data["max_score"], time_limit_hours=data["time_limit_hours"],
            escalate_to_role_id=data["escalate_to_role"], escalate_to_user_id=data["escalate_to_user"],
            allow_bulk=data["allow_bulk"])
        if data["approver_type"] == ApproverType.USERS:
            step.users.set(data["users"])
        step.products.set(data["products"])
        step.branches.set(data["branches"])
    flow.current_version = version
    flow.save()
    for name in ("products", "branches"):
        if name in changes:
            getattr(flow, name).set(changes[name])
    audit.record(AuditAction.UPDATE, obj=flow, verb=_("发布审批流版本"), reason=note,
                 changes={"version": number, "before": before, "after": settings_of(flow), "steps": cleaned})
    return version


@transaction.atomic
def approver_group_save(*, group: ApproverGroup | None = None, name: str, members=(), is_active: bool = True,
                        user=None) -> ApproverGroup:
    name = str(name or "").strip()[:40]
    if not name:
        raise _refuse({"name": [_("请填写审批组名称")]})
    clash = ApproverGroup.objects.filter(name__iexact=name)
    if group is not None and group.pk:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise _refuse({"name": [_("审批组“%(name)s”已存在") % {"name": name}]})
    before = audit.snapshot(group) if group is not None and group.pk else None
    saved = group or ApproverGroup()
    saved.name, saved.is_active = name, bool(is_active)
    saved.save()
    saved.members.set(_pks(members))
    if before is None:
        audit.record(AuditAction.CREATE, obj=saved, verb=_("新建审批组"), changes=audit.snapshot(saved))
    else:
        audit.record_change(obj=saved, before=before, after=audit.snapshot(saved), verb=_("修改审批组"))
    return saved


@transaction.atomic
def delegation_save(*, delegation: Delegation | None = None, from_user, to_user, starts_on, ends_on, reason: str = "",
                    is_active: bool = True, user=None) -> Delegation:
    """委派: from ``starts_on`` to ``ends_on`` the tasks meant for ``from_user`` go to ``to_user``.
    Anyone may delegate their own tasks; someone else's only with ``approvals.change_delegation``."""
    problems: dict[str, list[str]] = {}
    if from_user is None:
        problems["from_user"] = [_("请选择委派人")]
    if to_user is None:
        problems["to_user"] = [_("请选择代理审批人")]
    elif from_user is not None and to_user.pk == from_user.pk:
        problems["to_user"] = [_("不能委派给自己")]
    elif not to_user.is_active:
        problems["to_user"] = [_("代理审批人已停用")]
    if starts_on is None:
        problems["starts_on"] = [_("请填写开始日期")]
    if ends_on is None:
        problems["ends_on"] = [_("请填写结束日期")]
    elif starts_on is not None and ends_on < starts_on:
        problems["ends_on"] = [_("结束日期不能早于开始日期")]
    if problems:
        raise _refuse(problems)
    if user is not None and user.pk != from_user.pk and not user.has_perm("approvals.change_delegation"):
        raise PermissionDenied(_("只能委派自己的审批。"))
    before = audit.snapshot(delegation) if delegation is not None and delegation.pk else None
    saved = delegation or Delegation()
    saved.from_user, saved.to_user = from_user, to_user
    saved.starts_on, saved.ends_on, saved.reason, saved.is_active = starts_on, ends_on, (reason or "")[:100], is_active
    saved.save()
    if before is None:
        audit.record(AuditAction.CREATE, obj=saved, verb=_("新建审批委派"), changes=audit.snapshot(saved))
    else:
        audit.record_change(obj=saved, before=before, after=audit.snapshot(saved), verb=_("修改审批委派"))
    return saved


# --- the seeded flows ---------------------------------------------------------------------------------

def _approver_step(name, role, **extra):
    return {"name": name, "approver_type": ApproverType.ROLE, "role": role, "mode": StepMode.ANY, **extra}


# the seeded flows whose step is the 系统管理员 role
ADMIN_KINDS = ("business_date_back", "approval_flow_change", "role_change")


def active_administrators() -> int:
    return get_user_model().objects.filter(is_active=True, groups__name=ADMINISTRATOR).distinct().count()


def flows_off_for_one_administrator() -> list[ApprovalFlow]:
    """The seeded 系统管理员 flows left switched off while the organisation has fewer than two active
    administrators (the flow list tells the administrator to switch them on once there is a second)."""
    if active_administrators() >= 2:
        return []
    return list(ApprovalFlow.objects.filter(kind__in=ADMIN_KINDS, is_active=False))


def default_flows() -> dict[str, tuple[str, dict, list[dict]]]:
    """kind → (name, flow settings, steps) of the flows ``ioudesk setup`` seeds."""
    approver = Group.objects.get(name=APPROVER).pk
    admin = Group.objects.get(name=ADMINISTRATOR).pk
    committee, _created = ApproverGroup.objects.get_or_create(name=RISK_COMMITTEE)
    first = _approver_step(_("审批员审批"), approver, time_limit_hours=24, escalate_to_role=admin)
    committee_step = {"name": _("风控委员会审批"), "approver_type": ApproverType.GROUP, "group": committee.pk,
                      "mode": StepMode.ANY, "min_amount": str(COMMITTEE_FROM), "time_limit_hours": 48,
                      "escalate_to_role": admin}
    admin_step = _approver_step(_("系统管理员审批"), admin)
    return {
        "application": (_("贷款申请审批"), {}, [dict(first, name=_("初审")), committee_step]),
        "iou_approval": (_("借据审批"), {}, [first, committee_step]),
        # up to ¥5,000 a waiver or refund is low risk: 批量同意 in the inbox (the step allows it)
        "iou_waive": (_("减免审批（¥1,000 起）"), {"min_amount": str(WAIVER_FROM)}, [dict(first, allow_bulk=True)]),
        "transaction_reverse": (_("冲正审批"), {}, [first]),
        "iou_write_off": (_("核销审批"), {}, [first]),
        "iou_extend": (_("展期审批"), {}, [first]),
        "iou_refund": (_("退款审批"), {}, [dict(first, allow_bulk=True)]),
        "product_change": (_("产品变更审批"), {}, [first]),
        "business_date_back": (_("营业日回退审批"), {}, [admin_step]),
        "approval_flow_change": (_("审批流变更审批"), {}, [admin_step]),
        "role_change": (_("角色权限变更审批"), {}, [admin_step]),
    }


@transaction.atomic
def flow_defaults_ensure() -> int:
    """Seed a flow for each kind listed in ``default_flows`` that is registered and has no flow yet
    (the administrator's edits are never overwritten). Returns how many were created."""
    created = 0
    # The flows a 系统管理员 approves need a second one: with a single administrator they are seeded switched
    # off (else nobody could ever move the date back, change a role or a flow); the flow list says so.
    second_admin = active_administrators() >= 2
    for kind, (name, settings, steps) in default_flows().items():
        if kind not in REQUEST_KINDS or ApprovalFlow.objects.filter(kind=kind).exists():
            continue
        flow = ApprovalFlow.objects.create(name=name, kind=kind, is_active=kind not in ADMIN_KINDS or second_admin,
                                           min_amount=Decimal(settings["min_amount"]) if settings.get("min_amount") else None)
        flow_save(flow=flow, steps=steps, user=None, note=_("系统预置"))
        created += 1
    return created
