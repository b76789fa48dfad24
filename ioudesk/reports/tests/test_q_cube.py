"""Q: PortfolioCube — the balance reports read the grouped cells the close writes, with the same figures
as computed from the IOUs.

The portfolio (made through the real services), business dates in 2026; bullet loans:

| IOU | customer | branch | principal | rate | contract → due | notes |
|---|---|---|---|---|---|---|
| A | 王建国 (个人) | 总部 | 50,000 | 12 % | 06-05 → 07-05 | no guarantee recorded, no guarantor → 信用 |
| B | 李娜 (个人) | 东城 | 120,000 | 15 % | 06-10 → 08-10 | guarantor 李四 → 保证 |
| C | 华兴公司 (企业 91…) | 总部 | 600,000 | 10 % | 05-20 → 07-19 | 抵押 |

At 06-30: 3 loans, principal outstanding 50,000 + 120,000 + 600,000 = 770,000.00; 总部 650,000.00 (2),
东城 120,000.00 (1). Disbursed in June: A and B: highest 15 %, lowest 12 %, weighted
(0.12 × 50,000 + 0.15 × 120,000) ÷ 170,000 = 24,000 ÷ 170,000.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.calc.rates import percent
from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.reports import cube, portfolio, provisions, regulatory
from ioudesk.reports.model_cube import PortfolioCube
from ioudesk.reports.params import ReportParams
from ioudesk.reports.snapshots import DAY_WRITERS, MONTH_END_WRITERS, month_end_take

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 30)
JULY_1 = date(2026, 7, 1)


def _customer(name, branch, manager, phone, *, kind="individual", id_number="", credit_code=""):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind=kind, branch=branch, name=name, id_number=id_number,
                                             credit_code=credit_code, phone=phone), user=manager)


def _lend(who, manager, approver, finance, *, principal, rate, on, due, **extra):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=who, principal=D(principal), term=1, rate_text=rate,
                                    method="bullet", contract_date=on, due_date=due, **extra), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return Iou.objects.get(pk=iou.pk)


@pytest.fixture
def book(organisation, head_office, make_branch, manager, approver, finance):
    dongcheng = make_branch("DC", "东城", parent=head_office)
    wang = _customer("王建国", head_office, manager, "13901012345", id_number="11010519491231002X")
    li = _customer("李娜", dongcheng, manager, "13901012346", id_number="110101199003077571")
    hx = _customer("华兴公司", head_office, manager, "13901012347", kind="company", credit_code="91350100M000100Y43")
    args = (manager, approver, finance)
    ious = {
        "C": _lend(hx, *args, principal="600000", rate="10%", on=date(2026, 5, 20), due=date(2026, 7, 19),
                   guarantee_type="mortgage"),
        "A": _lend(wang, *args, principal="50000", rate="12%", on=date(2026, 6, 5), due=date(2026, 7, 5)),
        "B": _lend(li, *args, principal="120000", rate="15%", on=date(2026, 6, 10), due=date(2026, 8, 10),
                   guarantor="李四"),
    }
    return {"branch": dongcheng, **ious}


def _run(fn, user, day, **kwargs):
    with clock.frozen(day):
        return fn(ReportParams(**kwargs), user)


def _summary(result):
    return {row["name"]: (row["count"], row["principal_outstanding"]) for row in result.tables[0].rows}


def _close(day):
    """What the close's day step does for the cube on `day` (its registered day writer), and the
    month end's snapshot (month_end_take runs the cube's month-end writer)."""
    with clock.frozen(day):
        rows = DAY_WRITERS["cube"].write(day, latest=True, previous=None)
        if day == JUNE:
            month_end_take(day)
    return rows


def test_the_writers_are_registered_and_write_grouped_cells(book):
    assert "cube" in DAY_WRITERS and "cube" in MONTH_END_WRITERS
    assert _close(JUNE) == 3  # three cells: the three loans differ in branch, guarantee, size …
    live = PortfolioCube.objects.filter(day=JUNE, frozen=False)
    frozen = PortfolioCube.objects.filter(day=JUNE, frozen=True)
    for cells in (live, frozen):
        assert sum(c.count for c in cells) == 3
        assert sum((c.principal_outstanding for c in cells), D("0")) == D("770000.00")
        assert {c.guarantee for c in cells} == {"credit", "guarantee", "mortgage"}
        assert {c.borrower for c in cells} == {"individual", "small_business"}
        assert sum(c.new_count for c in cells) == 2  # A and B were lent in June
    # the next day's close replaces the live cells; the month end keeps its frozen ones
    _close(JULY_1)
    assert not PortfolioCube.objects.filter(day=JUNE, frozen=False).exists()
    assert PortfolioCube.objects.filter(day=JULY_1, frozen=False).count() == 3
    assert PortfolioCube.objects.filter(day=JUNE, frozen=True).count() == 3
    # a rerun of an older day (not the latest) writes nothing
    assert DAY_WRITERS["cube"].write(JUNE, latest=False, previous=None) == 0


def test_the_reports_read_the_cells_with_the_figures_computed_live(book, admin_user_zh):
    before = _run(portfolio.loan_balance_summary, admin_user_zh, JUNE, extra={"dimension": "branch"})
    assert _summary(before) == {"总部": (2, D("650000.00")), "东城": (1, D("120000.00"))}
    assert not any("日终" in note for note in before.notes)
    detail_before = _run(portfolio.loan_balance_detail, admin_user_zh, JUNE)
    prov_before = _run(provisions.provisions, admin_user_zh, JUNE)
    trend_before = _run(portfolio.npl_trend, admin_user_zh, JUNE)
    guarantee_before = _run(portfolio.loan_balance_summary, admin_user_zh, JUNE, extra={"dimension": "guarantee"})
    assert _summary(guarantee_before)["信用"] == (1, D("50000.00"))
    assert _summary(guarantee_before)["保证"] == (1, D("120000.00"))

    _close(JUNE)
    with clock.frozen(JUNE):
        assert cube.latest_day() == JUNE
    after = _run(portfolio.loan_balance_summary, admin_user_zh, JUNE, extra={"dimension": "branch"})
    assert _summary(after) == _summary(before)
    assert "数据截至 2026-06-30 日终" in " ".join(after.notes)
    detail = _run(portfolio.loan_balance_detail, admin_user_zh, JUNE)
    assert detail.tables[0].totals == detail_before.tables[0].totals
    assert detail.tables[0].totals["principal_outstanding"] == D("770000.00")
    assert detail.rows_total == 3
    assert _run(provisions.provisions, admin_user_zh, JUNE).tables[0].rows == prov_before.tables[0].rows
    trend = _run(portfolio.npl_trend, admin_user_zh, JUNE)
    assert trend.tables[0].rows[-1]["principal_outstanding"] == D("770000.00")
    assert [r["principal_outstanding"] for r in trend.tables[0].rows] == [
        r["principal_outstanding"] for r in trend_before.tables[0].rows]
    assert _summary(_run(portfolio.loan_balance_summary, admin_user_zh, JUNE,
                         extra={"dimension": "guarantee"})) == _summary(guarantee_before)


def _lend_in_july(book, manager, approver, finance):
    """D: 李娜 (东城) ¥10,000 at 12 %, lent 07-01 after the close of 06-30."""
    return _lend(Iou.objects.get(pk=book["B"].pk).customer, manager, approver, finance, principal="10000",
                 rate="12%", on=JULY_1, due=date(2026, 8, 1))


def test_a_loan_after_the_close_counts_from_the_next_close(book, admin_user_zh, manager, approver, finance):
    """The summary reads the 06-30 close all day on 07-01 (东城: B alone, ¥120,000.00) and says so; the
    detail lists the IOUs as they stand (D, lent 07-01, among them: ¥130,000.00); the close of 07-01
    brings D into the summary too."""
    _close(JUNE)
    _lend_in_july(book, manager, approver, finance)
    with clock.frozen(JULY_1):
        assert cube.latest_day() == JUNE
    result = _run(portfolio.loan_balance_summary, admin_user_zh, JULY_1, extra={"dimension": "branch"})
    assert _summary(result)["东城"] == (1, D("120000.00"))
    assert any("数据截至 2026-06-30 日终" in note for note in result.notes)
    detail = _run(portfolio.loan_balance_detail, admin_user_zh, JULY_1, branch_id=book["branch"].pk)
    assert (detail.rows_total, detail.tables[0].totals["principal_outstanding"]) == (2, D("130000.00"))
    _close(JULY_1)
    result = _run(portfolio.loan_balance_summary, admin_user_zh, JULY_1, extra={"dimension": "branch"})
    assert _summary(result)["东城"] == (2, D("130000.00"))


def test_a_branch_manager_sees_only_their_branch(book, make_staff):
    clerk = make_staff("dcclerk", role="客户经理", branch=book["branch"])
    _close(JUNE)
    result = _run(portfolio.loan_balance_summary, clerk, JUNE, extra={"dimension": "branch"})
    assert _summary(result) == {"东城": (1, D("120000.00"))}
    assert _run(portfolio.loan_balance_detail, clerk, JUNE).tables[0].totals["principal_outstanding"] == D("120000.00")


def test_the_branch_filter_and_a_customer_filter_the_cube_lacks(book, admin_user_zh):
    _close(JUNE)
    by_branch = _run(portfolio.loan_balance_summary, admin_user_zh, JUNE, branch_id=book["branch"].pk,
                     extra={"dimension": "product"})
    assert sum(r["principal_outstanding"] for r in by_branch.tables[0].rows) == D("120000.00")
    # a single customer: not a cube dimension, the report's own query over the IOUs
    one = _run(portfolio.loan_balance_detail, admin_user_zh, JUNE, customer_id=book["C"].customer_id)
    assert one.tables[0].totals["principal_outstanding"] == D("600000.00")
    assert not any("日终" in note for note in one.notes)


def test_a_month_ends_cells_stay_as_frozen_after_later_changes(book, admin_user_zh, manager, approver, finance):
    _close(JUNE)
    _lend_in_july(book, manager, approver, finance)
    _close(JULY_1)  # the live cells of 07-01 hold D; the month end's do not
    live = _run(portfolio.loan_balance_summary, admin_user_zh, JULY_1, extra={"dimension": "branch"})
    assert _summary(live)["东城"] == (2, D("130000.00"))
    assert "数据截至 2026-07-01 日终" in " ".join(live.notes)
    frozen = _run(portfolio.loan_balance_summary, admin_user_zh, JULY_1, as_of=JUNE, extra={"dimension": "branch"})
    assert frozen.source == "snapshot"
    assert _summary(frozen) == {"总部": (2, D("650000.00")), "东城": (1, D("120000.00"))}
    # the month-end writer rewritten (a version bump's backfill) reads the same frozen rows
    MONTH_END_WRITERS["cube"].write(JUNE, None)
    again = _run(portfolio.loan_balance_summary, admin_user_zh, JULY_1, as_of=JUNE, extra={"dimension": "branch"})
    assert _summary(again) == _summary(frozen)


def test_monthly_statistics_from_the_cube_equal_the_computed_ones(book, admin_user_zh):
    def table(result, index):
        return {row["_key"]: {k: v for k, v in row.items() if not k.startswith("_") and k != "group"}
                for row in result.tables[index].rows}

    live = _run(regulatory.monthly_statistics, admin_user_zh, JUNE, month=JUNE)
    assert live.source == "live"
    t1, t2, t3 = table(live, 0), table(live, 1), table(live, 2)
    assert (t1["balance"]["count"], t1["balance"]["amount"]) == (3, D("770000.00"))
    assert t2["g:credit"]["balance"] == D("50000.00") and t2["g:guarantee"]["balance"] == D("120000.00")
    assert t2["g:mortgage"]["balance"] == D("600000.00")
    assert t2["b:individual"]["count"] == 2 and t2["b:small_business"]["balance"] == D("600000.00")
    assert t2["s:s1"]["count"] == 1 and t2["s:s2"]["count"] == 1 and t2["s:s3"]["count"] == 1
    assert t3["rate_max"]["value"] == percent(D("0.15")) and t3["rate_min"]["value"] == percent(D("0.12"))
    assert t3["rate_weighted"]["value"] == percent(D("24000") / D("170000"))

    _close(JUNE)
    frozen = _run(regulatory.monthly_statistics, admin_user_zh, JULY_1, month=JUNE)
    assert frozen.source == "snapshot"
    assert (table(frozen, 0)["balance"], table(frozen, 1), table(frozen, 2)) == (t1["balance"], t2, t3)
    # the cells were read, not MonthEndIou: with the snapshot's rows gone the figures stay
    from ioudesk.reports.models import MonthEndIou

    MonthEndIou.objects.filter(month_end=JUNE).update(principal_outstanding=0)
    assert table(_run(regulatory.monthly_statistics, admin_user_zh, JULY_1, month=JUNE), 1) == t2


def test_a_snapshot_taken_before_the_cube_existed_gets_its_cells_by_the_backfill(book):
    from ioudesk.reports.models import MonthSnapshot
    from ioudesk.reports.snapshots import derived_backfill

    _close(JUNE)
    snapshot = MonthSnapshot.objects.get(month_end=JUNE)
    totals = {**snapshot.totals, "derived": {**snapshot.totals["derived"], "cube": 0}}
    MonthSnapshot.objects.filter(pk=snapshot.pk).update(totals=totals)
    PortfolioCube.objects.filter(day=JUNE, frozen=True).delete()
    assert derived_backfill() == 1
    cells = PortfolioCube.objects.filter(day=JUNE, frozen=True)
    assert sum((c.principal_outstanding for c in cells), D("0")) == D("770000.00")
    assert MonthSnapshot.objects.get(month_end=JUNE).totals["derived"]["cube"] == cube.VERSION


def test_the_debt_reports_loan_row_from_the_cube(book, admin_user_zh):
    from ioudesk.reports import receivables_reports

    def loans(result):
        return {row["name"]: row["amount"] for row in result.tables[1].rows}["借款"]

    before = loans(_run(receivables_reports.debt, admin_user_zh, JUNE))
    assert before == D("770000.00") + sum((i.interest_outstanding for i in Iou.objects.all()), D("0"))
    _close(JUNE)
    result = _run(receivables_reports.debt, admin_user_zh, JUNE)
    assert loans(result) == before
    assert "数据截至 2026-06-30 日终" in " ".join(result.notes)


def test_the_sql_readings_are_the_orm_ones_of_regulatory(book, manager):
    """cube.py's SQL text of 借款人类型, 额度 and 期限 gives what regulatory's expressions give, IOU by IOU
    (a sole trader by 工作单位 added: 赵个体, 个体经营)."""
    from django.db import connection
    from django.db.models import Q

    from ioudesk.ious.models import Purpose
    from ioudesk.reports.snapshots import purpose_sql

    trader = _customer("赵个体", book["branch"], manager, "13901012349", id_number="110101198001010053")
    trader.employer = "个体经营"
    trader.save(update_fields=["employer"])
    Iou.objects.filter(pk=book["A"].pk).update(customer=trader)
    orm = {pk: (b, s, t) for pk, b, s, t in Iou.objects.annotate(
        b=regulatory.borrower_expr(purpose=Q(purpose_category=Purpose.AGRICULTURE)), s=regulatory.size_expr(),
        t=regulatory.term_expr()).values_list("pk", "b", "s", "t")}
    sizes = regulatory._size_codes()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT i.id, {cube.borrower_sql('c', purpose_sql('i'))}, {cube.size_sql('i')}, "
                       f"{cube.period_sql('i.term', 'i.frequency')} FROM ious_iou i "
                       f"JOIN customers_customer c ON c.id = i.customer_id", [])
        sql = {pk: (b, sizes[s], t) for pk, b, s, t in cursor.fetchall()}
    assert sql == orm
    assert orm[book["A"].pk][0] == "sole_trader" and orm[book["C"].pk][0] == "small_business"
