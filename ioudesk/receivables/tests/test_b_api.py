"""/api/v1/receivables/receipts: create (matched by the memo rule), list, detail, a refused manual
match (over the open amount), undo, ignore — worked numbers."""

from datetime import date

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.receivables.matching import rules_ensure
from ioudesk.receivables.tests.b_book import company, open_bill

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)
BASE = "/api/v1/receivables"


@pytest.fixture
def api(client, organisation, head_office, finance, manager):
    rules_ensure()
    _, token = api_token_issue(user=finance, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def call(method, path, payload=None):
        with clock.frozen(DAY):
            if method == "post":
                return client.post(f"{BASE}{path}", data=payload or {}, content_type="application/json", **auth)
            return client.get(f"{BASE}{path}", data=payload or {}, **auth)

    with clock.frozen(DAY):
        steel = company("华东钢材有限公司", head_office, manager)
        bill = open_bill(steel, [(date(2026, 10, 31), "11300.00"), (date(2026, 11, 30), "5650.00")],
                         bill_date=date(2026, 10, 1))
    return call, bill


def test_receipt_api_round_trip(api):
    call, bill = api
    # ¥12,000.00 naming the bill: its two items are 11,300.00 then 5,650.00 → 11,300.00 + 700.00
    created = call("post", "/receipts", {"day": "2026-11-28", "amount": "12000.00", "memo": f"货款 {bill.number}",
                                         "payer_name": "华东钢材"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "matched" and body["unmatched"] == "0.00"
    assert [(a["due_seq"], a["amount"], a["method"]) for a in body["allocations"]] == [
        (1, "11300.00", "memo_number"), (2, "700.00", "memo_number")]
    listed = call("get", "/receipts", {"status": "matched"})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    # a second receipt of ¥5,000.00 asked onto item 2 (4,950.00 open): refused, the item named
    other = call("post", "/receipts", {"day": "2026-11-28", "amount": "5000.00", "payer_name": "某人"}).json()
    assert other["status"] == "unmatched"
    due_id = bill.dues.get(seq=2).pk
    refused = call("post", f"/receipts/{other['id']}/match", {"targets": [{"due_id": due_id, "amount": "5000.00"}]})
    assert refused.status_code == 400 and "4,950.00" in refused.json()["message"]
    ok = call("post", f"/receipts/{other['id']}/match", {"targets": [{"due_id": due_id, "amount": "4950.00"}]})
    assert ok.status_code == 200 and ok.json()["unmatched"] == "50.00" and ok.json()["status"] == "partial"
    ignored = call("post", f"/receipts/{other['id']}/ignore", {"account_code": "6001", "reason": "客户多付，转收入"})
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    assert call("get", "/receipts/999999").status_code == 404
