"""The trial balance and account ledger pages, and the read-only admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ioudesk.core.roles import ACCOUNT_MANAGER, AUDITOR, FINANCE
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.models import Account
from ioudesk.ledger.services import Line, post_entry


@pytest.fixture
def books(chart, business_date):
    entry = post_entry(kind="disbursement", iou_id=1, memo="放款 JD1", lines=[
        Line(C.LOANS, debit=Decimal("12345.67")), Line(C.BANK_BASIC, credit=Decimal("12345.67"))])
    return entry


@pytest.fixture
def finance(client, make_staff):
    client.force_login(make_staff("cashier", role=FINANCE))
    return client


def test_trial_balance_page_shows_amounts_and_the_verdict(finance, books):
    response = finance.get(reverse("backoffice:ledger_trial_balance"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "试算平衡表" in html and "¥12,345.67" in html and "12,345.67" in html
    assert 'data-testid="verdict"' in html and "平衡" in html and "不平衡" not in html
    assert reverse("backoffice:ledger_account", args=[Account.objects.get(code=C.LOANS).pk]) in html


def test_trial_balance_page_as_of_an_earlier_date(finance, books):
    response = finance.get(reverse("backoffice:ledger_trial_balance"), {"day": "2026-11-01"})
    assert response.status_code == 200 and "12,345.67" not in response.content.decode()


def test_account_ledger_page(finance, books):
    loans = Account.objects.get(code=C.LOANS)

    response = finance.get(reverse("backoffice:ledger_account", args=[loans.pk]), {"start": "2026-11-01"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "1301 贷款-本金" in html and books.number in html and "放款 JD1" in html and "¥12,345.67" in html
    assert finance.get(reverse("backoffice:ledger_account", args=[999999])).status_code == 404


def test_account_ledger_page_refuses_a_backwards_range(finance, books):
    loans = Account.objects.get(code=C.LOANS)
    response = finance.get(reverse("backoffice:ledger_account", args=[loans.pk]),
                           {"start": "2026-11-30", "end": "2026-11-01"})
    assert "开始日期不能晚于结束日期" in response.content.decode()


def test_pages_need_the_ledger_permission(client, make_staff, books):
    client.force_login(make_staff("manager", role=ACCOUNT_MANAGER))
    assert client.get(reverse("backoffice:ledger_trial_balance")).status_code == 403
    client.force_login(make_staff("auditor", role=AUDITOR))
    assert client.get(reverse("backoffice:ledger_trial_balance")).status_code == 200


def test_admin_lists_and_shows_entries_read_only(finance, books):
    changelist = finance.get(reverse("admin:ledger_journalentry_changelist"))
    assert changelist.status_code == 200 and books.number in changelist.content.decode()

    detail = finance.get(reverse("admin:ledger_journalentry_change", args=[books.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200 and "12,345.67" in html and "贷款-本金" in html
    assert finance.get(reverse("admin:ledger_journalentry_add")).status_code == 403
    assert finance.get(reverse("admin:ledger_journalentry_delete", args=[books.pk])).status_code == 403


def test_admin_renames_an_account_through_the_service(client, admin_user_zh, chart):
    client.force_login(admin_user_zh)
    cash = Account.objects.get(code=C.CASH)
    url = reverse("admin:ledger_account_change", args=[cash.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"name": "库存现金（总部）", "is_active": ""})

    assert response.status_code == 302
    cash.refresh_from_db()
    assert (cash.code, cash.name, cash.is_active) == ("1001", "库存现金（总部）", False)
    assert client.get(reverse("admin:ledger_account_changelist")).status_code == 200
    assert client.get(reverse("admin:ledger_account_add")).status_code == 403
