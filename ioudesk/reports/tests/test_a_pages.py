"""A: 月末快照 pages — the list and one month (five tiers, back-dated differences, the accounts),
scoped by branch.

Two loans at the head office lent 2026-01-15 at 12 %: A ¥10,000 / 12 months, B ¥5,000 / 6 months;
nothing due by the month end 2026-01-31, so the snapshot holds 10,000.00 + 5,000.00 = 15,000.00,
all 正常. Then, on 2026-02-03, a payment of ¥1,000.00 dated 2026-01-30 on A is entered (after the
snapshot). Nothing was due by then, so it is held as customer credit (溢缴款): the difference is listed
(the transaction), A's principal at the month end 10,000.00 in the snapshot and 10,000.00 by the ledger."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.urls import reverse

from ioudesk.core import clock
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.reports import snapshots
from ioudesk.reports.tests.test_a_snapshots import lend

JAN = date(2026, 1, 31)
pytestmark = pytest.mark.usefixtures("_urls")


@pytest.fixture
def _urls():
    with override_settings(ROOT_URLCONF="ioudesk.reports.tests.urls_a"):
        yield


@pytest.fixture
def frozen(debtor, manager, approver, finance):
    a = lend(debtor, manager, approver, finance, principal="10000", term=12, on=date(2026, 1, 15))
    lend(debtor, manager, approver, finance, principal="5000", term=6, on=date(2026, 1, 15))
    with clock.frozen(JAN):
        snapshots.month_end_take(JAN)
    with clock.frozen(date(2026, 2, 3)):
        payment = iou_repay(iou=a, amount=D("1000.00"), user=finance, day=date(2026, 1, 30), reference="HK0130")
        assert snapshots.differences_find() == 1
    return {"a": a, "payment": payment}


def test_the_list_and_the_month(frozen, admin_user_zh, client):
    client.force_login(admin_user_zh)
    html = client.get(reverse("backoffice:reports_snapshots"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-01-31" in html and "¥15,000.00" in html
    month = reverse("backoffice:reports_snapshot", args=["2026-01-31"])
    assert month in html
    page = client.get(month, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    # Still 15,000.00 (the snapshot is not rewritten); the difference: 10,000.00 → 10,000.00 − principal part.
    principal = frozen["payment"].principal
    assert "¥15,000.00" in html and "100.00%" in html  # all 正常
    assert 'data-testid="snapshot-differences"' in html and frozen["a"].number in html
    assert (principal, frozen["payment"].overpayment) == (D("0.00"), D("1000.00"))
    assert "¥10,000.00" in html and "2026-01-30" in html  # the row: 本金余额 10,000.00 → 10,000.00
    assert 'data-testid="snapshot-accounts"' in html and "1301" in html


def test_another_branch_sees_its_own_figures(frozen, make_branch, make_staff, client):
    outsider = make_staff("zhouqiang", role="财务", branch=make_branch("SH01", "上海分部"))
    client.force_login(outsider)
    html = client.get(reverse("backoffice:reports_snapshot", args=["2026-01-31"]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "¥15,000.00" not in html and "没有追溯差异" in html
    assert 'data-testid="snapshot-accounts"' not in html  # the accounts are the whole organisation's


def test_a_month_without_a_snapshot_is_not_found(admin_user_zh, client):
    client.force_login(admin_user_zh)
    assert client.get(reverse("backoffice:reports_snapshot", args=["2026-01-31"])).status_code == 404
    assert client.get(reverse("backoffice:reports_snapshot", args=["2026-13-31"])).status_code == 404


def test_the_next_month_end_adds_to_the_last_and_agrees_with_the_trial_balance(frozen):
    """February's accounts are January's plus February's postings plus the back-dated one entered
    after January's snapshot (the 01-30 payment): the same as the trial balance at 2026-02-28."""
    from ioudesk.ledger.selectors import trial_balance
    from ioudesk.reports.models import MonthEndAccount

    feb = date(2026, 2, 28)
    with clock.frozen(feb):
        snapshots.month_end_take(feb)
    balance = {row.account.code: (row.debit, row.credit) for row in trial_balance(day=feb).on_balance.rows
               + trial_balance(day=feb).memo.rows if not row.is_summary and (row.debit or row.credit)}
    frozen_rows = {a.account.code: (a.debit, a.credit)
                   for a in MonthEndAccount.objects.filter(month_end=feb).select_related("account")}
    assert frozen_rows == balance
    # 2241 客户溢缴款 holds the ¥1,000.00 paid on 01-30 (January's snapshot did not: entered after it).
    assert frozen_rows["2241"][1] - frozen_rows["2241"][0] == D("1000.00")
    assert "2241" not in {a.account.code for a in MonthEndAccount.objects.filter(month_end=JAN).select_related(
        "account")}
