"""D's pages and API: 往来总览 with drill-down links, 对账单 list and issue form, the statement page with
its documents, the reply with a disputed item and resolving it; the customer 360 section; who may do
what; /api/v1/receivables/statements and /positions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.core.models import AuditEvent
from ioudesk.receivables.models import AccountStatement, ConfirmationStatus, StatementDispute
from ioudesk.receivables.tests.test_d_statements import TODAY, book  # noqa: F401

D = Decimal


@pytest.fixture
def signed_in(client):
    def make(user):
        client.force_login(user)
        return client
    return make


def test_overview_page_with_drill_down(book, signed_in):  # noqa: F811
    client = signed_in(book["user"])
    with clock.frozen(TODAY):
        response = client.get(reverse("backoffice:receivables_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "上海浦江建材有限公司" in html and "往来总览" in html
    # today: YS2 5,300 (due today, not overdue) + YS3-2 13,560 = 18,860; 1,500 waiting to be matched
    assert "¥18,860.00" in html and "¥1,500.00" in html
    customer = book["customer"].pk
    assert f"?customer={customer}&amp;status=open&amp;direction=receivable" in html
    assert f"?customer={customer}&amp;status=open&amp;direction=receivable&amp;bucket=current" in html
    with clock.frozen(TODAY):
        export = client.get(reverse("backoffice:receivables_overview") + "?export=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    names = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "上海浦江建材有限公司" in names


def test_issue_print_reply_and_resolve_in_the_back_office(book, signed_in):  # noqa: F811
    client = signed_in(book["user"])
    url = reverse("backoffice:receivables_statements")
    with clock.frozen(TODAY):
        page = client.get(f"{url}?customer={book['customer'].pk}")
        assert page.status_code == 200 and "出具对账单" in page.content.decode()
        refused = client.post(url, {"customer": book["customer"].pk, "direction": "receivable",
                                    "period_from": "2026-12-01", "period_to": "2026-12-31"})
        assert refused.status_code == 200 and "截止日期不能晚于营业日" in refused.content.decode()
        response = client.post(url, {"customer": book["customer"].pk, "direction": "receivable",
                                     "period_from": "2026-11-01", "period_to": "2026-11-30"})
    statement = AccountStatement.objects.get()
    assert response.status_code == 302 and response.url == reverse("backoffice:receivables_statement",
                                                                   args=[statement.pk])
    detail = reverse("backoffice:receivables_statement", args=[statement.pk])
    with clock.frozen(TODAY):
        html = client.get(detail).content.decode()
        assert "¥20,140.00" in html and "期末未结单据及账龄" in html and "登记客户回函" in html
        for kind, mime in (("pdf", "application/pdf"), ("confirmation", "application/pdf"),
                           ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
            download = client.get(f"{detail}?download={kind}")
            assert download.status_code == 200 and download["Content-Type"] == mime
        assert AuditEvent.objects.filter(action="download", object_id=str(statement.pk)).count() == 3
        client.post(detail, {"action": "mark_sent"})
        ys3 = book["ys3"]
        missing = client.post(detail, {"action": "reply", "agreed": "0", "day": "2026-12-05", "note": ""})
        assert "请列明至少一项" in missing.content.decode()
        response = client.post(detail, {"action": "reply", "agreed": "0", "day": "2026-12-05", "note": "回函已收",
                                        "bill_1": str(ys3.pk), "amount_1": "2260.00",
                                        "reason_1": "红字冲减单我方未收到"})
    assert response.status_code == 302
    statement.refresh_from_db()
    ys3.refresh_from_db()
    assert statement.status == ConfirmationStatus.DISPUTED and ys3.disputed
    dispute = StatementDispute.objects.get()
    with clock.frozen(TODAY):
        client.post(detail, {"action": "resolve", "dispute": dispute.pk, "resolution": "已补寄红字发票"})
    ys3.refresh_from_db()
    assert not ys3.disputed


def test_who_may_do_what(book, signed_in, make_staff):  # noqa: F811
    with clock.frozen(TODAY):
        from ioudesk.receivables import statements

        statement = statements.statement_issue(customer=book["customer"], period_from=date(2026, 11, 1),
                                               period_to=date(2026, 11, 30), user=book["user"])
    detail = reverse("backoffice:receivables_statement", args=[statement.pk])
    manager = signed_in(make_staff("wangfang", role="客户经理"))
    with clock.frozen(TODAY):
        html = manager.get(detail).content.decode()
        assert "登记客户回函" not in html  # 客户经理 issue and print, finance records the answer
        assert manager.post(detail, {"action": "mark_sent"}).status_code == 404
        assert "出具对账单" in manager.get(reverse("backoffice:receivables_statements")).content.decode()
    collector = signed_in(make_staff("zhaolei", role="催收员"))
    with clock.frozen(TODAY):
        assert collector.get(reverse("backoffice:receivables_overview")).status_code == 200
        assert collector.get(reverse("backoffice:receivables_statements")).status_code == 403
        html = collector.get(reverse("backoffice:customer_overview", args=[book["customer"].pk])).content.decode()
    assert "往来账款" in html and "对账单 / 出具对账单" not in html


def test_customer_page_section(book, signed_in):  # noqa: F811
    client = signed_in(book["user"])
    with clock.frozen(TODAY):
        html = client.get(reverse("backoffice:customer_overview", args=[book["customer"].pk])).content.decode()
    assert 'data-testid="customer-receivables"' in html
    assert "¥18,860.00" in html  # open receivable today
    assert "¥17,360.00" in html  # net 往来: 18,860 − 1,500 unmatched
    assert f"/receivables/statements/?customer={book['customer'].pk}" in html


@pytest.fixture
def call(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            with clock.frozen(TODAY):
                return getattr(client, method)(f"/api/v1/receivables{path}", **kwargs)

        return request

    return make


def test_api_issue_detail_reply_and_position(book, call):  # noqa: F811
    api = call(book["user"])
    response = api("post", "/statements", {"customer_id": book["customer"].pk, "period_from": "2026-11-01",
                                           "period_to": "2026-11-30"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["opening"], body["billed"], body["credited"], body["received"], body["closing"]) == (
        "8300.00", "27900.00", "2260.00", "13800.00", "20140.00")
    assert body["bills_open"] == "21640.00" and body["unmatched"] == "1500.00"
    assert [a["amount"] for a in body["aging"]][:2] == ["18860.00", "2780.00"]
    statement_id = body["id"]
    assert api("get", "/statements").json()["items"][0]["number"] == body["number"]
    pdf = api("get", f"/statements/{statement_id}/document?kind=confirmation")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = api("post", f"/statements/{statement_id}/reply", {"agreed": True, "disputes": [
        {"bill_id": book["ys2"].pk, "amount": "10.00", "reason": "x"}]})
    assert bad.status_code == 400 and "信息不符" in bad.json()["message"]
    reply = api("post", f"/statements/{statement_id}/reply", {"agreed": False, "day": "2026-12-05", "disputes": [
        {"bill_id": book["ys2"].pk, "amount": "300.00", "reason": "服务费税额有误"}]})
    assert reply.status_code == 200 and reply.json()["status"] == "disputed"
    dispute_id = reply.json()["disputes"][0]["id"]
    resolved = api("post", f"/statements/disputes/{dispute_id}/resolve", {"resolution": "已开红字冲减单"})
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    position = api("get", f"/positions/{book['customer'].pk}").json()
    assert (position["receivable"], position["advance"], position["net"]) == ("18860.00", "1500.00", "17360.00")
    assert position["credit_limit"] is None


def test_api_permissions(book, call, make_staff):  # noqa: F811
    collector = call(make_staff("zhaolei", role="催收员"))
    assert collector("get", "/statements").status_code == 403
    manager = call(make_staff("wangfang", role="客户经理"))
    created = manager("post", "/statements", {"customer_id": book["customer"].pk, "period_from": "2026-11-01",
                                              "period_to": "2026-11-30"})
    assert created.status_code == 201
    assert manager("post", f"/statements/{created.json()['id']}/reply", {"agreed": True}).status_code == 403
