"""Credit control and the bill sign-offs: bill_approval / bill_credit through the approval flows."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.approvals.models import ApprovalFlow, RequestStatus
from ioudesk.approvals.services import request_decide
from ioudesk.core.errors import ValidationFailed
from ioudesk.receivables.approval_kinds import receivables_defaults_ensure
from ioudesk.receivables.bills import bill_post, bill_submit
from ioudesk.receivables.credit import counterparty_profile_save, credit_check
from ioudesk.receivables.models import BillStatus, CounterpartyProfile, ReceivablesSettings
from ioudesk.receivables.tests.a_book import goods, make_bill, verify_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(company, finance):
    return counterparty_profile_save(profile=CounterpartyProfile(customer=company, credit_limit=D("10000")),
                                     user=finance)


def test_credit_check_worked_example(today, company, finance, limited, terms_seeded=None):
    # open 5,650.00 + a pending… none: exposure 5,650.00; a new 5,650.00 bill makes 11,300.00 > 10,000.00
    make_bill(customer=company, user=finance)
    verdict = credit_check(company, D("5650.00"))
    assert (verdict.limit, verdict.exposure, verdict.available) == (D("10000.00"), D("5650.00"), D("4350.00"))
    assert verdict.exceeds_limit and verdict.needs_approval and verdict.approval_kind == "bill_credit"
    assert verdict.reasons == ["本单 ¥5,650.00 加上已有欠款 ¥5,650.00，超过信用额度 ¥10,000.00（超出 ¥1,300.00）"]
    assert not credit_check(company, D("4350.00")).needs_approval  # exactly up to the limit is fine


def test_long_overdue_needs_approval(company, finance, organisation):
    from ioudesk.core import clock

    with clock.frozen(date(2026, 6, 1)):
        make_bill(customer=company, user=finance)  # 货到付款 default? no terms: due on the bill date
    with clock.frozen(date(2026, 8, 30)):  # 90 days after: not yet "over 90"
        assert not credit_check(company, D("1")).needs_approval
    with clock.frozen(date(2026, 8, 31)):
        verdict = credit_check(company, D("1"))
        assert verdict.long_overdue_amount == D("5650.00") and verdict.limit is None
        assert verdict.reasons == ["该客户有逾期超过 90 天的欠款 ¥5,650.00"]


def test_profile_refuses_negative_limit(company, finance, organisation):
    with pytest.raises(ValidationFailed, match="信用额度不能为负数"):
        counterparty_profile_save(profile=CounterpartyProfile(customer=company, credit_limit=D("-1")), user=finance)


def test_no_flow_posts_at_once(today, company, manager):
    bill = make_bill(customer=company, user=manager, post=False)
    outcome = bill_submit(bill=bill, user=manager)
    bill.refresh_from_db()
    assert not outcome.pending and bill.status == BillStatus.OPEN


def test_seeded_flows_sign_off_and_credit(today, company, manager, approver, finance, limited):
    assert receivables_defaults_ensure() == 6
    assert set(ApprovalFlow.objects.filter(kind__startswith="bill_").values_list("kind", flat=True)) == {
        "bill_approval", "bill_credit"}
    settings = ReceivablesSettings.objects.get()
    assert settings.default_terms.name == "月结30天"
    bill = make_bill(customer=company, user=manager, post=False)
    assert bill.terms_text == "月结30天"  # the organisation's default
    outcome = bill_submit(bill=bill, user=manager)
    bill.refresh_from_db()
    assert outcome.pending and outcome.request.kind == "bill_approval" and bill.status == BillStatus.PENDING
    with pytest.raises(Exception, match="须经审批"):
        bill_post(bill=bill, user=finance)
    request_decide(request=outcome.request, user=approver, decision="approve", comment="同意")
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN and bill.open_amount == D("5650.00")
    # a second bill passes the ¥10,000 limit: bill_credit, rejected → back to draft
    second = make_bill(customer=company, user=manager, post=False, lines=[goods(quantity="90")])
    outcome = bill_submit(bill=second, user=manager)
    assert outcome.request.kind == "bill_credit"
    assert "超过信用额度" in outcome.request.reason
    request_decide(request=outcome.request, user=approver, decision="reject", comment="先收回前款")
    second.refresh_from_db()
    assert second.status == BillStatus.DRAFT and outcome.request.__class__.objects.get(
        pk=outcome.request.pk).status == RequestStatus.REJECTED
    verify_ok()


def test_a_pending_bill_is_voided_only_after_its_submitter_withdraws_it(today, company, manager, approver, finance):
    from ioudesk.approvals.models import ApprovalTask
    from ioudesk.core.errors import InvalidState
    from ioudesk.receivables.bills import bill_void

    receivables_defaults_ensure()
    bill = make_bill(customer=company, user=manager, post=False)
    outcome = bill_submit(bill=bill, user=manager)
    assert outcome.pending
    # someone else may not void it behind the approvers' backs: their tasks would stay open
    with pytest.raises(InvalidState, match="请由提交人"):
        bill_void(bill=bill, reason="客户取消", user=finance)
    request = outcome.request.__class__.objects.get(pk=outcome.request.pk)
    assert request.status == RequestStatus.PENDING
    # the submitter withdraws it (the approvals' door: its tasks closed), and then it may be voided
    from ioudesk.approvals.services import request_cancel

    request_cancel(request=request, user=manager, reason="客户取消")
    assert not ApprovalTask.objects.filter(request=request, state__in=("waiting", "pending")).exists()
    bill_void(bill=bill, reason="客户取消", user=finance)
    bill.refresh_from_db()
    request.refresh_from_db()
    assert bill.status == BillStatus.VOID and request.status == RequestStatus.CANCELLED
