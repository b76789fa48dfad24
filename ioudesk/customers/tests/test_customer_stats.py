"""Customer statistics: counts by category, risk grade, source, branch and month of acquisition
for a known set of customers, inside the user's branches; and the page with its charts."""

import json
from datetime import date

import pytest
from django.urls import reverse

from ioudesk.core.errors import NotFound
from ioudesk.customers.models import Category, Customer, RiskGrade, SourceChannel
from ioudesk.customers.services import customer_create
from ioudesk.customers.stats import customer_statistics

URL = reverse("backoffice:customer_stats")


@pytest.fixture
def branches(make_branch):
    east = make_branch("E1", "东城网点")
    return {"east": east, "east_sub": make_branch("E11", "东城一部", parent=east), "west": make_branch("W1", "西城网点")}


@pytest.fixture
def customers(branches, make_staff, business_date):
    """Seven customers, business date 2026-11-28:

    东城网点   2026-11-28 重要 A 转介绍 · 2026-11-02 普通 B 转介绍 · 2026-06-15 黑名单 E 无渠道
    东城一部   2026-01-10 普通 B 地推 · 2025-12-01 普通 C 地推
    西城网点   2025-11-30 重要 A 地推 (13 months back: not in the chart) · 2026-11-20 普通 B 转介绍
    """
    referral, street = SourceChannel.objects.create(name="转介绍", sort_order=1), SourceChannel.objects.create(
        name="地推", sort_order=2)
    creator = make_staff("creator", role="系统管理员")
    table = [
        ("east", date(2026, 11, 28), Category.IMPORTANT, RiskGrade.A, referral),
        ("east", date(2026, 11, 2), Category.NORMAL, RiskGrade.B, referral),
        ("east", date(2026, 6, 15), Category.BLACKLIST, RiskGrade.E, None),
        ("east_sub", date(2026, 1, 10), Category.NORMAL, RiskGrade.B, street),
        ("east_sub", date(2025, 12, 1), Category.NORMAL, RiskGrade.C, street),
        ("west", date(2025, 11, 30), Category.IMPORTANT, RiskGrade.A, street),
        ("west", date(2026, 11, 20), Category.NORMAL, RiskGrade.B, referral),
    ]
    for n, (branch, acquired_on, category, grade, source) in enumerate(table):
        customer_create(customer=Customer(branch=branches[branch], name=f"客户{n}", acquired_on=acquired_on,
                                          category=category, risk_grade=grade, source=source), user=creator)


def counts(buckets):
    return {b.label: b.count for b in buckets}


def test_everything_counted_for_someone_who_sees_every_branch(admin_user_zh, customers):
    stats = customer_statistics(user=admin_user_zh)

    assert stats.total == 7
    assert counts(stats.by_category) == {"普通客户": 4, "重要客户": 2, "黑名单": 1}
    assert counts(stats.by_risk_grade) == {"A 低风险": 2, "B 较低风险": 3, "C 中等风险": 1, "D 较高风险": 0,
                                           "E 高风险": 1}
    assert [(b.label, b.count) for b in stats.by_source] == [("转介绍", 3), ("地推", 3), ("未填写", 1)]
    assert counts(stats.by_branch) == {"东城网点": 3, "东城一部": 2, "西城网点": 2}
    assert [b.label for b in stats.by_month][0] == "2025-12" and stats.by_month[-1].label == "2026-11"
    assert counts(stats.by_month) == {"2025-12": 1, "2026-01": 1, "2026-02": 0, "2026-03": 0, "2026-04": 0,
                                      "2026-05": 0, "2026-06": 1, "2026-07": 0, "2026-08": 0, "2026-09": 0,
                                      "2026-10": 0, "2026-11": 3}
    assert stats.by_category[0].share.to_eng_string() == "57.1"


def test_a_branch_manager_counts_their_branch_and_the_ones_under_it(branches, customers, make_staff):
    manager = make_staff("east", role="客户经理", branch=branches["east"])

    stats = customer_statistics(user=manager)

    assert stats.total == 5
    assert counts(stats.by_branch) == {"东城网点": 3, "东城一部": 2}
    assert counts(stats.by_month)["2026-11"] == 2
    with pytest.raises(NotFound):
        customer_statistics(user=manager, branch_id=branches["west"].pk)


def test_filters_by_branch_and_acquisition_dates(admin_user_zh, branches, customers):
    stats = customer_statistics(user=admin_user_zh, branch_id=branches["east_sub"].pk)
    assert stats.total == 2 and counts(stats.by_risk_grade)["C 中等风险"] == 1

    stats = customer_statistics(user=admin_user_zh, acquired_from=date(2026, 1, 1), acquired_to=date(2026, 6, 30))
    assert stats.total == 2
    assert (stats.months_from, stats.months_to) == (date(2025, 7, 1), date(2026, 6, 30))
    assert counts(stats.by_month) == {**{f"2025-{m:02d}": 0 for m in range(7, 13)},
                                      "2026-01": 1, "2026-02": 0, "2026-03": 0, "2026-04": 0, "2026-05": 0,
                                      "2026-06": 1}


def test_the_page_shows_charts_and_tables_in_scope(client, branches, customers, make_staff):
    client.force_login(make_staff("east", role="客户经理", branch=branches["east"]))

    response = client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200 and "共 5 位客户" in page
    assert page.count('class="chart"') == 5 and 'data-type="doughnut"' in page and 'data-type="line"' in page
    assert "西城网点</td>" not in page
    grade_chart = json.loads(response.context["sections"][1]["data"])
    assert grade_chart["labels"][0] == "A 低风险" and grade_chart["datasets"][0]["data"] == [1, 2, 1, 0, 1]

    outside = client.get(URL, {"branch": branches["west"].pk})
    assert "共 5 位客户" in outside.content.decode() and outside.context["form"].errors


def test_the_page_needs_the_view_permission(client, make_staff):
    client.force_login(make_staff("nobody"))

    assert client.get(URL).status_code == 403
