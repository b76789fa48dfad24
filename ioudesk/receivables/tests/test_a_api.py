"""/api/v1/receivables/bills: create (the same validation as the form), submit, credit note, void,
attachments; bad input answered with the field named."""

from decimal import Decimal as D

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.receivables.tests.a_book import goods, make_bill, verify_ok

pytestmark = pytest.mark.django_db
BASE = "/api/v1/receivables/bills"


@pytest.fixture
def api(client, finance):
    _, token = api_token_issue(user=finance, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def request(method, path="", payload=None, multipart=False):
        if method == "post" and not multipart:
            return client.post(f"{BASE}{path}", data=payload or {}, content_type="application/json", **auth)
        if method == "post":
            return client.post(f"{BASE}{path}", data=payload or {}, **auth)
        return client.get(f"{BASE}{path}", data=payload or {}, **auth)

    return request


def test_create_submit_list_detail(api, today, company):
    response = api("post", "", {"customer_id": company.pk, "bill_date": "2026-11-20", "declared_total": "5650.00",
                                "lines": [goods()], "vat_invoice_number": "12340000"})
    assert response.status_code == 201, response.content
    bill = response.json()
    assert (bill["status"], bill["total"], bill["tax_amount"]) == ("draft", "5650.00", "650.00")
    assert bill["lines"][0]["net_amount"] == "5000.00" and bill["actions"]["submit"] is True
    response = api("post", f"/{bill['id']}/submit", {"comment": ""})
    assert response.status_code == 200
    body = response.json()
    assert body["approval_request_id"] is None and body["bill"]["status"] == "open"
    assert body["bill"]["dues"] == [{"seq": 1, "due_date": "2026-11-20", "amount": "5650.00", "paid": "0.00",
                                     "credited": "0.00", "open_amount": "5650.00", "status": "open",
                                     "days_past_due": 0}]
    listed = api("get", "", {"status": "open", "customer_id": company.pk}).json()
    assert [row["number"] for row in listed["items"]] == [bill["number"]]
    assert api("get", "", {"overdue": "any"}).json()["count"] == 1  # due 2026-11-20, business date 2026-11-28
    verify_ok()


def test_bad_input_names_fields(api, today, company):
    response = api("post", "", {"customer_id": company.pk, "bill_date": "2026-11-20", "declared_total": "100",
                                "lines": [goods(tax_rate="17")]})
    assert response.status_code == 400
    details = {d["field"]: d["message"] for d in response.json()["details"]}
    assert "税率 17% 不在允许的税率中" in details["lines-0-tax_rate"]
    make_bill(customer=company, user=company.owner, vat_invoice_number="99990000")
    response = api("post", "", {"customer_id": company.pk, "bill_date": "2026-11-20", "lines": [goods()],
                                "vat_invoice_number": "99990000"})
    assert response.status_code == 400
    assert "发票号码 99990000 已用于单据" in response.json()["message"]


def test_credit_note_void_attach(api, today, company, finance):
    bill = make_bill(customer=company, user=finance)
    response = api("post", f"/{bill.pk}/credit-notes", {"reason": "折让", "amount": "10000"})
    assert response.status_code == 400 and "超过单据" in response.json()["message"]
    other = make_bill(customer=company, user=finance)
    response = api("post", f"/{other.pk}/void", {"reason": "重复开单"})
    assert response.status_code == 200 and response.json()["status"] == "void"
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("送货单.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    response = api("post", f"/{bill.pk}/attachments", {"kind": "delivery", "file": pdf}, multipart=True)
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "送货单.pdf" and len(response.json()["sha256"]) == 64
    fake = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = api("post", f"/{bill.pk}/attachments", {"kind": "contract", "file": fake}, multipart=True)
    assert response.status_code == 400
    assert [a["kind"] for a in api("get", f"/{bill.pk}/attachments").json()] == ["delivery"]
    assert D(api("get", f"/{bill.pk}").json()["open_amount"]) == D("5650.00")
