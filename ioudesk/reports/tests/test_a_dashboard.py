"""A: the dashboard's figures from the close's daily aggregates, scoped by branch.

Two loans at the head office, lent 2026-01-15 at 12 % (the worked figures of test_a_snapshots):
A ¥10,000 / 12 months, installment 1 (principal 788.49) paid on 2026-02-15 → 9,211.51 owed;
B ¥5,000 / 6 months, installment 1 (due 2026-02-15) never paid → overdue (M1, 关注) at the month end.
The close runs 2026-02-27 … 2026-03-01; on 2026-03-02 (not closed yet) B pays ¥300.00 and a third
loan C of ¥1,000.00 is lent: this month's money counts them from the transactions of that day."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.reports.dashboard import dashboard_figures
from ioudesk.reports.tests.test_a_snapshots import close_through, lend


@pytest.fixture
def closed(debtor, manager, approver, finance):
    a = lend(debtor, manager, approver, finance, principal="10000", term=12, on=date(2026, 1, 15))
    b = lend(debtor, manager, approver, finance, principal="5000", term=6, on=date(2026, 1, 15))
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=a, amount=D("888.49"), user=finance, day=date(2026, 2, 15), reference="HK0215")
    close_through(date(2026, 2, 27), date(2026, 3, 1))
    with clock.frozen(date(2026, 3, 2)):
        iou_repay(iou=Iou.objects.get(pk=b.pk), amount=D("300.00"), user=finance, day=date(2026, 3, 2),
                  reference="HK0302")
    lend(debtor, manager, approver, finance, principal="1000", term=6, on=date(2026, 3, 2))
    return {"a": a, "b": b}


def test_the_figures_come_from_the_latest_closed_day(closed, finance, django_assert_max_num_queries):
    with clock.frozen(date(2026, 3, 2)), django_assert_max_num_queries(20):
        figures = dashboard_figures(finance)
    assert figures["day"] == date(2026, 3, 1)
    p = figures["portfolio"]
    # 9,211.51 + 5,000.00 = 14,211.51 (C, lent today, joins at tonight's close); overdue: B's 5,000.00;
    # 5,000.00 / 14,211.51 = 0.351828… → 35.18 %; nothing 次级 or worse: 0.00 %.
    assert (p["count"], p["principal"], p["overdue_principal"], p["overdue_count"], p["overdue_rate"],
            p["npl_principal"], p["npl_rate"]) == (2, D("14211.51"), D("5000.00"), 1, D("35.18"), D("0.00"),
                                                   D("0.00"))
    # March: nothing lent or paid on 03-01 (closed); on 03-02 C's 1,000.00 lent and B's 300.00 paid.
    assert figures["month"] == {"disbursed": D("1000.00"), "collected": D("300.00")}
    # 财务 may neither see promises (collections.view_promise) nor decide approvals: None, the cards are left out.
    assert (figures["approvals_waiting"], figures["pending_ious"], figures["promises_due"]) == (None, 0, None)
    trend = figures["trend"]
    assert [row["month"] for row in trend][-3:] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert len(trend) == 12 and trend[-1]["day"] == date(2026, 3, 1)
    jan, feb, mar = trend[-3:]
    # January: no close yet (no PortfolioDay), but its money: A and B lent, 15,000.00.
    assert (jan["has_data"], jan["disbursed"], jan["collected"]) == (False, D("15000.00"), D("0.00"))
    assert (feb["principal"], feb["overdue_rate"], feb["collected"]) == (D("14211.51"), D("35.18"), D("888.49"))
    assert (mar["principal"], mar["disbursed"], mar["collected"]) == (D("14211.51"), D("0.00"), D("0.00"))


def test_another_branch_sees_none_of_it(closed, make_branch, make_staff):
    outsider = make_staff("sunli", role="财务", branch=make_branch("SH01", "上海分部"))
    with clock.frozen(date(2026, 3, 2)):
        figures = dashboard_figures(outsider)
    assert (figures["portfolio"]["count"], figures["portfolio"]["principal"]) == (0, D("0.00"))
    assert figures["month"] == {"disbursed": D("0.00"), "collected": D("0.00")}
    assert all(row["principal"] == 0 and row["disbursed"] == 0 for row in figures["trend"])


def test_the_dashboard_page_shows_and_links_them(closed, finance, client):
    client.force_login(finance)
    with clock.frozen(date(2026, 3, 2)):
        html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "¥14,211.51" in html and "35.18%" in html and "¥1,000.00" in html and "¥300.00" in html
    assert "2026-03-01 日终数据" in html
    assert reverse("admin:ious_iou_changelist") + "?status__exact=overdue" in html
    assert 'data-testid="trends"' in html


def test_before_the_first_close_the_page_says_so(finance, client):
    client.force_login(finance)
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "尚未完成日终" in html
