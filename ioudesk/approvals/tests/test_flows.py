"""Flows as data: a flow edited mid-way leaves running requests on their version; editing a flow is
itself approved (approval_flow_change); the seeded flows; approver groups and delegations."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ioudesk.approvals import selectors, services
from ioudesk.approvals.core_kinds import FLOW_CHANGE
from ioudesk.approvals.flows import flow_save, steps_of
from ioudesk.approvals.models import ApprovalFlow, RequestStatus, StepMode
from ioudesk.approvals.tests.conftest import KIND, role
from ioudesk.core import clock
from ioudesk.core.errors import ValidationFailed


def submit(staff, head_office, amount="1200.00", target=None):
    return services.submit_or_run(kind=KIND, target=target or head_office, user=staff["maker"],
                                  payload={"amount": amount}, summary=f"付款 ¥{amount}", amount=Decimal(amount),
                                  branch=head_office).request


def test_a_flow_edited_mid_way_leaves_running_requests_on_their_version(staff, head_office, make_flow, make_branch,
                                                                         executed):
    flow = make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    running = submit(staff, head_office)
    assert running.flow_version.number == 1
    # v2: two named approvers, both must agree (会签)
    flow_save(flow=flow, steps=[{"name": "双人会签", "approver_type": "users", "mode": StepMode.ALL,
                                 "users": [staff["zhoumin"].pk, staff["sunli"].pk]}], note="改为会签")
    flow.refresh_from_db()
    assert flow.current_version.number == 2
    newer = submit(staff, head_office, target=make_branch("B2", "二分店"))
    assert newer.flow_version.number == 2
    assert sorted(t.assignee.username for t in newer.tasks.all()) == ["sunli", "zhoumin"]

    # the running request still goes by v1: one 审批员 settles it
    services.request_decide(request=running, user=staff["liuyang"], decision="approve")
    running.refresh_from_db()
    assert running.status == RequestStatus.APPROVED
    # the new one by v2: one of two is not enough
    services.request_decide(request=newer, user=staff["zhoumin"], decision="approve")
    newer.refresh_from_db()
    assert newer.status == RequestStatus.PENDING
    services.request_decide(request=newer, user=staff["sunli"], decision="approve")
    newer.refresh_from_db()
    assert newer.status == RequestStatus.APPROVED and len(executed) == 2


def test_editing_a_flow_in_the_back_office_goes_through_its_own_approval(client, staff, head_office, make_flow):
    flow = make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    make_flow([{"name": "系统管理员审批", "approver_type": "role", "role": role("系统管理员"), "mode": StepMode.ANY}],
              name="审批流变更审批", kind=FLOW_CHANGE)
    editor = staff["liuyang"]  # 审批员: approvals.* lets them propose a change, 系统管理员 approves it
    client.force_login(editor)
    page = client.get(reverse("backoffice:approval_flow_edit", args=[flow.pk]))
    assert page.status_code == 200
    data = {"name": flow.name, "priority": "100", "is_active": "on", "min_amount": "", "max_amount": "",
            "note": "加一步风控", "steps-TOTAL_FORMS": "2", "steps-INITIAL_FORMS": "1", "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "20",
            "steps-0-name": "审批员审批", "steps-0-approver_type": "role", "steps-0-role": role("审批员"),
            "steps-0-mode": "any", "steps-0-required_count": "1",
            "steps-1-name": "主管复核", "steps-1-approver_type": "users", "steps-1-users": [staff["wugang"].pk],
            "steps-1-mode": "any", "steps-1-required_count": "1", "steps-1-min_amount": "50000"}
    answer = client.post(reverse("backoffice:approval_flow_edit", args=[flow.pk]), data)
    assert answer.status_code == 302
    flow.refresh_from_db()
    assert flow.current_version.number == 1  # not yet: the change waits for 系统管理员
    change = selectors.pending_for(flow)[0]
    assert change.kind == FLOW_CHANGE and change.maker == editor
    services.request_decide(request=change, user=staff["admin"], decision="approve")
    flow.refresh_from_db()
    assert flow.current_version.number == 2
    assert [s["name"] for s in steps_of(flow.current_version)] == ["审批员审批", "主管复核"]
    assert steps_of(flow.current_version)[1]["min_amount"] == "50000.00"


def test_a_step_is_checked_field_by_field():
    with pytest.raises(ValidationFailed) as refused:
        from ioudesk.approvals.flows import clean_steps

        clean_steps([{"name": "", "approver_type": "role", "role": None, "min_amount": "5", "max_amount": "1"}])
    fields = {d["field"] for d in refused.value.extra["details"]}
    assert fields == {"steps-0-name", "steps-0-role", "steps-0-max_amount"}


def test_seeded_flows(staff, payout_kind):
    from ioudesk.approvals import registry
    from ioudesk.approvals.registry import RequestKind

    real = registry.REQUEST_KINDS.get("iou_waive")  # the ious app's kind: put back afterwards
    registry.register_request_kind(RequestKind(code="iou_waive", label="减免", execute=lambda **kw: {},
                                               describe=lambda r: []))
    try:
        created = services.flow_defaults_ensure()
        assert created >= 4  # iou_waive + the three core kinds (and whatever else is registered)
        assert services.flow_defaults_ensure() == 0  # never twice
        waiver = ApprovalFlow.objects.get(kind="iou_waive")
        assert waiver.min_amount == Decimal("1000.00")
        assert not services.needs_approval("iou_waive", amount=Decimal("999.99"))
        assert services.needs_approval("iou_waive", amount=Decimal("1000.00"))
    finally:
        registry.REQUEST_KINDS.pop("iou_waive", None)
        if real is not None:
            registry.register_request_kind(real)


def test_a_delegation_sends_the_task_to_the_delegate_but_never_to_the_maker(staff, head_office, make_flow):
    make_flow([{"name": "指定审批", "approver_type": "users", "mode": StepMode.ALL,
                "users": [staff["liuyang"].pk, staff["wugang"].pk]}])
    with clock.frozen(date(2026, 12, 1)):
        services.delegation_save(from_user=staff["liuyang"], to_user=staff["wangfang"], starts_on=date(2026, 11, 30),
                                 ends_on=date(2026, 12, 5), reason="年假", user=staff["liuyang"])
        # wugang delegates to the maker: the maker must never get the task, wugang keeps it
        services.delegation_save(from_user=staff["wugang"], to_user=staff["maker"], starts_on=date(2026, 11, 30),
                                 ends_on=date(2026, 12, 5), user=staff["wugang"])
        request = submit(staff, head_office)
    tasks = {t.assignee.username: t.on_behalf_of for t in request.tasks.all()}
    assert tasks == {"wangfang": staff["liuyang"], "wugang": None}
    assert "liuyang 委派给 wangfang" in " ".join(request.decisions.values_list("comment", flat=True)).replace(
        str(staff["liuyang"]), "liuyang").replace(str(staff["wangfang"]), "wangfang")
    with pytest.raises(ValidationFailed):  # nobody delegates to themselves
        services.delegation_save(from_user=staff["wugang"], to_user=staff["wugang"], starts_on=date(2026, 12, 1),
                                 ends_on=date(2026, 12, 2), user=staff["wugang"])


def test_with_one_administrator_the_administrators_flows_are_seeded_switched_off(organisation, make_staff,
                                                                              admin_client):
    from ioudesk.approvals.flows import ADMIN_KINDS, flows_off_for_one_administrator

    make_staff("solo", role="系统管理员")
    services.flow_defaults_ensure()
    off = ApprovalFlow.objects.filter(kind__in=ADMIN_KINDS)
    assert off.count() == 3 and not off.filter(is_active=True).exists()
    assert not services.needs_approval("business_date_back")
    assert {f.kind for f in flows_off_for_one_administrator()} == set(ADMIN_KINDS)
    page = admin_client.get("/admin/approvals/approvalflow/").content.decode()
    assert "目前只有一位系统管理员" in page and "营业日回退审批" in page
    make_staff("second", role="系统管理员")
    assert flows_off_for_one_administrator() == []


def test_with_two_administrators_they_are_seeded_switched_on(organisation, make_staff):
    from ioudesk.approvals.flows import ADMIN_KINDS

    make_staff("one", role="系统管理员")
    make_staff("two", role="系统管理员")
    services.flow_defaults_ensure()
    assert ApprovalFlow.objects.filter(kind__in=ADMIN_KINDS, is_active=True).count() == 3
    assert services.needs_approval("business_date_back")
