"""The back-office action forms follow the services' idempotency rule (issue 9, defect 21): the
form's key sent again with another body — the user went back after saving and changed the amount —
is refused on the form, and nothing is posted."""

from decimal import Decimal as D

from ioudesk.backoffice.tests import test_iou_pages as pages
from ioudesk.ious.models import Transaction
from ioudesk.ledger.models import JournalEntry

loan, action, idempotency_key = pages.loan, pages.action, pages.idempotency_key


def test_a_saved_repayment_form_sent_again_with_another_amount_is_refused(client, loan, finance, business_date):
    client.force_login(finance)
    key = idempotency_key(client.get(action(loan, "repay")).content.decode())
    data = {"amount": "900.00", "day": "2026-11-28", "method": "wechat", "reference": "WX123", "payer": "王建国",
            "idempotency_key": key}
    assert client.post(action(loan, "repay"), data).status_code == 302
    entries = JournalEntry.objects.count()

    changed = client.post(action(loan, "repay"), {**data, "amount": "500.00"})

    page = changed.content.decode()
    assert changed.status_code == 200 and "幂等键已用于另一笔业务" in page and "本次未入账" in page
    assert JournalEntry.objects.count() == entries
    assert [t.amount for t in Transaction.objects.filter(iou=loan, kind="repayment")] == [D("900.00")]
