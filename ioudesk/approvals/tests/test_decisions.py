"""Every decision an approver can take, with the modes of a step: given a flow and a request, when
the approvers decide, then the request moves exactly as docs/domain.md §23 says."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ioudesk.approvals import deadlines, services
from ioudesk.approvals.models import ApprovalTask, DecisionKind, RequestStatus, StepMode, TaskState
from ioudesk.approvals.tests.conftest import KIND, role
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed


def submit(staff, head_office, amount="1200.00"):
    return services.submit_or_run(kind=KIND, target=head_office, user=staff["maker"], payload={"amount": amount},
                                  summary=f"付款 ¥{amount}", amount=Decimal(amount), branch=head_office).request


def decide(request, user, decision="approve", **kw):
    services.request_decide(request=request, user=user, decision=decision, **kw)
    request.refresh_from_db()
    return request


def three(staff, mode, **extra):
    return {"name": "三人审批", "approver_type": "users", "mode": mode,
            "users": [staff["liuyang"].pk, staff["wugang"].pk, staff["wangfang"].pk], **extra}


def states(request):
    return {t.assignee.username: t.state for t in request.tasks.order_by("pk")}


def test_all_of_needs_every_approver(staff, head_office, make_flow, executed):
    make_flow([three(staff, StepMode.ALL)])
    request = submit(staff, head_office)
    decide(request, staff["liuyang"])
    decide(request, staff["wugang"])
    assert request.status == RequestStatus.PENDING and not executed
    decide(request, staff["wangfang"])
    assert request.status == RequestStatus.APPROVED and len(executed) == 1


def test_in_sequence_each_approver_waits_for_the_one_before(staff, head_office, make_flow):
    make_flow([three(staff, StepMode.SEQUENCE)])
    request = submit(staff, head_office)
    # tasks by username order: liuyang first, then wangfang, then wugang
    assert states(request) == {"liuyang": TaskState.PENDING, "wangfang": TaskState.WAITING, "wugang": TaskState.WAITING}
    with pytest.raises(PermissionDenied):  # not wugang's turn
        decide(request, staff["wugang"])
    decide(request, staff["liuyang"])
    assert states(request)["wangfang"] == TaskState.PENDING and states(request)["wugang"] == TaskState.WAITING
    decide(request, staff["wangfang"])
    decide(request, staff["wugang"])
    assert request.status == RequestStatus.APPROVED


def test_two_of_three(staff, head_office, make_flow):
    make_flow([three(staff, StepMode.N_OF_M, required_count=2)])
    request = submit(staff, head_office)
    decide(request, staff["wugang"])
    assert request.status == RequestStatus.PENDING
    decide(request, staff["wangfang"])
    assert request.status == RequestStatus.APPROVED
    assert states(request)["liuyang"] == TaskState.CANCELLED


def test_n_of_m_asking_more_than_there_are_is_refused_at_submit(staff, head_office, make_flow):
    make_flow([three(staff, StepMode.N_OF_M, required_count=4)])
    with pytest.raises(InvalidState, match="需 4 人同意"):
        submit(staff, head_office)


def test_a_reject_at_any_task_rejects_and_needs_a_comment(staff, head_office, make_flow, executed):
    make_flow([three(staff, StepMode.ALL)])
    request = submit(staff, head_office)
    decide(request, staff["liuyang"])
    with pytest.raises(ValidationFailed) as refused:
        decide(request, staff["wugang"], "reject")
    assert refused.value.extra["field"] == "comment"
    decide(request, staff["wugang"], "reject", comment="用途不明")
    assert request.status == RequestStatus.REJECTED and request.decided_at and not executed
    assert states(request) == {"liuyang": TaskState.APPROVED, "wugang": TaskState.REJECTED,
                               "wangfang": TaskState.CANCELLED}


def test_return_to_the_maker_and_resubmit_with_a_change(staff, head_office, make_flow, executed):
    make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    request = submit(staff, head_office)
    decide(request, staff["liuyang"], "return", comment="请补充发票")
    assert request.status == RequestStatus.RETURNED
    with pytest.raises(PermissionDenied):  # only the maker resubmits
        services.request_resubmit(request=request, user=staff["wugang"])
    services.request_resubmit(request=request, user=staff["maker"], payload={"amount": "1100.00"}, comment="已补充")
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING and request.payload == {"amount": "1100.00"}
    assert ApprovalTask.objects.filter(request=request, state=TaskState.PENDING).count() == 3  # step 1 afresh
    decide(request, staff["wugang"])
    assert executed[0]["amount"] == Decimal("1100.00")


def test_return_to_an_earlier_step(staff, head_office, make_flow, committee):
    make_flow([{"name": "初审", "approver_type": "users", "users": [staff["liuyang"].pk], "mode": StepMode.ANY},
               {"name": "风控委员会", "approver_type": "group", "group": committee.pk, "mode": StepMode.ANY}])
    request = submit(staff, head_office)
    with pytest.raises(InvalidState):  # nothing before the first step
        decide(request, staff["liuyang"], "return_step", comment="x")
    decide(request, staff["liuyang"])
    assert request.current_step == 2
    decide(request, staff["zhoumin"], "return_step", comment="初审意见不完整", to_step=1)
    assert request.status == RequestStatus.PENDING and request.current_step == 1
    assert ApprovalTask.objects.filter(request=request, step_order=1, state=TaskState.PENDING,
                                       assignee=staff["liuyang"]).exists()
    decide(request, staff["liuyang"])
    decide(request, staff["sunli"])
    assert request.status == RequestStatus.APPROVED


def test_counter_offer_changes_the_terms_and_counts_as_approval(staff, head_office, make_flow, executed):
    make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    request = submit(staff, head_office, "50000.00")
    with pytest.raises(ValidationFailed):  # a comment is required
        decide(request, staff["liuyang"], "counter_offer", offer={"amount": "30000"})
    with pytest.raises(ValidationFailed):  # only the kind's counter fields
        decide(request, staff["liuyang"], "counter_offer", comment="降额", offer={"rate_text": "9%"})
    decide(request, staff["liuyang"], "counter_offer", comment="收入只够 ¥30,000", offer={"amount": "30,000", "term": "6"})
    assert request.status == RequestStatus.APPROVED
    assert request.payload["offer"] == {"amount": "30000.00", "term": "6"}
    assert executed[0]["offer"] == {"amount": "30000.00", "term": "6"}
    assert request.decisions.get(decision=DecisionKind.COUNTER_OFFER).offer == {"amount": "30000.00", "term": "6"}


def test_transfer_and_add_approver(staff, head_office, make_flow):
    make_flow([{"name": "指定审批", "approver_type": "users", "users": [staff["liuyang"].pk], "mode": StepMode.ANY}])
    request = submit(staff, head_office)
    with pytest.raises(ValidationFailed, match="申请人"):  # never to the maker
        decide(request, staff["liuyang"], "transfer", to_user=staff["maker"])
    decide(request, staff["liuyang"], "transfer", to_user=staff["wugang"], comment="出差")
    assert states(request) == {"liuyang": TaskState.TRANSFERRED, "wugang": TaskState.PENDING}
    with pytest.raises(PermissionDenied):  # liuyang no longer holds a task
        decide(request, staff["liuyang"])
    # 加签: wugang asks wangfang too; the step waits for both
    decide(request, staff["wugang"], "add_approver", to_user=staff["wangfang"])
    decide(request, staff["wugang"])
    assert request.status == RequestStatus.PENDING
    decide(request, staff["wangfang"])
    assert request.status == RequestStatus.APPROVED


def test_the_maker_is_never_an_approver(staff, head_office, make_flow, make_staff):
    from django.contrib.auth.models import Group

    staff["maker"].groups.add(Group.objects.get(name="审批员"))  # the maker also holds the approver role
    make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    request = submit(staff, head_office)
    assert staff["maker"].pk not in set(request.tasks.values_list("assignee_id", flat=True))
    # a step only the maker could approve is refused with what to do
    make_flow([{"name": "本人审批", "approver_type": "users", "users": [staff["maker"].pk], "mode": StepMode.ANY}],
              priority=1)
    from ioudesk.core.models import Branch

    other = Branch.objects.create(organisation=head_office.organisation, parent=head_office, code="B9", name="九分店",
                                  path=head_office.path)
    outcome = services.submit_or_run(kind=KIND, target=other, user=staff["maker"], payload={"amount": "1.00"},
                                     summary="x", amount=Decimal("1.00"), branch=head_office)
    # nobody but the maker in the step: the 系统管理员 role takes it, and the timeline says so
    assert [t.assignee for t in outcome.request.tasks.all()] == [staff["admin"]]
    assert outcome.request.decisions.filter(decision=DecisionKind.NOTE, comment__contains="改由系统管理员审批").exists()


def test_near_the_limit_a_reminder_past_it_escalation(staff, head_office, make_flow, executed):
    from ioudesk.notify.models import Message

    make_flow([{"name": "限时审批", "approver_type": "users", "users": [staff["liuyang"].pk], "mode": StepMode.ANY,
                "time_limit_hours": 10, "escalate_to_user": staff["wugang"].pk}])
    request = submit(staff, head_office)
    task = request.tasks.get()
    start = task.due_at - timedelta(hours=10)
    assert deadlines.deadlines_run(now=start + timedelta(hours=7, minutes=59)) == {"reminded": 0, "escalated": 0}
    assert deadlines.deadlines_run(now=start + timedelta(hours=8)) == {"reminded": 1, "escalated": 0}  # 80 % of 10 h
    assert deadlines.deadlines_run(now=start + timedelta(hours=9)) == {"reminded": 0, "escalated": 0}  # once
    assert Message.objects.filter(user=staff["liuyang"], subject__startswith="审批即将超时").count() == 1
    assert deadlines.deadlines_run(now=start + timedelta(hours=10, minutes=1)) == {"reminded": 0, "escalated": 1}
    assert deadlines.deadlines_run(now=start + timedelta(hours=11)) == {"reminded": 0, "escalated": 0}
    escalation = request.decisions.get(decision=DecisionKind.ESCALATE)
    assert escalation.to_user == staff["wugang"]
    # either may decide now; wugang's approval fills liuyang's place and settles the step
    decide(request, staff["wugang"])
    assert request.status == RequestStatus.APPROVED and executed[0]["checker"] == staff["wugang"]
    assert states(request)["liuyang"] == TaskState.CANCELLED
    assert timezone.now()  # (the clock is real: the periodic runs on the wall clock)


def test_escalation_never_reaches_the_maker(staff, head_office, make_flow):
    make_flow([{"name": "限时审批", "approver_type": "users", "users": [staff["liuyang"].pk], "mode": StepMode.ANY,
                "time_limit_hours": 1, "escalate_to_user": staff["maker"].pk}])
    request = submit(staff, head_office)
    deadlines.deadlines_run(now=timezone.now() + timedelta(hours=2))
    assert list(request.tasks.values_list("assignee__username", flat=True)) == ["liuyang"]
    assert "没有可升级的审批人" in request.decisions.get(decision=DecisionKind.ESCALATE).comment


def test_cancel_by_the_maker_only(staff, head_office, make_flow):
    make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY}])
    request = submit(staff, head_office)
    with pytest.raises(PermissionDenied):
        services.request_cancel(request=request, user=staff["liuyang"], reason="x")
    with pytest.raises(ValidationFailed):
        services.request_cancel(request=request, user=staff["maker"], reason="")
    services.request_cancel(request=request, user=staff["maker"], reason="不再需要")
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert not ApprovalTask.objects.filter(request=request, state=TaskState.PENDING).exists()
