"""A request's life through a flow: given a flow, when the maker submits and approvers decide, then
the operation runs exactly once, on the last approval, by the right people."""

from decimal import Decimal

import pytest

from ioudesk.approvals import selectors, services
from ioudesk.approvals.errors import ApprovalRequired
from ioudesk.approvals.models import ApprovalDecision, DecisionKind, RequestStatus, StepMode, TaskState
from ioudesk.approvals.tests.conftest import KIND, role
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed

APPROVER_STEP = {"name": "审批员审批", "approver_type": "role", "mode": StepMode.ANY}


def submit(staff, head_office, amount="1200.00", **extra):
    return services.submit_or_run(kind=KIND, target=head_office, user=staff["maker"], payload={"amount": amount},
                                  summary=f"付款 ¥{amount}", amount=Decimal(amount), branch=head_office, **extra)


def test_without_a_flow_the_operation_runs_at_once(staff, head_office, payout_kind, executed):
    assert not services.needs_approval(KIND, amount=Decimal("1200"))
    outcome = submit(staff, head_office)
    assert outcome.request is None and outcome.result == {"paid": "1200.00"}
    assert executed[0]["checker"] is None and executed[0]["maker"] == staff["maker"]


def test_any_one_approver_settles_the_step_and_the_operation_runs_on_that_approval(
        staff, head_office, make_flow, executed):
    make_flow([dict(APPROVER_STEP, role=role("审批员"))])
    outcome = submit(staff, head_office)
    request = outcome.request
    assert request.status == RequestStatus.PENDING and not executed
    # the three 审批员 each have a task; the maker is never among them
    assert sorted(t.assignee.username for t in request.tasks.all()) == ["liuyang", "wangfang", "wugang"]
    assert selectors.inbox_count(staff["liuyang"]) == 1 and selectors.inbox_count(staff["maker"]) == 0

    # the operation cannot be done around the flow: the gate refuses without the approved request
    with pytest.raises(ApprovalRequired) as refused:
        services.gate(KIND, target=head_office, amount=Decimal("1200"), branch_id=head_office.pk)
    assert refused.value.code == "approval_required"
    assert "「测试付款」须经审批" in str(refused.value.message)

    with pytest.raises(PermissionDenied, match="不能审批自己提交的申请"):
        services.request_decide(request=request, user=staff["maker"], decision="approve")

    services.request_decide(request=request, user=staff["wugang"], decision="approve", comment="同意")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.result == {"paid": "1200.00"}
    assert len(executed) == 1 and executed[0]["checker"] == staff["wugang"] and executed[0]["approval"] == request
    states = {t.assignee.username: t.state for t in request.tasks.all()}
    assert states == {"wugang": TaskState.APPROVED, "liuyang": TaskState.CANCELLED, "wangfang": TaskState.CANCELLED}
    assert list(request.decisions.exclude(decision=DecisionKind.NOTE).values_list("decision", flat=True)) == [
        "submit", "approve", "execute"]
    # what the approver saw is kept with the decision
    approve = request.decisions.get(decision=DecisionKind.APPROVE)
    assert approve.seen == [["网点", str(head_office)], ["金额", "¥1,200.00"]]
    # an approval, once carried out, opens the gate no more
    with pytest.raises(ApprovalRequired):
        services.gate(KIND, target=head_office, amount=Decimal("1200"), branch_id=head_office.pk, approval=request)
    # and nobody decides a closed request
    with pytest.raises(InvalidState):
        services.request_decide(request=request, user=staff["liuyang"], decision="approve")


def test_over_200000_adds_the_risk_committee_step(staff, head_office, make_flow, committee, executed):
    make_flow([dict(APPROVER_STEP, role=role("审批员")),
               {"name": "风控委员会审批", "approver_type": "group", "group": committee.pk, "mode": StepMode.ANY,
                "min_amount": "200000.00"}])
    small = submit(staff, head_office, amount="199999.99").request
    services.request_decide(request=small, user=staff["liuyang"], decision="approve")
    small.refresh_from_db()
    assert small.status == RequestStatus.APPROVED  # one step: under ¥200,000 the committee does not apply

    big = submit(staff, head_office, amount="200000.00").request
    services.request_decide(request=big, user=staff["liuyang"], decision="approve")
    big.refresh_from_db()
    assert big.status == RequestStatus.PENDING and big.current_step == 2
    assert sorted(t.assignee.username for t in big.tasks.filter(step_order=2)) == ["sunli", "zhoumin"]
    # the first step's approver is not the committee
    with pytest.raises(PermissionDenied):
        services.request_decide(request=big, user=staff["liuyang"], decision="approve")
    services.request_decide(request=big, user=staff["zhoumin"], decision="approve")
    big.refresh_from_db()
    assert big.status == RequestStatus.APPROVED
    assert [e["amount"] for e in executed] == [Decimal("199999.99"), Decimal("200000.00")]


def test_one_open_request_per_target_and_kind(staff, head_office, make_flow):
    make_flow([dict(APPROVER_STEP, role=role("审批员"))])
    first = submit(staff, head_office).request
    with pytest.raises(InvalidState, match=first.number):
        submit(staff, head_office)


def test_validate_refuses_before_anything_is_written(staff, head_office, make_flow):
    make_flow([dict(APPROVER_STEP, role=role("审批员"))])
    with pytest.raises(ValidationFailed):
        submit(staff, head_office, amount="-5.00")
    assert not ApprovalDecision.objects.exists()


def test_decisions_are_append_only(staff, head_office, make_flow):
    from django.db import DatabaseError, connection, transaction

    make_flow([dict(APPROVER_STEP, role=role("审批员"))])
    request = submit(staff, head_office).request
    decision = request.decisions.first()
    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        ApprovalDecision.objects.filter(pk=decision.pk).update(comment="改过")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:  # the trigger
        cursor.execute("UPDATE approvals_approvaldecision SET comment = 'x' WHERE id = %s", [decision.pk])


def test_each_step_has_its_own_approvers(staff, head_office, make_flow, executed):
    from ioudesk.approvals.flows import approver_group_save

    both = approver_group_save(name="风控委员会", members=[staff["liuyang"], staff["zhoumin"]])
    alone = approver_group_save(name="复核组", members=[staff["liuyang"]])
    make_flow([dict(APPROVER_STEP, role=role("审批员")),
               {"name": "风控委员会审批", "approver_type": "group", "group": both.pk, "mode": StepMode.ANY},
               {"name": "复核", "approver_type": "group", "group": alone.pk, "mode": StepMode.ANY}])
    request = submit(staff, head_office, amount="300000.00").request
    services.request_decide(request=request, user=staff["liuyang"], decision="approve")
    # 刘洋 approved 初审: the committee step is 周敏's alone
    assert list(request.tasks.filter(step_order=2).values_list("assignee__username", flat=True)) == ["zhoumin"]
    services.request_decide(request=request, user=staff["zhoumin"], decision="approve")
    # 复核 has only 刘洋, who approved before: a 系统管理员 takes it (nobody else is left), and the timeline says so
    assert list(request.tasks.filter(step_order=3).values_list("assignee__username", flat=True)) == ["admin"]
    assert request.decisions.filter(decision=DecisionKind.NOTE, comment__contains="改由系统管理员审批").exists()


def test_an_approval_waiting_for_acceptance_still_opens_the_gate(staff, head_office, make_flow):
    make_flow([dict(APPROVER_STEP, role=role("审批员"))])
    request = submit(staff, head_office).request
    services.request_decide(request=request, user=staff["liuyang"], decision="approve")
    request.refresh_from_db()
    gate = {"target": head_office, "amount": Decimal("1200"), "branch_id": head_office.pk, "approval": request}
    with pytest.raises(ApprovalRequired):
        services.gate(KIND, **gate)
    # a counter-offer carried out as "offered, waiting for the applicant": the operation is still to come
    request.result = {"awaiting_acceptance": True}
    services.gate(KIND, **gate)
