"""The bill pages as a finance clerk uses them: list with filters, the form (refusals next to the
line), the live preview, the bill page and its actions, payables and purchase orders, the import."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.receivables.models import Bill, BillStatus
from ioudesk.receivables.tests.a_book import goods, make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client, finance):
    client.force_login(finance)
    return client


def form(customer, **lines):
    data = {"customer": customer.pk, "bill_date": "2026-11-20", "kind": "sales", "direction": "receivable",
            "lines-0-description": "保温杯", "lines-0-kind": "goods", "lines-0-quantity": "100",
            "lines-0-unit_price": "50", "lines-0-tax_rate": "13",
            "lines-3-description": "安装服务", "lines-3-kind": "service", "lines-3-quantity": "2",
            "lines-3-unit_price": "150", "lines-3-tax_rate": "6"}
    data.update(lines)
    return data


def test_enter_a_bill_then_submit(clerk, today, company, terms):
    page = clerk.get(reverse("backoffice:receivables_bill_create"), {"customer": company.pk})
    assert page.status_code == 200 and "新建应收单" in page.content.decode()
    preview = clerk.post(reverse("backoffice:receivables_bill_preview"), form(company)).json()
    # 5,000 + 650; 300 + 18 → 5,968.00; 月结30天 (the organisation's default) from 2026-11-20: 2026-12-30
    assert (preview["net"], preview["tax"], preview["total"]) == ("¥5,300.00", "¥668.00", "¥5,968.00")
    assert preview["dues"] == [{"seq": 1, "date": "2026-12-30", "amount": "¥5,968.00"}]
    refused = clerk.post(reverse("backoffice:receivables_bill_create"), form(company, **{"lines-3-tax_rate": "17"}))
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "第 2 行：税率 17% 不在允许的税率中" in text and Bill.objects.count() == 0
    saved = clerk.post(reverse("backoffice:receivables_bill_create"), form(company))
    bill = Bill.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse("backoffice:receivables_bill", args=[bill.pk])
    assert bill.total == D("5968.00") and bill.lines.count() == 2
    page = clerk.get(saved["Location"]).content.decode()
    assert "提交审核" in page and "¥5,968.00" in page
    done = clerk.post(reverse("backoffice:receivables_bill_action", args=[bill.pk]), {"action": "submit"}, follow=True)
    assert "单据已生效" in done.content.decode()
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN


def test_list_filters_and_totals(clerk, today, company, finance):
    from datetime import date

    from ioudesk.core import clock

    with clock.frozen(date(2026, 7, 1)):
        old = make_bill(customer=company, user=finance)  # due 2026-07-01: 150 days overdue on 2026-11-28
    make_bill(customer=company, user=finance, lines=[goods(quantity="1")])  # due today
    page = clerk.get(reverse("backoffice:receivables_bills"), {"overdue": "long"})
    text = page.content.decode()
    assert page.status_code == 200 and old.number in text and text.count('data-testid="bill-row"') == 1
    page = clerk.get(reverse("backoffice:receivables_bills"), {"customer": company.pk, "bucket": "current"})
    assert page.content.decode().count('data-testid="bill-row"') == 1
    totals = clerk.get(reverse("backoffice:receivables_bills")).context["totals"]
    assert (totals["count"], totals["open"], totals["overdue"]) == (2, D("5706.50"), D("5650.00"))


def test_bill_page_actions_and_payables(clerk, today, company, supplier, finance):
    bill = make_bill(customer=company, user=finance)
    url = reverse("backoffice:receivables_bill_action", args=[bill.pk])
    clerk.post(url, {"action": "adjust", "amount": "-50", "reason": "让利"})
    bill.refresh_from_db()
    assert bill.open_amount == D("5600.00")
    response = clerk.post(url, {"action": "void", "reason": "x"}, follow=True)
    assert "不能作废" in response.content.decode()
    order_page = clerk.post(reverse("backoffice:receivables_bill_create"), {
        "customer": supplier.pk, "bill_date": "2026-11-28", "direction": "payable", "order": "1",
        "lines-0-description": "瓦楞纸箱", "lines-0-kind": "goods", "lines-0-quantity": "1000",
        "lines-0-unit_price": "2.35", "lines-0-tax_rate": "13"})
    order = Bill.objects.get(kind="purchase_order")
    assert order_page.status_code == 302 and order.status == "ordered" and order.total == D("2655.50")
    response = clerk.post(reverse("backoffice:receivables_bill_action", args=[order.pk]),
                          {"action": "receive", "vat_invoice_number": "33334444"})
    payable = Bill.objects.get(kind="purchase")
    assert response["Location"] == reverse("backoffice:receivables_bill", args=[payable.pk])
    assert payable.status == "open" and payable.original == order and payable.open_amount == D("2655.50")
    page = clerk.get(reverse("backoffice:receivables_payables")).content.decode()
    assert payable.number in page and order.number in page
    print_view = clerk.get(reverse("backoffice:receivables_bill", args=[bill.pk]), {"print": "1"})
    assert "客户签收" in print_view.content.decode()


def test_import_page_dry_run_then_import(clerk, today, company):
    from ioudesk.receivables.tests.test_a_import import row, xlsx

    template = clerk.get(reverse("backoffice:receivables_bill_import"), {"template": "1"})
    assert template.status_code == 200 and template.content[:2] == b"PK"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("单据.xlsx", xlsx([row("1", company), row("2", company, **{"数量": "0"})]))
    page = clerk.post(reverse("backoffice:receivables_bill_import"), {"action": "check", "file": upload})
    text = page.content.decode()
    assert "正确 1 张，有问题 1 张" in text and "数量必须大于0" in text
    token = page.context["token"]
    done = clerk.post(reverse("backoffice:receivables_bill_import"), {"action": "import", "token": token,
                                                                      "mode": "good"})
    assert "已导入 1 张单据，跳过 1 张" in done.content.decode()
    assert Bill.objects.count() == 1
    again = clerk.post(reverse("backoffice:receivables_bill_import"), {"action": "import", "token": token,
                                                                       "mode": "good"}, follow=True)
    assert "不存在、已导入或已过期" in again.content.decode() and Bill.objects.count() == 1


def test_payment_terms_admin_plan_in_words(client, admin_user_zh, organisation):
    client.force_login(admin_user_zh)
    admin_client_zh = client
    from ioudesk.receivables.models import PaymentTerms

    url = reverse("admin:receivables_paymentterms_add")
    data = {"name": "分期 50/50", "kind": "instalments", "days": "0", "plan": "1个月 50%；2个月 50%",
            "is_active": "on", "sort": "70"}
    assert admin_client_zh.post(url, data).status_code == 302
    terms = PaymentTerms.objects.get(name="分期 50/50")
    assert terms.plan == [{"months": 1, "percent": "50"}, {"months": 2, "percent": "50"}]
    refused = admin_client_zh.post(url, {**data, "name": "错", "plan": "30天 30%；60天 60%"})
    assert "合计应为100%" in refused.content.decode()
