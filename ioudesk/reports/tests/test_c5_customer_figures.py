"""C (issue 14): CustomerFigure — each customer's figures at the latest closed day, written by the close's
day step and read by 客户贷款分析 with the same figures as computed from the IOUs.

Business date 2026-11-28; the close runs through 2026-11-27. Rates 0 %, bullet repayment; branches 总部,
东城 (under 总部) and 西城 (under 总部); product P1 经营贷:

| customer | branch | IOU | principal | contract → due | dpd 11-27 | notes |
|---|---|---|---|---|---|---|
| 华安公司 (company) | 总部 | H1 | 300,000 | 11-01 → 12-31 | 0 | |
| 周一 | 总部 | Z1 | 50,000 | 11-05 → 12-31 | 0 | product P1 |
| 周一 | 总部 | Z2 | 80,000 | 08-20 → 10-18 | 13 + 27 = 40 | no product |
| 陈二 | 东城 | C1 | 120,000 | 07-01 → 08-19 | 12 + 30 + 31 + 27 = 100 | |
| 郑四 | 东城 | E1 | 40,000 | 11-10 → 12-20 | 0 | |
| 郑四 | 总部 | E2 | 60,000 | 11-12 → 12-20 | 0 | moved to 总部 (the customer's IOUs in two branches) |
| 吴三 | 东城 | W1 | 20,000 | 10-20 → 11-17 | 10 | |
| 吴三 | 东城 | W2 | 10,000 | 11-28 → 12-28 | — | paid out after the close |
| 冯五 | 西城 | — | — | — | — | a draft only: not counted |

Live at 11-28: 680,000 = 300,000 + 130,000 + 120,000 + 100,000 + 30,000.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.closing import services as closing
from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_create
from ioudesk.products.models import Product
from ioudesk.products.services import product_save
from ioudesk.reports import customer_figures, income
from ioudesk.reports.model_customer import CustomerFigure, CustomerFigureDay
from ioudesk.reports.models import ReportSettings
from ioudesk.reports.params import ReportParams
from ioudesk.reports.tests.test_b_portfolio import customer, lend

TODAY = date(2026, 11, 28)
CLOSED = date(2026, 11, 27)


@pytest.fixture
def people(organisation, head_office, make_branch, manager, approver, finance):
    east = make_branch("DC", "东城", parent=head_office)
    west = make_branch("XC", "西城", parent=head_office)
    p1 = product_save(product=Product(code="JYD", name="经营贷", rate_text="12%", method="bullet", min_amount=1000,
                                      max_amount=5000000, min_term=1, max_term=36))
    ha = customer("华安公司", head_office, manager, "13901012347", kind="company", credit_code="91350100M000100Y43")
    zhou = customer("周一", head_office, manager, "13901012345", id_number="11010519491231002X")
    chen = customer("陈二", east, manager, "13901012346", id_number="110101199003077571")
    zheng = customer("郑四", east, manager, "13901012349", id_number="110101198001010053")
    wu = customer("吴三", east, manager, "13901012340", id_number="110101199001010031")
    feng = customer("冯五", west, manager, "13901012341", id_number="110101199101010071")
    args = (manager, approver, finance)
    ious = {
        "C1": lend(chen, *args, principal="120000", on=date(2026, 7, 1), due=date(2026, 8, 19)),
        "Z2": lend(zhou, *args, principal="80000", on=date(2026, 8, 20), due=date(2026, 10, 18)),
        "W1": lend(wu, *args, principal="20000", on=date(2026, 10, 20), due=date(2026, 11, 17)),
        "H1": lend(ha, *args, principal="300000", on=date(2026, 11, 1), due=date(2026, 12, 31)),
        "Z1": lend(zhou, *args, principal="50000", on=date(2026, 11, 5), due=date(2026, 12, 31), product=p1),
        "E1": lend(zheng, *args, principal="40000", on=date(2026, 11, 10), due=date(2026, 12, 20)),
        "E2": lend(zheng, *args, principal="60000", on=date(2026, 11, 12), due=date(2026, 12, 20)),
    }
    Iou.objects.filter(pk=ious["E2"].pk).update(branch=head_office)  # 郑四's IOUs in two branches
    with clock.frozen(TODAY):
        iou_create(iou=Iou(kind="loan", customer=feng, principal=D("5000"), term=1, rate_text="年化0%",
                           method="bullet", contract_date=TODAY, due_date=date(2026, 12, 28)), user=manager)
        closing.close_execute(through=CLOSED, origin="command")
    return {"east": east, "west": west, "p1": p1, "ha": ha, "zhou": zhou, "chen": chen, "zheng": zheng,
            "wu": wu, "feng": feng, "args": args, **ious}


def after_close(people):
    """W2: 吴三 borrows 10,000 on 11-28, after the close wrote the figures."""
    wu = people["wu"]
    return lend(wu, *people["args"], principal="10000", on=TODAY, due=date(2026, 12, 28))


def run(user, **kwargs):
    with clock.frozen(TODAY):
        return income.customer_analysis(ReportParams(**kwargs), user)


def rows_of(result):
    return [(r["customer"], r["ious"], r["live"], r["principal"], r["balance"], r["max_dpd"])
            for r in result.tables[0].rows]


def live_of(user, **kwargs):
    """The same report computed from the IOUs (no figures)."""
    saved = list(CustomerFigureDay.objects.values())
    CustomerFigureDay.objects.all().delete()
    try:
        return run(user, **kwargs)
    finally:
        CustomerFigureDay.objects.bulk_create([CustomerFigureDay(**v) for v in saved])


def test_the_close_writes_each_customers_figures(people):
    assert CustomerFigureDay.objects.get().day == CLOSED
    got = {f.customer_id: (f.ious, f.live, f.principal, f.balance, f.max_dpd, f.written_off, f.branch_id,
                           f.one_branch, f.one_product, f.product_id)
           for f in CustomerFigure.objects.filter(day=CLOSED)}
    head = people["H1"].branch_id
    east = people["east"].pk
    assert got == {
        people["ha"].pk: (1, 1, D("300000.00"), D("300000.00"), 0, 0, head, True, True, None),
        # Z1 in P1, Z2 without a product: not one product
        people["zhou"].pk: (2, 2, D("130000.00"), D("130000.00"), 40, 0, head, True, False, None),
        people["chen"].pk: (1, 1, D("120000.00"), D("120000.00"), 100, 0, east, True, True, None),
        # E1 in 东城, E2 in 总部
        people["zheng"].pk: (2, 2, D("100000.00"), D("100000.00"), 0, 0, None, False, True, None),
        people["wu"].pk: (1, 1, D("20000.00"), D("20000.00"), 10, 0, east, True, True, None),
    }  # 冯五 has a draft only
    # latest only: an older day's run writes nothing, a rerun of the day rewrites it whole
    assert customer_figures.customer_figures_write(date(2026, 11, 26), latest=False) == 0
    assert customer_figures.customer_figures_write(CLOSED, latest=True) == 5
    assert CustomerFigure.objects.count() == 5
    assert customer_figures.customer_figures_backfill(date(2026, 1, 1), CLOSED) == 5
    assert list(CustomerFigureDay.objects.values_list("day", "rows")) == [(CLOSED, 5)]


def test_the_report_reads_the_figures_with_the_same_numbers(people, admin_user_zh):
    ReportSettings.objects.create(net_assets=D("2000000.00"))
    after_close(people)
    result = run(admin_user_zh)
    assert rows_of(result) == [
        ("华安公司", 1, 1, D("300000.00"), D("300000.00"), 0),
        ("周一", 2, 2, D("130000.00"), D("130000.00"), 40),
        ("陈二", 1, 1, D("120000.00"), D("120000.00"), 100),
        ("郑四", 2, 2, D("100000.00"), D("100000.00"), 0),
        # W2 paid out after the close: 吴三 computed from the IOUs
        ("吴三", 2, 2, D("30000.00"), D("30000.00"), 10),
    ]
    top = [(r["rank"], r["customer"], r["share"], r["concentration"], r["over"]) for r in result.tables[1].rows]
    # of 680,000: 44.12 %, 19.12 %, 17.65 %, 14.71 %, 4.41 %; of net assets 2,000,000: 15.00 % (over 10 %), …
    assert top == [(1, "华安公司", D("44.12"), D("15.00"), "是"), (2, "周一", D("19.12"), D("6.50"), "否"),
                   (3, "陈二", D("17.65"), D("6.00"), "否"), (4, "郑四", D("14.71"), D("5.00"), "否"),
                   (5, "吴三", D("4.41"), D("1.50"), "否")]
    assert result.tables[1].totals["balance"] == D("680000.00")
    figures = {str(f.label): f.value for f in result.figures}
    assert (figures["客户数"], figures["最大单户集中度"], figures["超过单户上限的客户"]) == (5, D("15.00"), 1)
    assert "数据截至 2026-11-27 日终（客户日终汇总）。" in result.notes
    assert any(note.startswith("其中 1 个客户") for note in result.notes)  # 吴三
    live = live_of(admin_user_zh)
    assert [t.rows for t in live.tables] == [t.rows for t in result.tables]
    assert [f.value for f in live.figures] == [f.value for f in result.figures]
    assert not any("日终（客户日终汇总）" in note for note in live.notes)


def test_a_branch_manager_sees_only_the_branchs_ious(people, make_staff):
    after_close(people)
    east = make_staff("wangfang", role="客户经理", branch=people["east"])
    result = run(east)
    # 陈二 C1; 郑四 only E1 (E2 is in 总部: 郑四 computed from the IOUs in scope); 吴三 W1 + W2
    assert rows_of(result) == [("陈二", 1, 1, D("120000.00"), D("120000.00"), 100),
                               ("郑四", 1, 1, D("40000.00"), D("40000.00"), 0),
                               ("吴三", 2, 2, D("30000.00"), D("30000.00"), 10)]
    assert result.rows_total == 3
    assert result.tables[1].totals["balance"] == D("190000.00")
    assert any(note.startswith("其中 2 个客户") for note in result.notes)  # 郑四, 吴三
    assert [t.rows for t in live_of(east).tables] == [t.rows for t in result.tables]


@pytest.mark.parametrize(("filters", "expected"), [
    # a branch (with its sub-branches): 东城 as the manager above
    (lambda p: {"branch_id": p["east"].pk}, [("陈二", D("120000.00")), ("郑四", D("40000.00")),
                                              ("吴三", D("20000.00"))]),
    (lambda p: {"branch_id": p["west"].pk}, []),  # 冯五's draft does not count
    # P1: only Z1 (周一 is computed from the IOUs: Z2 has no product)
    (lambda p: {"product_id": p["p1"].pk}, [("周一", D("50000.00"))]),
    (lambda p: {"customer_kind": "company"}, [("华安公司", D("300000.00"))]),
    (lambda p: {"customer_id": p["zheng"].pk}, [("郑四", D("100000.00"))]),
    (lambda p: {"officer_id": p["args"][0].pk}, [("华安公司", D("300000.00")), ("周一", D("130000.00")),
                                                   ("陈二", D("120000.00")), ("郑四", D("100000.00")),
                                                   ("吴三", D("20000.00"))]),
])
def test_filters_on_the_figures(people, admin_user_zh, filters, expected):
    params = filters(people)
    result = run(admin_user_zh, **params)
    assert [(r["customer"], r["balance"]) for r in result.tables[0].rows] == expected
    assert result.rows_total == len(expected)
    assert [t.rows for t in live_of(admin_user_zh, **params).tables] == [t.rows for t in result.tables]


def test_a_new_installation_computes_from_the_ious(people, admin_user_zh):
    CustomerFigure.objects.all().delete()
    CustomerFigureDay.objects.all().delete()
    result = run(admin_user_zh)
    assert [r["customer"] for r in result.tables[0].rows] == ["华安公司", "周一", "陈二", "郑四", "吴三"]
    assert result.tables[1].totals["balance"] == D("670000.00")  # W2 not lent yet


def test_pages_merge_the_computed_customers_in_order():
    def row(customer_id, balance):
        return {"customer_id": customer_id, "balance": D(balance)}

    stored = [row(i, str(1000 - i * 7 % 500)) for i in range(1, 60)]
    extra = [row(100 + i, str(1000 - i * 131 % 700)) for i in range(1, 9)]
    everything = sorted([*stored, *extra], key=lambda r: (-r["balance"], r["customer_id"]))
    stored.sort(key=lambda r: (-r["balance"], r["customer_id"]))
    for offset in range(0, 75, 3):
        for size in (1, 5, 10):
            assert customer_figures._merge(stored, extra, offset, size) == everything[offset:offset + size]


def test_net_assets_from_the_ledger_when_not_set(people, admin_user_zh):
    """No 净资产 in 报表设置: the ledger's equity (credit − debit of equity, income and expense accounts)
    from the close's per-day account sums, equal to the sum over every posting."""
    from ioudesk.core.fields import MoneySum
    from ioudesk.ledger.models import AccountType, Posting

    after_close(people)  # a disbursement entered after the close: a posting not yet in the day sums
    sums = Posting.objects.filter(account__type__in=[AccountType.EQUITY, AccountType.INCOME, AccountType.EXPENSE]
                                  ).aggregate(c=MoneySum("credit"), d=MoneySum("debit"))
    with clock.frozen(TODAY):
        assets, source = income.net_assets()
    assert source == "ledger" and assets == sums["c"] - sums["d"]
