"""Maker-checker on the IOU operations (docs/domain.md §23): with an approval flow configured, a
write-off, a waiver over the threshold or a sign-off over ¥200,000 waits for approvers other than the
maker, who can never approve their own (back office and API); a user who holds only the checker
permission approves from the IOU page; the last approval carries the operation out.

The loan of the conftest: ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly installments
of ¥888.49. The waiver test's loan: ¥100,000 at 12 % over 12 months (30/360): the first installment's
interest is 100,000 × 12 % / 12 = ¥1,000.00, due 2026-02-15.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from ioudesk.api.services import api_token_issue
from ioudesk.approvals.flows import approver_group_save, flow_save
from ioudesk.approvals.models import ApprovalFlow, ApprovalRequest, RequestStatus
from ioudesk.approvals.selectors import pending_for
from ioudesk.approvals.services import request_decide
from ioudesk.core import clock
from ioudesk.core.errors import PermissionDenied
from ioudesk.ious import predicates
from ioudesk.ious.models import Iou, Status, Transaction, TransactionKind
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.corrections import iou_waive
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.writeoff import iou_write_off

DAY = date(2026, 3, 20)


def make_flow(kind: str, steps: list[dict], *, min_amount=None) -> ApprovalFlow:
    flow = ApprovalFlow.objects.create(name=f"{kind} 测试", kind=kind, is_active=True, min_amount=min_amount)
    flow_save(flow=flow, steps=steps, user=None, note="测试")
    return flow


def role_step(name: str, role: str, **extra) -> dict:
    return {"name": name, "approver_type": "role", "role": Group.objects.get(name=role).pk, "mode": "any", **extra}


@pytest.fixture
def checker(make_staff):
    """复核员: only the checker permission and reading IOUs, nothing else."""
    role, _ = Group.objects.get_or_create(name="复核员（测试）")
    role.permissions.set([Permission.objects.get(codename="decide_approvalrequest"),
                          Permission.objects.get(codename="view_iou")])
    return make_staff("fuhe", role="复核员（测试）")


@pytest.fixture
def write_off_flow(checker):
    return make_flow("iou_write_off", [role_step("复核", "复核员（测试）")])


def test_a_write_off_waits_for_the_checker_who_approves_it_from_the_iou_page(client, loan, finance, checker,
                                                                           write_off_flow):
    client.force_login(finance)
    with clock.frozen(DAY):
        form = client.get(reverse("backoffice:iou_action", args=[loan.pk, "write_off"]))
        assert "此操作须经审批：提交后由审批人同意才会执行。" in form.content.decode()
        key = form.context["form"].initial["idempotency_key"]
        answer = client.post(reverse("backoffice:iou_action", args=[loan.pk, "write_off"]),
                             {"reason": "债务人失联，经诉讼执行无财产", "recovery_method": "write_off",
                              "idempotency_key": key}, follow=True)
    assert answer.status_code == 200
    request = ApprovalRequest.objects.get(kind="iou_write_off", target_id=loan.pk)
    html = answer.content.decode()
    assert "已提交审批（审批单号" in html and f'data-testid="approval-link">{request.number}</a>' in html
    loan.refresh_from_db()
    assert loan.status == Status.ACTIVE and not Transaction.objects.filter(iou=loan, kind=TransactionKind.WRITE_OFF)

    # The IOU page shows the pending request; the maker sees no decision form, and 核销 is not offered again.
    page = client.get(reverse("backoffice:iou_detail", args=[loan.pk]))
    html = page.content.decode()
    assert request.number in html and 'data-testid="pending-own"' in html and "pending-decide-form" not in html
    assert "write_off" not in [a["name"] for a in page.context["actions"]]
    # The maker cannot approve their own, posting the decision anyway.
    client.post(reverse("backoffice:approval_decide", args=[request.pk]), {"decision": "approve", "comment": ""})
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    with pytest.raises(PermissionDenied):
        request_decide(request=request, user=finance, decision="approve")

    # The checker (decide + view IOUs, nothing else) approves from the IOU page: the write-off is posted.
    client.force_login(checker)
    page = client.get(reverse("backoffice:iou_detail", args=[loan.pk]))
    assert page.status_code == 200 and 'data-testid="pending-decide-form"' in page.content.decode()
    with clock.frozen(DAY):
        done = client.post(reverse("backoffice:approval_decide", args=[request.pk]),
                           {"decision": "approve", "comment": "核实无误", "next": reverse("backoffice:iou_detail",
                                                                                       args=[loan.pk])})
    assert done.status_code == 302
    request.refresh_from_db()
    loan.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert loan.status == Status.WRITTEN_OFF and loan.total_outstanding == 0
    record = Transaction.objects.get(iou=loan, kind=TransactionKind.WRITE_OFF)
    assert record.created_by == finance and request.result["transaction"] == record.pk
    # ¥10,000 lent, two installments of ¥888.49 due and unpaid by 2026-03-20: the principal (10,000)
    # and the interest of both (100.00 + 92.12) plus their penalty are written off.
    assert record.principal == D("10000.00") and record.interest == D("192.12")
    assert pending_for(loan) == []


def test_the_maker_cannot_approve_their_own_write_off_through_the_api(client, loan, finance, checker, write_off_flow):
    _, token = api_token_issue(user=finance, name="测试")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with clock.frozen(DAY):
        answer = client.post(f"/api/v1/ious/{loan.pk}/write-off", data=json.dumps(
            {"reason": "债务人失联，经诉讼执行无财产", "recovery_method": "write_off"}), content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="wo-1", **headers)
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    request_id = body["approval_request"]["id"]
    assert body["approval_request"]["kind"] == "iou_write_off" and "已提交审批" in body["message"]
    detail = client.get(f"/api/v1/ious/{loan.pk}", **headers).json()
    assert [r["id"] for r in detail["approval_requests"]] == [request_id]
    assert "write_off" not in detail["actions"]

    own = client.post(f"/api/v1/approvals/{request_id}/decide", data=json.dumps({"decision": "approve"}),
                      content_type="application/json", **headers)
    assert own.status_code == 403 and own.json()["code"] == "approval_own_request"
    loan.refresh_from_db()
    assert loan.status == Status.ACTIVE

    # A direct call of the service cannot go round the flow either.
    from ioudesk.approvals.errors import ApprovalRequired

    with clock.frozen(DAY), pytest.raises(ApprovalRequired):
        iou_write_off(iou=loan, user=finance, reason="绕过审批")

    _, checker_token = api_token_issue(user=checker, name="测试")
    with clock.frozen(DAY):
        approved = client.post(f"/api/v1/approvals/{request_id}/decide", data=json.dumps(
            {"decision": "approve", "comment": "同意"}), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {checker_token}")
    assert approved.status_code == 200, approved.json()
    loan.refresh_from_db()
    assert loan.status == Status.WRITTEN_OFF


@pytest.fixture
def big_loan(debtor, manager, approver, finance):
    """¥100,000 at 12 %, 12 equal monthly installments, disbursed 2026-01-15."""
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("100000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


def test_a_waiver_under_the_threshold_is_done_at_once_and_one_over_it_waits(client, big_loan, finance, approver):
    make_flow("iou_waive", [role_step("审批员审批", "审批员")], min_amount=D("1000.00"))
    client.force_login(finance)
    url = reverse("backoffice:iou_action", args=[big_loan.pk, "waive"])
    with clock.frozen(date(2026, 2, 20)):  # the form says so before the maker submits
        assert "金额 ¥1,000.00 起须经审批" in client.get(url).content.decode()
    day = date(2026, 2, 20)  # the first installment's interest, ¥1,000.00, is due and unpaid
    with clock.frozen(day):
        client.post(url, {"component": "interest", "amount": "300", "reason": "客户困难", "idempotency_key": "w-1"})
    big_loan.refresh_from_db()
    assert Transaction.objects.get(iou=big_loan, kind=TransactionKind.WAIVER).amount == D("300.00")
    assert big_loan.interest_outstanding == D("700.00")  # 1,000.00 − 300.00: done at once, no request
    assert pending_for(big_loan) == []

    # Over ¥1,000 the waiver waits. By 2026-03-20 the second installment's interest is due too:
    # (100,000 − 7,884.88 principal of the first) × 1 % = 921.15, so 700.00 + 921.15 = 1,621.15 is owed
    # when the approved waiver is carried out (it brings the IOU up to the day first).
    with clock.frozen(DAY):
        client.post(url, {"component": "interest", "amount": "1200", "reason": "客户困难", "idempotency_key": "w-2"})
        (request,) = pending_for(big_loan)
        assert request.kind == "iou_waive" and request.amount == D("1200.00")
        assert Transaction.objects.filter(iou=big_loan, kind=TransactionKind.WAIVER).count() == 1
        assert "waive" not in predicates.offered_actions(finance, big_loan)
        request_decide(request=request, user=approver, decision="approve", comment="同意")
    big_loan.refresh_from_db()
    assert big_loan.interest_outstanding == D("421.15")  # 1,621.15 − 1,200.00
    assert Transaction.objects.filter(iou=big_loan, kind=TransactionKind.WAIVER).count() == 2
    # The service itself refuses a waiver over the threshold without its approved request.
    from ioudesk.approvals.errors import ApprovalRequired

    with clock.frozen(DAY), pytest.raises(ApprovalRequired):
        iou_waive(iou=big_loan, component="interest", amount="1000", reason="再减", user=finance)
    with clock.frozen(DAY):
        iou_waive(iou=big_loan, component="interest", amount="21.15", reason="零头", user=finance)


def test_an_iou_over_200000_is_signed_off_in_two_steps_by_different_approvers(debtor, manager, approver, make_staff):
    wugang = make_staff("wugang", role="审批员")
    committee = approver_group_save(name="风控委员会", members=[wugang])
    make_flow("iou_approval", [role_step("审批员审批", "审批员"),
                               {"name": "风控委员会审批", "approver_type": "group", "group": committee.pk, "mode": "any",
                                "min_amount": "200000.00"}])
    with clock.frozen(DAY):
        big, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("300000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=DAY), user=manager)
        small, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("50000"), term=12, rate_text="12%",
                                      method="equal_installment", contract_date=DAY), user=manager)
        for iou in (big, small):
            iou_submit(iou=iou, user=manager)
    (request,) = pending_for(big)
    (small_request,) = pending_for(small)
    big.refresh_from_db()
    assert big.status == Status.PENDING_APPROVAL
    # The flow signs it off: the single 审批通过 is not offered, and iou_approve refuses without the request.
    assert "approve" not in predicates.offered_actions(approver, big)
    from ioudesk.approvals.errors import ApprovalRequired

    with pytest.raises(ApprovalRequired):
        iou_approve(iou=big, user=approver)

    with clock.frozen(DAY):
        request_decide(request=request, user=approver, decision="approve", comment="资料齐全")
        big.refresh_from_db()
        request.refresh_from_db()
        assert big.status == Status.PENDING_APPROVAL and request.status == RequestStatus.PENDING
        assert request.current_step == 2  # ¥300,000 ≥ ¥200,000: the risk committee's step applies
        request_decide(request=request, user=wugang, decision="approve", comment="风控同意")
        # ¥50,000: one step only
        request_decide(request=small_request, user=wugang, decision="approve", comment="同意")
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == Status.APPROVED and small.status == Status.APPROVED
    assert big.approvals.get().decided_by == wugang
    decided_by = list(request.decisions.filter(decision="approve").values_list("decided_by__username", flat=True))
    assert decided_by == ["liuyang", "wugang"]


def test_a_rejected_sign_off_takes_the_iou_back_to_draft(debtor, manager, approver):
    make_flow("iou_approval", [role_step("审批员审批", "审批员")])
    with clock.frozen(DAY):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("30000"), term=6, rate_text="12%",
                                    method="equal_installment", contract_date=DAY), user=manager)
        iou_submit(iou=iou, user=manager)
        (request,) = pending_for(iou)
        request_decide(request=request, user=approver, decision="reject", comment="收入证明不足")
    iou.refresh_from_db()
    assert iou.status == Status.DRAFT
    assert iou.approvals.get().comment == "收入证明不足"


def test_without_flows_everything_is_done_at_once(client, loan, finance):
    client.force_login(finance)
    with clock.frozen(DAY):
        client.post(reverse("backoffice:iou_action", args=[loan.pk, "write_off"]),
                    {"reason": "债务人失联", "recovery_method": "write_off", "idempotency_key": "wo-x"})
    loan.refresh_from_db()
    assert loan.status == Status.WRITTEN_OFF and not ApprovalRequest.objects.exists()


def test_a_flow_edited_mid_way_leaves_the_running_write_off_on_its_version(loan, finance, checker, approver,
                                                                          write_off_flow):
    from ioudesk.approvals.services import submit_or_run

    with clock.frozen(DAY):
        outcome = submit_or_run(kind="iou_write_off", target=loan, user=finance, summary="核销",
                                payload={"reason": "债务人失联", "recovery_method": "write_off"},
                                amount=loan.total_outstanding, product=None, branch=loan.branch)
    running = outcome.request
    # The administrator adds a second step (审批员) to the flow: version 2, for new requests only.
    flow_save(flow=write_off_flow, steps=[role_step("复核", "复核员（测试）"), role_step("审批员审批", "审批员")],
              user=None, note="加一步")
    write_off_flow.refresh_from_db()
    assert write_off_flow.current_version.number == 2 and running.flow_version.number == 1
    with clock.frozen(DAY):
        request_decide(request=running, user=checker, decision="approve", comment="同意")
    running.refresh_from_db()
    loan.refresh_from_db()
    assert running.status == RequestStatus.APPROVED and loan.status == Status.WRITTEN_OFF  # one step was enough


def test_an_iou_waiting_since_before_its_flow_is_submitted_again_into_the_flow(debtor, manager, approver):
    with clock.frozen(DAY):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("30000"), term=6, rate_text="12%",
                                    method="equal_installment", contract_date=DAY), user=manager)
        iou_submit(iou=iou, user=manager)  # no flow yet: 待审批 without a request
    make_flow("iou_approval", [role_step("审批员审批", "审批员")])
    iou.refresh_from_db()
    assert "approve" not in predicates.offered_actions(approver, iou)
    assert "submit" in predicates.offered_actions(manager, iou)
    with clock.frozen(DAY):
        iou_submit(iou=iou, user=manager)
        (request,) = pending_for(iou)
        request_decide(request=request, user=approver, decision="approve", comment="同意")
    iou.refresh_from_db()
    assert iou.status == Status.APPROVED
