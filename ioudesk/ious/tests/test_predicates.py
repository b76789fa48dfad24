"""What may be done to an IOU (defect 18): one predicate per action in the domain
(ioudesk/ious/predicates.py), used by the back office, the API and the services alike."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.backoffice.iou_pages.actions import ACTIONS as PAGE_ACTIONS
from ioudesk.core import clock
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.ious import predicates
from ioudesk.ious.models import Iou, Status, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.corrections import transaction_reverse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_refund_credit
from ioudesk.ious.services.writeoff import iou_write_off
from ioudesk.ledger.models import JournalEntry

BY_STATUS = {
    # status: what the IOU allows (overpayment 0, nothing written off)
    Status.DRAFT: {"submit", "cancel"},
    Status.PENDING_APPROVAL: {"approve", "reject", "cancel"},
    Status.APPROVED: {"disburse", "cancel"},
    Status.ACTIVE: {"repay", "settle", "waive", "extend", "write_off", "classify"},
    Status.OVERDUE: {"repay", "settle", "waive", "extend", "write_off", "classify"},
    Status.EXTENDED: {"repay", "settle", "waive", "extend", "write_off", "classify"},
    Status.SETTLED: set(),
    Status.WRITTEN_OFF: set(),
    Status.CANCELLED: set(),
}


@pytest.mark.parametrize("state", list(BY_STATUS))
def test_each_status_allows_its_actions(state, db):
    # A debt (欠条) IOU: no tranches to pay out, so the answer is the status's alone.
    iou = Iou(kind="debt", status=state, principal=D("1000"))
    allowed = {name for name, (_perm, check) in predicates.ACTIONS.items() if check(iou, None)}
    assert allowed == BY_STATUS[state]


def test_refund_and_recovery_follow_the_amounts(db):
    settled = Iou(kind="debt", status=Status.SETTLED, principal=D("1000"), overpayment=D("12.30"))
    assert predicates.can_refund(settled)
    assert not predicates.can_refund(Iou(kind="debt", status=Status.WRITTEN_OFF, overpayment=D("12.30")))
    written_off = Iou(kind="debt", status=Status.WRITTEN_OFF, written_off_principal=D("800"))
    assert predicates.can_recover(written_off)
    assert not predicates.can_recover(Iou(kind="debt", status=Status.WRITTEN_OFF))


def test_the_back_office_asks_the_same_permission_as_the_domain():
    for name, action in PAGE_ACTIONS.items():
        if name != "reverse":
            assert action.permission == predicates.ACTIONS[name][0], name
    assert set(PAGE_ACTIONS) - {"reverse"} == set(predicates.ACTIONS)


@pytest.fixture
def pending(debtor, make_staff, manager, business_date):
    """A draft entered by an administrator (who may approve in general), submitted."""
    boss = make_staff("boss", role="系统管理员")
    iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                method="equal_installment", contract_date=business_date), user=boss)
    return iou_submit(iou=iou, user=boss), boss


def test_the_maker_is_not_offered_approve_anywhere(pending, approver, client):
    iou, boss = pending
    assert not predicates.can_approve(iou, boss) and predicates.can_approve(iou, approver)
    assert "approve" not in predicates.offered_actions(boss, iou) and "reject" not in predicates.offered_actions(boss, iou)
    assert {"approve", "reject"} <= set(predicates.offered_actions(approver, iou))
    # The IOU page offers no 审批通过 button to the maker; the service refuses the same.
    client.force_login(boss)
    page = client.get(reverse("backoffice:iou_detail", args=[iou.pk])).content.decode()
    assert reverse("backoffice:iou_action", args=[iou.pk, "approve"]) not in page
    with pytest.raises(PermissionDenied, match="录入人不能审批"):
        iou_approve(iou=iou, user=boss)
    client.force_login(approver)
    page = client.get(reverse("backoffice:iou_detail", args=[iou.pk])).content.decode()
    assert reverse("backoffice:iou_action", args=[iou.pk, "approve"]) in page


def test_a_reversed_repayment_has_no_receipt(loan, finance, client):
    with clock.frozen(date(2026, 2, 15)):
        kept = iou_repay(iou=loan, amount="888.49", user=finance)
        bounced = iou_repay(iou=loan, amount="100", user=finance)
        transaction_reverse(record=bounced, reason="银行退票", user=finance)
        client.force_login(finance)
        page = client.get(reverse("backoffice:iou_detail", args=[loan.pk])).content.decode()
    bounced, kept = (Transaction.objects.select_related("reversed_by").get(pk=t.pk) for t in (bounced, kept))
    assert predicates.can_print_receipt(kept) and not predicates.can_print_receipt(bounced)
    assert reverse("backoffice:receipt_pdf", args=[kept.pk]) in page
    assert reverse("backoffice:receipt_pdf", args=[bounced.pk]) not in page
    assert not predicates.can_reverse(bounced, loan) and predicates.can_reverse(kept, loan)


def test_the_api_lists_what_the_caller_may_do(pending, approver, client):
    from ioudesk.api.services import api_token_issue

    iou, boss = pending
    for user, actions in ((approver, ["approve", "reject"]), (boss, ["cancel"])):
        _, token = api_token_issue(user=user, name="测试")
        body = client.get(f"/api/v1/ious/{iou.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert body["actions"] == actions, user


def test_services_refuse_by_the_same_predicate(loan, finance):
    # Given the first installment paid with 0.01 more (kept as customer credit), then the IOU is
    # written off: the 0.01 is set off against the debt first (docs/domain.md §10), so nothing is
    # left to refund…
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=loan, amount="888.50", user=finance)
        loan.refresh_from_db()
        assert loan.overpayment == D("0.01") and predicates.can_write_off(loan)
        iou_write_off(iou=loan, user=finance, reason="债务人失联", recovery_method="write_off")
    loan.refresh_from_db()
    assert loan.overpayment == D("0.00") and not predicates.can_refund(loan)
    entries = JournalEntry.objects.count()
    # …the refund the page does not offer is refused by the service too, and nothing is posted.
    with clock.frozen(date(2026, 2, 16)), pytest.raises(ValidationFailed, match="溢缴款余额"):
        iou_refund_credit(iou=loan, user=finance)
    assert JournalEntry.objects.count() == entries
