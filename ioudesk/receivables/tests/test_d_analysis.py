"""Analysis with worked examples: aging buckets at their edges, overdue short/long, DSO, a counterparty
that is customer and supplier (net 往来), credit available, the classification, aging by customer
(set-based: the same number of queries for 3 customers or 60) and the data scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.receivables import selectors
from ioudesk.receivables.models import BillKind, CounterpartyProfile, Direction, Nature
from ioudesk.receivables.tests import d_book

D = Decimal
DAY = date(2026, 11, 30)


def test_bucket_edges():
    assert [selectors.bucket_key(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 365, 366)] == [
        "current", "current", "d1_30", "d1_30", "d31_60", "d31_60", "d61_90", "d61_90", "d91_180", "d91_180",
        "d181_365", "d181_365", "over_365"]


@pytest.fixture
def aged(head_office, finance):
    """One customer, one open item per edge of the buckets at 2026-11-30 (days past due → amount)."""
    with clock.frozen(DAY):
        customer = d_book.company("上海浦江建材有限公司", "91310115MA1K3XY82", branch=head_office, user=finance,
                                  category="important")
        for days, amount in ((-1, "100.00"), (0, "200.00"), (1, "300.00"), (30, "400.00"), (31, "500.00"),
                             (90, "600.00"), (91, "700.00"), (365, "800.00"), (366, "900.00")):
            due = DAY - timedelta(days=days)
            d_book.bill(customer, min(due, DAY) - timedelta(days=1), amount, "0.00", [(due, amount)])
    return customer


def test_aging_by_customer_buckets_and_terms(aged, finance, organisation):
    result = selectors.aging_by_customer(finance, day=DAY)
    assert result["customers"] == 1
    row = result["rows"][0]
    assert row["name"] == "上海浦江建材有限公司" and row["category_label"] == "重要客户"
    assert {key: row[key] for key in selectors.BUCKET_KEYS} == {
        "current": D("300.00"),  # due tomorrow 100 + due today 200
        "d1_30": D("700.00"),  # 1 day 300 + 30 days 400
        "d31_60": D("500.00"),
        "d61_90": D("600.00"),
        "d91_180": D("700.00"),
        "d181_365": D("800.00"),
        "over_365": D("900.00"),
    }
    assert row["total"] == D("4500.00")
    # long_overdue_days 90 by default: short = 1…90 days, long = more
    assert row["short"] == D("1800.00")  # 300 + 400 + 500 + 600
    assert row["long"] == D("2400.00")  # 700 + 800 + 900
    assert row["overdue"] == row["short"] + row["long"]
    assert result["totals"]["total"] == D("4500.00")


def test_position_of_customer_and_supplier(head_office, finance, organisation):
    with clock.frozen(DAY):
        both = d_book.company("北京华信商贸有限公司", "91110105MA01ABCD1", branch=head_office, user=finance)
        CounterpartyProfile.objects.create(customer=both, is_customer=True, is_supplier=True, credit_limit=D("8000.00"))
        d_book.bill(both, date(2026, 11, 1), "5000.00", "0.00", [(date(2026, 11, 10), "5000.00")])  # 20 days overdue
        d_book.bill(both, date(2026, 11, 5), "2000.00", "0.00", [(date(2026, 12, 5), "2000.00")],
                    direction=Direction.PAYABLE, kind=BillKind.PURCHASE)
        d_book.receipt(both, date(2026, 11, 20), "500.00")  # not matched yet
        position = selectors.customer_position(both, day=DAY)
    assert position.receivable == D("5000.00")
    assert position.advance == D("500.00")
    assert position.payable == D("2000.00")
    assert position.net_receivable == D("4500.00")
    assert position.net == D("2500.00")  # 5,000 − 500 − 2,000: on balance they owe us ¥2,500.00
    assert position.is_supplier
    assert position.overdue_short == D("5000.00") and position.overdue_long == D("0.00")
    assert position.aging["d1_30"] == D("5000.00")
    # credit_check (A): exposure = open bills − unmatched receipts = 4,500; available 8,000 − 4,500
    assert position.credit_limit == D("8000.00")
    assert position.available == D("3500.00")
    assert not position.exceeds_limit
    assert position.category_label == "普通客户"


def test_dso_worked_example(head_office, finance, organisation):
    """DSO at 2026-11-30 over 90 days (2026-09-02 … 2026-11-30):
    balance 40,000 (Aug, outside the window) + 120,000 (YS Oct 300,000 less 180,000 paid) + 120,000
    (YS Nov 150,000 less a 30,000 credit note) = 280,000; sales in the window 300,000 + 150,000 − 30,000
    = 420,000; DSO = 280,000 ÷ 420,000 × 90 = 60.0 days."""
    with clock.frozen(DAY):
        customer = d_book.company("上海浦江建材有限公司", "91310115MA1K3XY82", branch=head_office, user=finance)
        d_book.bill(customer, date(2026, 8, 20), "40000.00", "0.00", [(date(2026, 9, 19), "40000.00")])
        october = d_book.bill(customer, date(2026, 10, 1), "300000.00", "0.00", [(date(2026, 10, 31), "300000.00")])
        paid = d_book.receipt(customer, date(2026, 10, 30), "180000.00")
        d_book.match(paid, october.dues.get(), "180000.00", date(2026, 10, 30))
        november = d_book.bill(customer, date(2026, 11, 15), "150000.00", "0.00", [(date(2026, 12, 15), "150000.00")],
                               nature=Nature.SERVICES, kind=BillKind.SERVICE)
        d_book.credit_note(november, date(2026, 11, 20), "30000.00", "0.00")
        assert selectors.dso(finance, day=DAY, days=90) == D("60.0")
        assert selectors.customer_position(customer, day=DAY).dso == D("60.0")
        # over 30 days (November only): 280,000 ÷ (150,000 − 30,000) × 30 = 70.0
        assert selectors.dso(finance, day=DAY, days=30) == D("70.0")
        classes = selectors.classification(finance, day=DAY)
    assert dict((k, v) for k, _l, v in classes["nature"]) == {
        "goods": D("160000.00"), "services": D("120000.00"), "mixed": D("0.00"), "loan": D("0.00")}
    assert dict((k, v) for k, _l, v in classes["term"]) == {
        # due 2026-09-19: 72 days, due 2026-10-31: 30 days, both short (≤ 90); November's not yet due
        "current": D("120000.00"), "short": D("160000.00"), "long": D("0.00")}


def test_no_sales_no_dso(finance, organisation):
    assert selectors.dso(finance, day=DAY) is None


def test_overview_and_scope(aged, finance, make_branch, make_staff, organisation):
    data = selectors.overview(finance, day=DAY)
    assert data["receivable"] == D("4500.00") and data["payable"] == D("0.00")
    assert data["totals"]["long"] == D("2400.00")
    assert data["aging"]["rows"][0]["customer_id"] == aged.pk
    other = make_staff("yangli", role="财务", branch=make_branch("SZ", "深圳分公司"))
    assert selectors.aging_by_customer(other, day=DAY)["rows"] == []
    assert selectors.overview(other, day=DAY)["receivable"] == D("0.00")
    # filters: only long-overdue customers, by category
    long_only = selectors.aging_by_customer(finance, day=DAY, filters=selectors.OverviewFilters(term="long"))
    assert long_only["customers"] == 1
    normal = selectors.aging_by_customer(finance, day=DAY, filters=selectors.OverviewFilters(category="normal"))
    assert normal["customers"] == 0


def test_aging_by_customer_is_set_based(head_office, finance, organisation, django_assert_max_num_queries):
    with clock.frozen(DAY):
        for n in range(60):
            first17 = f"9131011500000{n:04d}"
            customer = d_book.company(f"测试客户{n}有限公司", first17, branch=head_office, user=finance)
            d_book.bill(customer, date(2026, 10, 1), f"{100 + n}.00", "0.00", [(date(2026, 10, 31), f"{100 + n}.00")])
    with django_assert_max_num_queries(8):
        result = selectors.aging_by_customer(finance, day=DAY)
    assert result["customers"] == 60
    assert result["rows"][0]["total"] == D("159.00")
    assert result["totals"]["d1_30"] == sum((D(100 + n) for n in range(60)), D("0"))
