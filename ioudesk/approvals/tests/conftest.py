"""The approvals tests' world: a tiny request kind of their own (``test_payout``: pay an amount out of
a branch's petty cash; its executor records what it was asked and passes the gate like a domain
service), the staff who make and approve, and a helper that publishes a flow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ioudesk.approvals import registry
from ioudesk.approvals.registry import RequestKind

KIND = "test_payout"


@pytest.fixture
def executed():
    """What the test kind's executor was asked to do: one dict per call."""
    return []


@pytest.fixture
def payout_kind(executed):
    from ioudesk.approvals.services import gate
    from ioudesk.core.errors import ValidationFailed

    def execute(*, target, payload, maker, checker, approval):
        amount = Decimal(payload["amount"])
        gate(KIND, target=target, amount=amount, branch_id=target.pk, approval=approval)  # as a domain service does
        executed.append({"target": target, "amount": amount, "maker": maker, "checker": checker,
                         "approval": approval, "offer": dict(payload.get("offer") or {})})
        return {"paid": str(amount)}

    def validate(*, target, payload, user):
        if Decimal(payload["amount"]) <= 0:
            raise ValidationFailed("金额须大于 0", extra={"field": "amount"})

    def describe(request):
        return [("网点", str(request.branch)), ("金额", f"¥{Decimal(request.payload['amount']):,.2f}")]

    kind = RequestKind(code=KIND, label="测试付款", execute=execute, describe=describe, validate=validate,
                       low_risk=lambda request: request.amount is not None and request.amount < Decimal("5000"),
                       counter_fields=("amount", "term"))
    registry.register_request_kind(kind)
    yield kind
    registry.REQUEST_KINDS.pop(KIND, None)


@pytest.fixture
def staff(make_staff, admin_user_zh):
    """maker 张伟 (客户经理), approvers 刘洋 liuyang and 吴刚 wugang (审批员), 王芳 wangfang (审批员), the
    risk committee 周敏 zhoumin and 孙丽 sunli (客户经理 with the approvals.* of an ad-hoc group)."""
    from django.contrib.auth.models import Group, Permission

    people = {"maker": make_staff("zhangwei", role="客户经理"), "admin": admin_user_zh}
    for name in ("liuyang", "wugang", "wangfang"):
        people[name] = make_staff(name, role="审批员")
    committee_role, _ = Group.objects.get_or_create(name="委员（测试）")
    committee_role.permissions.add(Permission.objects.get(codename="decide_approvalrequest"))
    for name in ("zhoumin", "sunli"):
        people[name] = make_staff(name, role="客户经理")
        people[name].groups.add(committee_role)
    return people


@pytest.fixture
def committee(staff):
    from ioudesk.approvals.flows import approver_group_save

    return approver_group_save(name="风控委员会", members=[staff["zhoumin"], staff["sunli"]])


@pytest.fixture
def make_flow(payout_kind):
    from ioudesk.approvals.flows import flow_save
    from ioudesk.approvals.models import ApprovalFlow

    def make(steps, *, name="测试付款审批", kind=KIND, priority=100, **settings):
        flow = ApprovalFlow.objects.create(name=name, kind=kind, priority=priority, is_active=True)
        flow_save(flow=flow, steps=steps, settings=settings, note="测试")
        flow.refresh_from_db()
        return flow

    return make


def role(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name).pk
