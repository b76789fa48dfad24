"""银行流水导入 pages and API: upload (detected, or mapped column by column when the layout is
unknown), the batch page with its counts and lines, the worker's progress, the read-only admin."""

from datetime import date, time
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables.matching import rules_ensure
from ioudesk.receivables.models import BankStatement, ColumnMapping, Receipt
from ioudesk.receivables.tests.b_book import company, open_bill
from ioudesk.receivables.tests.bankfiles import Line, statement_file

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


@pytest.fixture
def book(organisation, head_office, finance, manager):
    rules_ensure()
    with clock.frozen(DAY):
        trade = company("宏达贸易有限公司", head_office, manager)
        bill = open_bill(trade, [(date(2026, 11, 20), "5650.00")], bill_date=date(2026, 10, 21))
        yield {"trade": trade, "bill": bill, "user": finance, "branch": head_office}


def lines(book):
    return [Line(day=date(2026, 11, 3), at=time(10, 0), amount=D("5650.00"), name="宏达贸易有限公司", memo="货款"),
            Line(day=date(2026, 11, 4), at=time(11, 0), amount=D("999.00"), name="不认识的公司", memo="往来款")]


def post_file(client, book, name, data, **extra):
    with clock.frozen(DAY):
        return client.post(reverse("backoffice:receivables_import"), {
            "file": SimpleUploadedFile(name, data), "bank": "", "mapping": "", "account_code": AccountCode.BANK_BASIC,
            "branch": book["branch"].pk, **extra})


def test_upload_detected_and_the_batch_page(client, book):
    client.force_login(book["user"])
    page = client.get(reverse("backoffice:receivables_import")).content.decode()
    assert 'data-testid="statement-upload"' in page and "100201" in page and "中国工商银行" in page
    response = post_file(client, book, "招行11月.xlsx", statement_file("cmb", lines(book)))
    statement = BankStatement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:receivables_statement_import", args=[statement.pk])
    batch = client.get(response["Location"]).content.decode()
    assert statement.number in batch and "招商银行" in batch
    assert 'data-testid="statement-matched">1（50.0%）' in batch
    assert batch.count('data-testid="statement-line"') == 2 and "¥5,650.00" in batch
    assert reverse("backoffice:receivables_match_queue") in batch
    receipt = Receipt.objects.get(amount=D("5650.00"))
    assert reverse("backoffice:receivables_receipt", args=[receipt.pk]) in batch
    # listed on the upload page, which links to it
    assert reverse("backoffice:receivables_statement_import", args=[statement.pk]) in client.get(
        reverse("backoffice:receivables_import")).content.decode()
    # again: nothing new, and the page says so
    again = post_file(client, book, "招行11月.xlsx", statement_file("cmb", lines(book)))
    text = client.get(again["Location"]).content.decode()
    assert "都已导入过" in text


def test_an_unknown_layout_asks_for_the_columns_and_saves_the_mapping(client, book):
    client.force_login(book["user"])
    data = ("杭州联合农村商业银行 账户交易明细\n"
            "记账日期,收入金额,支出金额,对方名称,附言\n"
            "2026/11/03,\"5,650.00\",,宏达贸易有限公司,货款\n").encode("gbk")
    response = post_file(client, book, "联合.csv", data)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="statement-mapping-form"' in page
    assert "第2行像是表头" in page and BankStatement.objects.count() == 0
    token = response.context["mapping_form"].initial["token"]
    assert response.context["mapping_form"].initial["col_day"] == "记账日期"  # guessed from the names
    with clock.frozen(DAY):
        done = client.post(reverse("backoffice:receivables_import"), {
            "token": token, "account_code": AccountCode.BANK_BASIC, "branch": book["branch"].pk,
            "mapping_name": "杭州联合银行", "col_day": "记账日期", "col_credit": "收入金额", "col_debit": "支出金额",
            "col_name": "对方名称", "col_memo": ["附言"]})
    assert done.status_code == 302
    mapping = ColumnMapping.objects.get(name="杭州联合银行")
    assert mapping.columns["credit"] == "收入金额" and mapping.columns["memo"] == "附言"
    statement = BankStatement.objects.get()
    assert statement.bank == "mapped" and statement.lines_matched == 1
    # next time the saved mapping is chosen on the upload form
    again = post_file(client, book, "联合12月.csv", data, bank="mapped", mapping=mapping.pk)
    assert again.status_code == 302 and BankStatement.objects.count() == 2


def test_the_worker_imports_a_large_file_and_the_page_polls(client, book, settings,
                                                            django_capture_on_commit_callbacks):
    settings.IOUDESK_STATEMENT_BACKGROUND_LINES = 1
    client.force_login(book["user"])
    with django_capture_on_commit_callbacks(execute=False):
        response = post_file(client, book, "工行.csv", statement_file("icbc", lines(book)))
    statement = BankStatement.objects.get()
    page = client.get(response["Location"]).content.decode()
    progress = reverse("backoffice:receivables_statement_import_progress", args=[statement.pk])
    assert 'data-testid="statement-progress"' in page and f'hx-get="{progress}"' in page
    assert client.get(progress, HTTP_ACCEPT="application/json").json()["finished"] is False
    from ioudesk.receivables.bankimport import statement_import_run

    with clock.frozen(DAY):
        statement_import_run(job_id=statement.job_id)
    polled = client.get(progress, HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"
    assert 'data-testid="statement-counts"' in client.get(response["Location"]).content.decode()


def test_the_admin_lists_batches_read_only(client, book, admin_user_zh):
    client.force_login(book["user"])
    post_file(client, book, "工行.csv", statement_file("icbc", lines(book)))
    statement = BankStatement.objects.get()
    client.force_login(admin_user_zh)
    listing = client.get(reverse("admin:receivables_bankstatement_changelist")).content.decode()
    assert statement.number in listing
    detail = client.get(reverse("admin:receivables_bankstatement_change", args=[statement.pk])).content.decode()
    assert statement.sha256 in detail and 'name="_save"' not in detail
    assert client.get(reverse("admin:receivables_bankstatement_add")).status_code == 403
    add = client.post(reverse("admin:receivables_columnmapping_add"), {
        "name": "某银行", "header_row": "1", "date_format": "", "col_day": "日期", "col_amount": "金额"})
    assert add.status_code == 302 and ColumnMapping.objects.get(name="某银行").columns["amount"] == "金额"
    refused = client.post(reverse("admin:receivables_columnmapping_add"), {
        "name": "缺金额", "header_row": "1", "date_format": "", "col_day": "日期"})
    assert refused.status_code == 200 and "请选择金额列" in refused.content.decode()


def test_api_upload_and_read(client, book):
    token = api_token_issue(user=book["user"], name="对账脚本")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with clock.frozen(DAY):
        response = client.post("/api/v1/receivables/statement-imports",
                               {"file": SimpleUploadedFile("中行.csv", statement_file("boc", lines(book))),
                                "account_code": AccountCode.BANK_BASIC}, **headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["bank"] == "boc" and body["lines_new"] == 2 and body["lines_matched"] == 1
    assert body["matched_percent"] == "50.0" and body["lines"][0]["receipt_status"] == "matched"
    detail = client.get(f"/api/v1/receivables/statement-imports/{body['id']}", **headers).json()
    assert detail["receipts"]["matched"] == 1 and detail["lines"][1]["counterparty_name"] == "不认识的公司"
    listed = client.get("/api/v1/receivables/statement-imports", **headers).json()
    assert listed["count"] == 1
    bad = client.post("/api/v1/receivables/statement-imports",
                      {"file": SimpleUploadedFile("x.csv", "序号,说明\n1,a\n".encode()), "account_code": "100201"},
                      **headers)
    assert bad.status_code == 400 and "无法识别流水格式" in bad.json()["message"]
