"""自定义报表 (F): the pivot over PortfolioDay (stock) and FlowDay (income) with worked figures, the
column dimension, the data scope, refusals naming the field, saved pivots per user."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.http import QueryDict

from ioudesk.core.errors import ValidationFailed
from ioudesk.products.models import Product
from ioudesk.products.services import product_save
from ioudesk.reports import pivot
from ioudesk.reports.models import FlowDay, PortfolioDay, SavedPivot

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(head_office, make_branch, make_staff, manager):
    """Two branches. PortfolioDay rows (count, principal, balance, overdue principal + interest):

    2026-10-31 总部 M0 normal        2  30,000.00  20,000.00      0.00
    2026-11-27 总部 M0 normal        2  30,000.00  18,000.00      0.00   (an older day of November)
    2026-11-28 总部 M0 normal        2  30,000.00  17,500.00      0.00
    2026-11-28 总部 M1 special_mention 1  10,000.00  8,000.00  1,000.00 + 80.00
    2026-11-28 东城 M0 normal        3  60,000.00  45,000.00      0.00

    FlowDay repayments in November: 总部 interest 100 + penalty 5 + fee 0, 东城 interest 300 and a
    reversal of 20 interest (negative, under the original kind); a disbursement (not income)."""
    east = make_branch("E1", "东城网点")
    product = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=500000, min_term=3, max_term=36))

    def day(when, branch, bucket, tier, count, principal, balance, op="0", oi="0"):
        PortfolioDay.objects.create(day=when, branch=branch, product=product, officer=manager, kind="loan",
                                    guarantee="credit", classification=tier, bucket=bucket, count=count,
                                    principal=D(principal), principal_outstanding=D(balance),
                                    overdue_principal=D(op), overdue_interest=D(oi))

    day(date(2026, 10, 31), head_office, "M0", "normal", 2, "30000", "20000")
    day(date(2026, 11, 27), head_office, "M0", "normal", 2, "30000", "18000")
    day(date(2026, 11, 28), head_office, "M0", "normal", 2, "30000", "17500")
    day(date(2026, 11, 28), head_office, "M1", "special_mention", 1, "10000", "8000", "1000", "80")
    day(date(2026, 11, 28), east, "M0", "normal", 3, "60000", "45000")

    def flow(when, branch, kind, interest, penalty="0", amount="0"):
        FlowDay.objects.create(day=when, branch=branch, product=product, officer=manager, kind=kind, count=1,
                               amount=D(amount), interest=D(interest), penalty=D(penalty))

    flow(date(2026, 11, 5), head_office, "repayment", "100", "5", "1000")
    flow(date(2026, 11, 10), east, "repayment", "300", "0", "3000")
    flow(date(2026, 11, 12), east, "repayment", "-20", "0", "-200")
    flow(date(2026, 11, 3), east, "disbursement", "0", "0", "60000")
    flow(date(2026, 10, 20), east, "repayment", "50", "0", "500")
    return {"east": east, "product": product}


def run(user, **data):
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return pivot.pivot_run(pivot.pivot_parse(query, user), user)


def test_by_branch_at_the_latest_day(finance, portfolio, business_date):
    """2026-11-28: 总部 2 + 1 = 3 IOUs, balance 17,500 + 8,000 = 25,500.00, overdue 1,000 + 80 = 1,080.00;
    东城 3, 45,000.00, 0. Income in November (2026-11-01 … 11-28): 总部 100 + 5 = 105.00, 东城 300 − 20 =
    280.00. Totals 6, 70,500.00, 1,080.00, 385.00."""
    result = run(finance, rows=["branch"], measures=["count", "balance", "overdue", "income"])
    rows = result.tables[0].rows
    assert [(r["d0"], r["count"], r["balance"], r["overdue"], r["income"]) for r in rows] == [
        ("东城网点", 3, D("45000.00"), D("0.00"), D("280.00")),
        ("总部", 3, D("25500.00"), D("1080.00"), D("105.00"))]
    totals = result.tables[0].totals
    assert (totals["count"], totals["balance"], totals["overdue"], totals["income"]) == (
        6, D("70500.00"), D("1080.00"), D("385.00"))
    assert "2026-11-28" in result.notes[0]
    assert "live=1" in rows[0]["_links"]["d0"] and f"branch__id__exact={portfolio['east'].pk}" in rows[0]["_links"]["d0"]
    assert result.chart.labels == ["东城网点", "总部"] and result.chart.series[0][1] == [3, 3]


def test_by_month_reads_each_months_last_day(finance, portfolio, business_date):
    """October: its last day 2026-10-31 → 20,000.00 balance; income 50.00 on 10-20. November: the latest
    day 2026-11-28 (not 11-27) → 70,500.00; income 385.00."""
    result = run(finance, rows=["month"], measures=["balance", "income"], date_from="2026-10-01",
                 date_to="2026-11-28")
    assert [(r["d0"], r["balance"], r["income"]) for r in result.tables[0].rows] == [
        ("2026-10", D("20000.00"), D("50.00")), ("2026-11", D("70500.00"), D("385.00"))]
    assert "_links" not in result.tables[0].rows[0]


def test_a_column_dimension_spreads_the_first_measure(finance, portfolio, business_date):
    """Balance by branch (rows) × classification (columns): 总部 正常 17,500 + 关注 8,000 = 25,500;
    东城 正常 45,000."""
    result = run(finance, rows=["branch"], columns="classification", measures=["balance"], chart="")
    table = result.tables[0]
    labels = [str(c.label) for c in table.columns]
    assert labels == ["网点", "关注", "正常", "合计"]
    assert [[r["d0"], r["c0"], r["c1"], r["total"]] for r in table.rows] == [
        ["东城网点", D("0.00"), D("45000.00"), D("45000.00")], ["总部", D("8000.00"), D("17500.00"), D("25500.00")]]
    assert table.totals["total"] == D("70500.00") and result.chart is None


def test_the_scope_limits_the_rows(make_staff, portfolio, business_date):
    """A 客户经理 of 东城 sees only 东城's 3 IOUs, 45,000.00."""
    east_manager = make_staff("wangfang", role="客户经理", branch=portfolio["east"])
    result = run(east_manager, rows=["bucket"], measures=["count", "balance"])
    assert [(r["d0"], r["count"], r["balance"]) for r in result.tables[0].rows] == [("M0", 3, D("45000.00"))]


def test_refusals_name_the_field(finance, portfolio, business_date):
    def refused(**data):
        with pytest.raises(ValidationFailed) as error:
            run(finance, **data)
        return error.value.extra["field"], str(error.value.message)

    assert refused(measures=["count"])[0] == "rows"
    assert refused(rows=["branch"])[0] == "measures"
    assert refused(rows=["colour"], measures=["count"]) == ("rows", "行维度：没有“colour”这个维度。")
    assert refused(rows=["branch"], columns="branch", measures=["count"])[0] == "columns"
    field, message = refused(rows=["branch"], measures=["count"], date_from="2026-11-30", date_to="2026-11-01")
    assert field == "date_from" and "开始日期" in message


def test_saved_pivots_are_per_user(finance, manager, portfolio, business_date):
    query = pivot.pivot_parse(QueryDict("rows=branch&rows=product&measures=balance&date_from=2026-11-01"), finance)
    saved = pivot.pivot_save(user=finance, name="各网点余额", query=query)
    assert saved.rows == ["branch", "product"] and saved.filters["date_from"] == "2026-11-01"
    again = pivot.pivot_save(user=finance, name="各网点余额",
                             query=pivot.pivot_parse(QueryDict("rows=bucket&measures=count"), finance))
    assert again.pk == saved.pk and again.rows == ["bucket"]  # replaced by name
    assert list(pivot.pivots_for(manager)) == []
    with pytest.raises(Exception, match="不是您保存的"):
        pivot.pivot_delete(user=manager, pk=saved.pk)
    reloaded = pivot.pivot_parse(pivot.pivot_as_data(again), finance)
    assert reloaded.rows == ("bucket",) and reloaded.measures == ("count",)
    with pytest.raises(ValidationFailed) as error:
        pivot.pivot_save(user=finance, name=" ", query=query)
    assert error.value.extra["field"] == "name"
    pivot.pivot_delete(user=finance, pk=saved.pk)
    assert SavedPivot.objects.count() == 0


def test_a_saved_pivot_keeps_its_branch_and_product(finance, portfolio, business_date):
    """The branch and product filters are stored under the names the parser reads (branch, product), so
    the saved pivot opens with them: 东城 only, 3 IOUs, balance ¥45,000.00."""
    east, product = portfolio["east"], portfolio["product"]
    query = pivot.pivot_parse(QueryDict(f"rows=branch&measures=count&measures=balance&branch={east.pk}"
                                        f"&product={product.pk}"), finance)
    saved = pivot.pivot_save(user=finance, name="东城", query=query)
    assert saved.filters == {"date_from": "2026-11-01", "date_to": "2026-11-28", "branch": east.pk,
                             "product": product.pk}
    reloaded = pivot.pivot_parse(pivot.pivot_as_data(saved), finance)
    assert reloaded.params.branch_id == east.pk and reloaded.params.product_id == product.pk
    assert reloaded == query


def test_income_by_tier_and_channel(finance, portfolio, business_date):
    """FlowDay keeps the IOU's tier and application channel: November's income 385.00 (总部 105.00, 东城
    300.00 − 20.00) is all 正常 from 直接录入; a repayment of a 次级 online loan on 11-20 adds 40.00 + 2.00
    penalty under 次级 / 线上申请."""
    FlowDay.objects.create(day=date(2026, 11, 20), branch=portfolio["east"], product=portfolio["product"],
                           kind="repayment", count=1, amount=D("500"), interest=D("40"), penalty=D("2"),
                           classification="substandard", bucket="M3", channel="portal")
    by_tier = run(finance, rows=["classification"], measures=["income"], date_from="2026-11-01")
    assert [(r["d0"], r["income"]) for r in by_tier.tables[0].rows] == [("次级", D("42.00")), ("正常", D("385.00"))]
    by_channel = run(finance, rows=["channel", "bucket"], measures=["income"], date_from="2026-11-01")
    assert sorted((r["d0"], r["d1"], r["income"]) for r in by_channel.tables[0].rows) == [
        ("直接录入", "M0", D("385.00")), ("线上申请", "M3", D("42.00"))]
