"""作废 on a bill: the predicate (the button, the API's ``actions``) says what the service does."""

import pytest

from ioudesk.core.errors import InvalidState
from ioudesk.receivables import predicates
from ioudesk.receivables.approval_kinds import receivables_defaults_ensure
from ioudesk.receivables.bills import bill_submit, bill_void
from ioudesk.receivables.models import BillStatus
from ioudesk.receivables.tests.a_book import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance2(make_staff):
    return make_staff("wangfang", role="财务")


def test_h13_pending_bill_is_voided_by_its_submitter_only(today, company, finance, finance2, approver):
    receivables_defaults_ensure()
    bill = make_bill(customer=company, user=finance, post=False)
    outcome = bill_submit(bill=bill, user=finance)
    assert outcome.pending
    bill.refresh_from_db()
    assert bill.status == BillStatus.PENDING
    # another 财务 user may void bills, but not this one: its request is the submitter's to withdraw
    assert predicates.void_waits_for_submitter(bill, finance2).pk == outcome.request.pk
    assert not predicates.can_void(bill, finance2)
    assert predicates.offered_actions(bill, finance2)["void"] is False
    with pytest.raises(InvalidState, match="请由提交人"):
        bill_void(bill=bill, reason="客户取消", user=finance2)
    # the submitter is offered it and the service does it (the request withdrawn, the bill void)
    assert predicates.void_waits_for_submitter(bill, finance) is None
    assert predicates.can_void(bill, finance) and predicates.offered_actions(bill, finance)["void"]
    bill_void(bill=bill, reason="客户取消", user=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID


def test_h13_posted_bill_is_voided_by_whoever_may_void(today, company, finance, finance2, manager):
    # posted by finance: ¥5,650.00 open, nothing matched or credited, so any 财务 user may void it
    bill = make_bill(customer=company, user=finance)
    assert bill.status == BillStatus.OPEN
    assert predicates.can_void(bill, finance2) and predicates.offered_actions(bill, finance2)["void"]
    assert not predicates.can_void(bill, manager)  # 客户经理 has no receivables.void_bill
    bill_void(bill=bill, reason="录错客户", user=finance2)
    bill.refresh_from_db()
    assert (bill.status, bill.open_amount) == (BillStatus.VOID, 0)
