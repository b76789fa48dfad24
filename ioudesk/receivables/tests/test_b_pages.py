"""The 收付款 pages as a finance clerk uses them: enter a receipt, see it matched or waiting, match
the rest by hand, undo, run the rules again from the queue (docs/domain.md §26)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.core import clock
from ioudesk.receivables.matching import rules_ensure
from ioudesk.receivables.models import Allocation, BillDue, Receipt, ReceiptStatus
from ioudesk.receivables.tests.b_book import company, open_bill

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


@pytest.fixture
def clerk(client, organisation, head_office, finance, manager):
    rules_ensure()
    with clock.frozen(DAY):
        steel = company("华东钢材有限公司", head_office, manager)
        bill = open_bill(steel, [(date(2026, 10, 31), "11300.00"), (date(2026, 11, 30), "5650.00")],
                         bill_date=date(2026, 10, 1))
    client.force_login(finance)
    return {"client": client, "steel": steel, "bill": bill, "user": finance}


def test_enter_receipt_match_by_hand_and_undo(clerk):
    c = clerk["client"]
    with clock.frozen(DAY):
        assert c.get(reverse("backoffice:receivables_receipt_create")).status_code == 200
        response = c.post(reverse("backoffice:receivables_receipt_create"), {
            "direction": "receivable", "channel": "bank", "account_code": "100201", "day": "2026-11-28",
            "amount": "12,000.00", "payer_name": "张三（个人代付）", "memo": "货款", "auto_match": "on"})
        receipt = Receipt.objects.get()
        assert response.status_code == 302 and receipt.status == ReceiptStatus.UNMATCHED  # nobody knows 张三
        page = c.get(reverse("backoffice:receivables_queue" if False else "backoffice:receivables_match_queue"))
        assert page.status_code == 200 and receipt.number in page.content.decode()
        url = reverse("backoffice:receivables_receipt", kwargs={"pk": receipt.pk})
        page = c.get(url + f"?customer={clerk['steel'].pk}")
        text = page.content.decode()
        assert page.status_code == 200 and "手工核销" in text and clerk["bill"].number in text
        first, second = BillDue.objects.filter(bill=clerk["bill"]).order_by("seq")
        # ¥12,000.00: 11,300.00 on the first item, 700.00 on the second
        response = c.post(url, {"action": "match", "customer": clerk["steel"].pk, f"amount-due-{first.pk}": "11,300.00",
                                f"amount-due-{second.pk}": "700.00"})
        assert response.status_code == 302
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.MATCHED and receipt.customer == clerk["steel"]
        second.refresh_from_db()
        assert second.open_amount == D("4950.00")
        # over the open amount: refused with the item named, nothing changed
        other = Receipt.objects.create(number="SK-T", direction="receivable", account_code="100201", day=DAY,
                                       amount=D("5000.00"), unmatched=D("5000.00"), branch=clerk["bill"].branch)
        response = c.post(reverse("backoffice:receivables_receipt", kwargs={"pk": other.pk}),
                          {"action": "match", f"amount-due-{second.pk}": "5000.00", "customer": clerk["steel"].pk})
        assert "超过" in response.content.decode() or response.status_code == 302
        assert BillDue.objects.get(pk=second.pk).open_amount == D("4950.00")
        allocation = Allocation.objects.filter(receipt=receipt).order_by("id").last()
        response = c.post(url, {"action": "undo", "allocation": allocation.pk, "reason": "客户说明付的是第一期"},
                          follow=True)
        assert "已撤销核销" in response.content.decode(), [str(m) for m in response.context["messages"]]
        allocation.refresh_from_db()
        assert allocation.undone and BillDue.objects.get(pk=second.pk).open_amount == D("5650.00")
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.PARTIAL and receipt.unmatched == D("700.00")
        list_page = c.get(reverse("backoffice:receivables_receipts"))
        assert list_page.status_code == 200 and receipt.number in list_page.content.decode()
        assert c.post(reverse("backoffice:receivables_match_queue")).status_code == 302


def test_queue_badge_counts_what_the_user_sees(clerk, rf):
    from ioudesk.backoffice.receivable_match_pages import queue_badge
    from ioudesk.receivables.receipts import receipt_create

    request = rf.get("/")
    request.user = clerk["user"]
    assert queue_badge(request) is None
    with clock.frozen(DAY):
        receipt_create(direction="receivable", channel="cash", account_code="1001", day=DAY, amount="10.00",
                       branch=clerk["bill"].branch, user=clerk["user"])
    assert queue_badge(request) == 1
