"""B: the 资产质量 and 收入与客户 reports over one hand-built portfolio (made through the real services:
create, submit, approve, disburse; the close of 2026-11-27; a write-off, a recovery, a repayment).

Business date 2026-11-28; the last closed day 2026-11-27 (days past due are counted to it). Products
P1 经营贷 and P2 消费贷; branches 总部 and 东城 (a sub-branch). Rates 0 % unless said (so balances are
principal only), bullet repayment unless said:

| IOU | customer | branch | product | principal | contract → due | dpd 11-27 | bucket | tier | notes |
|---|---|---|---|---|---|---|---|---|---|
| A | 王建国 | 总部 | P1 | 50,000 | 11-05 → 12-31 | 0 | M0 | 正常 | |
| B | 王建国 | 总部 | P1 | 80,000 | 08-20 → 10-18 | 13+27 = 40 | M2 | 关注 | guarantor 李四 (保证) |
| C | 李娜 | 东城 | P2 | 120,000 | 07-01 → 08-19 | 12+30+31+27 = 100 | M4 | 次级 | 抵押 |
| D | 李娜 | 东城 | P2 | 30,000 | 01-10 → 02-20 | 8+245+27 = 280 | M7+ | 可疑 | |
| E | 华兴公司 | 总部 | P1 | 600,000 | 11-01, 24 monthly at 6 % | 0 | M0 | 正常 | 工业制造 |
| F | 华兴公司 | 总部 | — | 20,000 | 欠条 11-10 → 12-15 | 0 | M0 | 正常 | kind debt (1122) |
| G | 孙强 | 总部 | — | 40,000 | 01-01 → 01-31 | — | — | — | written off 11-28, ¥5,000 recovered |
| H | 王建国 | 总部 | — | 12,000 | 10-01 → 11-01 at 12 % | — | — | — | repaid 12,120 on 11-01: settled |
| I | 李娜 | 东城 | P2 | 15,000 | 10-20 → 11-17 | 10 | M1 | 关注 | |

Live (A–F, I): 7 IOUs, principal outstanding 50,000 + 80,000 + 120,000 + 30,000 + 600,000 + 20,000 +
15,000 = 915,000.00, of which loans (1301) 895,000.00 and the 欠条 F 20,000.00 (1122).
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.closing import services as closing
from ioudesk.core import clock
from ioudesk.core.errors import ValidationFailed
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.writeoff import iou_recover, iou_write_off
from ioudesk.ledger.selectors import trial_balance
from ioudesk.products.models import Product
from ioudesk.products.services import product_save
from ioudesk.reports import income, portfolio, provisions
from ioudesk.reports.models import MonthEndIou, MonthSnapshot, ReportSettings
from ioudesk.reports.params import ReportParams

TODAY = date(2026, 11, 28)
CLOSED = date(2026, 11, 27)
OCT = date(2026, 10, 31)


def balance_of(code: str, day: date = TODAY) -> D:
    rows = {row.account.code: row.balance for row in trial_balance(day=day).on_balance.rows}
    return rows.get(code, D("0.00"))


def customer(name, branch, manager, phone, *, kind="individual", id_number="", credit_code=""):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind=kind, branch=branch, name=name, id_number=id_number,
                                             credit_code=credit_code, phone=phone), user=manager)


def lend(who, manager, approver, finance, *, principal, on, due=None, term=1, method="bullet", rate="年化0%",
         kind="loan", product=None, **extra):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind=kind, customer=who, principal=D(principal), term=term, rate_text=rate,
                                    method=method, contract_date=on, due_date=due, product=product, **extra),
                            user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return Iou.objects.get(pk=iou.pk)


@pytest.fixture
def book(organisation, head_office, make_branch, manager, approver, finance):
    dongcheng = make_branch("DC", "东城", parent=head_office)
    p1 = product_save(product=Product(code="JYD", name="经营贷", rate_text="12%", method="bullet", min_amount=1000,
                                      max_amount=5000000, min_term=1, max_term=36))
    p2 = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="bullet", min_amount=1000,
                                      max_amount=5000000, min_term=1, max_term=36))
    wang = customer("王建国", head_office, manager, "13901012345", id_number="11010519491231002X")
    li = customer("李娜", dongcheng, manager, "13901012346", id_number="110101199003077571")
    hx = customer("华兴公司", head_office, manager, "13901012347", kind="company", credit_code="91350100M000100Y43")
    sun = customer("孙强", head_office, manager, "13901012348", id_number="110101198001010053")
    args = (manager, approver, finance)
    ious = {
        "D": lend(li, *args, principal="30000", on=date(2026, 1, 10), due=date(2026, 2, 20), product=p2),
        "G": lend(sun, *args, principal="40000", on=date(2026, 1, 1), due=date(2026, 1, 31)),
        "C": lend(li, *args, principal="120000", on=date(2026, 7, 1), due=date(2026, 8, 19), product=p2,
                  guarantee_type="mortgage"),
        "B": lend(wang, *args, principal="80000", on=date(2026, 8, 20), due=date(2026, 10, 18), product=p1,
                  guarantor="李四"),
        "A": lend(wang, *args, principal="50000", on=date(2026, 11, 5), due=date(2026, 12, 31), product=p1),
        "H": lend(wang, *args, principal="12000", on=date(2026, 10, 1), due=date(2026, 11, 1), rate="12%"),
        "I": lend(li, *args, principal="15000", on=date(2026, 10, 20), due=date(2026, 11, 17), product=p2),
        "E": lend(hx, *args, principal="600000", on=date(2026, 11, 1), term=24, method="equal_installment",
                  rate="6%", product=p1, purpose_category="manufacturing"),
        "F": lend(hx, *args, principal="20000", on=date(2026, 11, 10), due=date(2026, 12, 15), kind="debt",
                  debt_reason="goods"),
    }
    # H: 12,000 × 12 % × 30/360 = 120.00 interest, repaid with the principal on its due date
    with clock.frozen(date(2026, 11, 1)):
        iou_repay(iou=ious["H"], amount=D("12120.00"), user=finance, reference="HK1101")
    with clock.frozen(TODAY):
        closing.close_execute(through=CLOSED, origin="command")
        iou_write_off(iou=Iou.objects.get(pk=ious["G"].pk), user=finance, reason="债务人下落不明，经诉讼执行无财产")
        iou_recover(iou=Iou.objects.get(pk=ious["G"].pk), amount=D("5000.00"), user=finance, reference="SH1128")
    return {"branch": dongcheng, "p1": p1, "p2": p2, "wang": wang, "li": li, "hx": hx, "sun": sun,
            **{k: Iou.objects.get(pk=v.pk) for k, v in ious.items()}}


def october_snapshot(book):
    """The 2026-10-31 month end as A's snapshot would have frozen it (rows written here, since the
    snapshot of a past month cannot be taken after the fact; A was lent in November): B 13 days past due (M1 关注);
    C 73 (M3 关注); D 253 (M7+ 次级); G 273 (M7+ 可疑); H and I not yet due (正常)."""
    MonthSnapshot.objects.create(month_end=OCT, iou_count=6)
    states = {"B": ("overdue", "special_mention", "M1", 13),
              "C": ("overdue", "special_mention", "M3", 73), "D": ("overdue", "substandard", "M7+", 253),
              "G": ("overdue", "doubtful", "M7+", 273), "H": ("active", "normal", "M0", 0),
              "I": ("active", "normal", "M0", 0)}
    for key, (status, tier, bucket, dpd) in states.items():
        iou = book[key]
        MonthEndIou.objects.create(
            month_end=OCT, iou=iou, customer_id=iou.customer_id, branch_id=iou.branch_id, product_id=iou.product_id,
            officer_id=iou.officer_id, kind=iou.kind, status=status, classification=tier, bucket=bucket,
            days_past_due=dpd, guarantee="credit", purpose="other", annual_rate=iou.annual_rate, term=iou.term,
            contract_date=iou.contract_date, disbursed_on=iou.disbursed_on, maturity_date=iou.maturity_date,
            principal=iou.principal, principal_outstanding=iou.principal,
            overdue_principal=iou.principal if dpd else D("0"))


def run(fn, user, **kwargs):
    with clock.frozen(TODAY):
        return fn(ReportParams(**kwargs), user)


def test_the_portfolio_stands_as_the_table_says(book):
    got = {k: (book[k].status, book[k].days_past_due, book[k].bucket, book[k].classification, book[k].principal_outstanding)
           for k in "ABCDEFI"}
    assert got == {
        "A": ("active", 0, "M0", "normal", D("50000.00")), "B": ("overdue", 40, "M2", "special_mention", D("80000.00")),
        "C": ("overdue", 100, "M4", "substandard", D("120000.00")), "D": ("overdue", 280, "M7+", "doubtful", D("30000.00")),
        "E": ("active", 0, "M0", "normal", D("600000.00")), "F": ("active", 0, "M0", "normal", D("20000.00")),
        "I": ("overdue", 10, "M1", "special_mention", D("15000.00")),
    }
    assert (book["G"].status, book["H"].status) == ("written_off", "settled")
    assert balance_of("1301") == D("895000.00")  # the loans: 915,000 − F's 20,000
    assert balance_of("1122") == D("20000.00")  # F, the only 欠条 (no receivables bills here)


def test_loan_balance_detail_lists_every_live_iou_and_its_total_is_the_ledger(book, admin_user_zh):
    result = run(portfolio.loan_balance_detail, admin_user_zh, as_of=TODAY)
    table = result.tables[0]
    assert result.rows_total == 7
    assert [row["number"] for row in table.rows] == sorted(book[k].number for k in "ABCDEFI")
    assert table.totals["principal_outstanding"] == D("915000.00")
    assert table.totals["principal"] == D("915000.00")
    row_c = next(row for row in table.rows if row["number"] == book["C"].number)
    assert (row_c["customer"], row_c["branch"], row_c["product"], row_c["days_past_due"], row_c["bucket"],
            row_c["classification"]) == ("李娜", "东城", "消费贷", 100, "M4", "次级")
    assert row_c["_links"]["number"].endswith(f"/{book['C'].pk}/")
    loans = run(portfolio.loan_balance_detail, admin_user_zh, as_of=TODAY, extra={"kind": "loan"})
    assert loans.tables[0].totals["principal_outstanding"] == balance_of("1301") == D("895000.00")
    debts = run(portfolio.loan_balance_detail, admin_user_zh, as_of=TODAY, extra={"kind": "debt"})
    assert debts.tables[0].totals["principal_outstanding"] == balance_of("1122") == D("20000.00")
    with clock.frozen(TODAY):
        exported = list(portfolio.detail_export_rows(ReportParams(as_of=TODAY), admin_user_zh))
    assert len(exported) == 7 and sum(r["principal_outstanding"] for r in exported) == D("915000.00")


def test_a_branch_manager_sees_only_the_branch(book, make_staff):
    east = make_staff("wangfang", role="客户经理", branch=book["branch"])
    result = run(portfolio.loan_balance_detail, east, as_of=TODAY)
    assert result.rows_total == 3  # C, D, I
    assert result.tables[0].totals["principal_outstanding"] == D("165000.00")  # 120,000 + 30,000 + 15,000


# The summary, the NPL trend's current month and the provisions read the latest close (11-27), as the
# dashboard and the aging report do: G, written off on 11-28 after that close, still stands there —
# 总部, no product, ¥40,000, 300 days past due (M7+, 可疑), 信用, ≤10万, ≤6 months, purpose 其他.
# The close's total 915,000 + 40,000 = 955,000.00 is what the ledger said on 11-27 (1301 935,000 + 1122 F 20,000).
@pytest.mark.parametrize(("dimension", "expected"), [
    # P1: A + B + E = 50,000 + 80,000 + 600,000; P2: C + D + I; no product: F + G; shares of 955,000
    ("product", {"经营贷": (3, "730000.00", "76.44"), "消费贷": (3, "165000.00", "17.28"),
                 "（未指定）": (2, "60000.00", "6.28")}),
    ("branch", {"总部": (5, "790000.00", "82.72"), "东城": (3, "165000.00", "17.28")}),
    # ≤10万: A, B, D, F, G, I = 50,000 + 80,000 + 30,000 + 20,000 + 40,000 + 15,000; 10–50万: C; 50–100万: E
    ("size", {"10万元及以下": (6, "235000.00", "24.61"), "10万至50万元": (1, "120000.00", "12.57"),
              "50万至100万元": (1, "600000.00", "62.83"), "100万至500万元": (0, "0.00", "0.00"),
              "500万元以上": (0, "0.00", "0.00")}),
    ("term", {"6个月及以下": (7, "355000.00", "37.17"), "7至12个月": (0, "0.00", "0.00"),
              "13至36个月": (1, "600000.00", "62.83"), "36个月以上": (0, "0.00", "0.00")}),
    # 保证: B names a guarantor; 抵押: C recorded; the rest 信用
    ("guarantee", {"信用": (6, "755000.00", "79.06"), "保证": (1, "80000.00", "8.38"),
                   "抵押": (1, "120000.00", "12.57"), "质押": (0, "0.00", "0.00")}),
])
def test_loan_balance_summary_by_dimension(book, admin_user_zh, dimension, expected):
    result = run(portfolio.loan_balance_summary, admin_user_zh, as_of=TODAY, extra={"dimension": dimension})
    got = {row["name"]: (row["count"], str(row["principal_outstanding"]), None if row["share"] is None else str(row["share"]))
           for row in result.tables[0].rows}
    assert got == expected
    assert result.tables[0].totals["principal_outstanding"] == D("955000.00") == (
        balance_of("1301", CLOSED) + balance_of("1122", CLOSED))
    assert "数据截至 2026-11-27 日终" in " ".join(result.notes)


def test_summary_by_purpose_reads_unrecorded_as_other(book, admin_user_zh):
    result = run(portfolio.loan_balance_summary, admin_user_zh, as_of=TODAY, extra={"dimension": "purpose"})
    got = {row["name"]: row["principal_outstanding"] for row in result.tables[0].rows if row["count"]}
    assert got == {"工业制造": D("600000.00"), "其他": D("355000.00")}  # at the 11-27 close: G still there


def test_a_bad_dimension_and_a_day_without_snapshot_are_refused(book, admin_user_zh):
    with pytest.raises(ValidationFailed, match="汇总维度无效"):
        run(portfolio.loan_balance_summary, admin_user_zh, as_of=TODAY, extra={"dimension": "colour"})
    with pytest.raises(ValidationFailed, match="没有月末快照") as error:
        run(portfolio.loan_balance_summary, admin_user_zh, as_of=date(2026, 11, 15))
    assert error.value.extra["field"] == "as_of"


def test_summary_of_a_closed_month_reads_its_snapshot(book, admin_user_zh):
    october_snapshot(book)
    result = run(portfolio.loan_balance_summary, admin_user_zh, as_of=OCT, extra={"dimension": "branch"})
    assert (result.source, result.snapshot_month, result.differences) == ("snapshot", OCT, 0)
    # 总部: B 80,000 + G 40,000 + H 12,000; 东城: C 120,000 + D 30,000 + I 15,000
    got = {row["name"]: row["principal_outstanding"] for row in result.tables[0].rows}
    assert got == {"总部": D("132000.00"), "东城": D("165000.00")}


AGING_ROWS = {
    "M0 未逾期": (3, D("670000.00"), D("0.00")), "M1（1–30天）": (1, D("15000.00"), D("15000.00")),
    "M2（31–60天）": (1, D("80000.00"), D("80000.00")), "M3（61–90天）": (0, D("0.00"), D("0.00")),
    "M4（91–120天）": (1, D("120000.00"), D("120000.00")), "M5（121–150天）": (0, D("0.00"), D("0.00")),
    "M6（151–180天）": (0, D("0.00"), D("0.00")), "M7+（180天以上）": (1, D("30000.00"), D("30000.00")),
}


@pytest.mark.parametrize("daily", [True, False], ids=["from PortfolioDay", "from the IOUs"])
def test_aging_buckets_par_and_by_branch(book, admin_user_zh, daily):
    from ioudesk.reports.models import PortfolioDay
    from ioudesk.reports.snapshots import portfolio_day_write

    PortfolioDay.objects.all().delete()
    if daily:
        portfolio_day_write(CLOSED)
    result = run(portfolio.aging, admin_user_zh, as_of=TODAY)
    assert bool(result.notes[0].startswith("还没有日终汇总数据")) is not daily
    assert result.as_of == CLOSED
    rows = {row["bucket"]: (row["count"], row["principal_outstanding"], row["overdue_principal"]) for row in
            result.tables[0].rows}
    # bullet loans at 0 %: an overdue IOU's whole principal is overdue principal, no overdue interest
    assert rows == AGING_ROWS
    figures = {str(f.label): f.value for f in result.figures}
    # overdue B + C + D + I = 245,000 of 915,000 = 26.78 %; PAR30 B + C + D = 230,000 → 25.14 %;
    # PAR90 C + D = 150,000 → 16.39 %
    assert (figures["逾期贷款余额"], figures["逾期率"], figures["PAR30"], figures["PAR90"]) == (
        D("245000.00"), D("26.78"), D("25.14"), D("16.39"))
    branches = {row["branch"]: (row["count"], row["principal_outstanding"], row["overdue_balance"],
                                row["overdue_rate"], row["par30"], row["par90"]) for row in result.tables[1].rows}
    # 总部 A, B, E, F: 750,000, overdue B 80,000 → 10.67 %; 东城 C, D, I: 165,000 all overdue, PAR30/90
    # C + D = 150,000 → 90.91 %
    assert branches == {"总部": (4, D("750000.00"), D("80000.00"), D("10.67"), D("10.67"), D("0.00")),
                        "东城": (3, D("165000.00"), D("165000.00"), D("100.00"), D("90.91"), D("90.91"))}
    assert "dpd_min=1" in result.figures[1].link


def test_five_tier_counts_shares_and_migration(book, admin_user_zh):
    october_snapshot(book)
    result = run(portfolio.five_tier, admin_user_zh, month=date(2026, 11, 30))
    tiers = {row["tier"]: (row["count"], row["principal_outstanding"], row["share"]) for row in result.tables[0].rows}
    # 正常 A + E + F = 670,000 (73.22 %); 关注 B + I = 95,000 (10.38 %); 次级 C 120,000 (13.11 %);
    # 可疑 D 30,000 (3.28 %)
    assert tiers == {"正常": (3, D("670000.00"), D("73.22")), "关注": (2, D("95000.00"), D("10.38")),
                     "次级": (1, D("120000.00"), D("13.11")), "可疑": (1, D("30000.00"), D("3.28")),
                     "损失": (0, D("0.00"), D("0.00"))}
    figures = {str(f.label): f.value for f in result.figures}
    assert (figures["不良贷款余额"], figures["不良率"]) == (D("150000.00"), D("16.39"))  # C + D of 915,000
    matrix = {row["tier"]: row for row in result.tables[1].rows}
    # 10-31 正常 H, I → 结清 H, 关注 I
    assert (matrix["正常"]["to_normal"], matrix["正常"]["to_special_mention"], matrix["正常"]["to_settled"],
            matrix["正常"]["count"], matrix["正常"]["balance"], matrix["正常"]["worse"]) == (0, 1, 1, 2, D("27000.00"), 1)
    # 关注 B stays, C → 次级; 次级 D → 可疑; 可疑 G → 核销
    assert (matrix["关注"]["to_special_mention"], matrix["关注"]["to_substandard"], matrix["关注"]["balance"]) == (
        1, 1, D("200000.00"))
    assert (matrix["次级"]["to_doubtful"], matrix["可疑"]["to_written_off"], matrix["可疑"]["worse"]) == (1, 1, 1)
    assert result.tables[1].totals["worse"] == 4


def test_npl_trend_takes_closed_months_from_snapshots_and_this_month_live(book, admin_user_zh):
    october_snapshot(book)
    result = run(portfolio.npl_trend, admin_user_zh, months=3)
    rows = {row["month"]: (row["principal_outstanding"], row["overdue_rate"], row["npl_rate"]) for row in
            result.tables[0].rows}
    # 10-31: 297,000 (B, C, D, G, H, I); overdue B, C, D, G 270,000 → 90.91 %; 不良 D + G 70,000 → 23.57 %
    # 11 (the 11-27 close, G still live): 955,000; overdue B, C, D, G, I 285,000 → 29.84 %;
    # 不良 C + D + G 190,000 → 19.90 %
    assert rows == {"2026-09": (None, None, None), "2026-10": (D("297000.00"), D("90.91"), D("23.57")),
                    "2026-11": (D("955000.00"), D("29.84"), D("19.90"))}


def test_writeoffs_and_recoveries_by_month_and_method(book, admin_user_zh):
    result = run(portfolio.writeoffs, admin_user_zh, date_from=date(2026, 11, 1), date_to=TODAY)
    (nov,) = result.tables[0].rows
    g = book["G"]
    # G: principal 40,000 and the penalty it had run up (0 % interest) written off on 11-28; 5,000 back
    assert (nov["month"], nov["writeoff_count"], nov["writeoff_principal"], nov["recovery_count"],
            nov["recovery_amount"]) == ("2026-11", 1, D("40000.00"), 1, D("5000.00"))
    assert nov["writeoff_interest"] == g.written_off_interest > 0  # 核销利息（表外）: recoveries go to principal first
    # the ledger: 6701 贷款损失 is the whole amount written off, 6051 核销后收回收入 what came back
    assert nov["writeoff_amount"] == balance_of("6701") == D("40000.00") + nov["writeoff_interest"]
    assert balance_of("6051") == D("5000.00")
    methods = {row["method"]: (row["count"], row["principal"], row["recovered"]) for row in result.tables[1].rows}
    assert methods["核销"] == (1, D("40000.00"), D("5000.00"))
    assert methods["现金收回"] == (0, D("0.00"), D("0.00"))
    figures = {str(f.label): f.value for f in result.figures}
    assert figures["核销后收回"] == D("5000.00")


def test_provisions_required_per_tier_and_booked(book, admin_user_zh, finance):
    result = run(provisions.provisions, admin_user_zh, as_of=TODAY)
    rows = {row["tier"]: (row["balance"], row["rate"], row["required"]) for row in result.tables[0].rows}
    # the 11-27 close, loans only (F, a 欠条, left out): 正常 A + E 650,000 × 0; 关注 B + I 95,000 × 2 % = 1,900;
    # 次级 C 120,000 × 25 % = 30,000; 可疑 D + G 70,000 × 50 % = 35,000; specific 66,900
    assert rows == {"正常": (D("650000.00"), D("0"), D("0.00")), "关注": (D("95000.00"), D("2"), D("1900.00")),
                    "次级": (D("120000.00"), D("25"), D("30000.00")), "可疑": (D("70000.00"), D("50"), D("35000.00")),
                    "损失": (D("0.00"), D("100"), D("0.00"))}
    assert result.tables[0].totals["balance"] == balance_of("1301", CLOSED) == D("935000.00")
    summary = [row["amount"] for row in result.tables[1].rows]
    # general 935,000 × 1 % = 9,350; total 66,900 + 9,350 = 76,250
    assert summary[:3] == [D("66900.00"), D("9350.00"), D("76250.00")]
    # the rates come from the settings
    ReportSettings.objects.create(rate_substandard=D("30"), general_reserve_rate=D("1.5"))
    result = run(provisions.provisions, admin_user_zh, as_of=TODAY)
    # 次级 120,000 × 30 % = 36,000; specific 72,900; general 935,000 × 1.5 % = 14,025; total 86,925
    assert [row["amount"] for row in result.tables[1].rows][:3] == [D("72900.00"), D("14025.00"), D("86925.00")]


def test_provision_booking_posts_the_difference(book, admin_user_zh):
    with clock.frozen(TODAY):
        entry = provisions.provision_book(date(2026, 11, 30), admin_user_zh)
        assert entry.day == TODAY  # the month end is after the business date: booked today
        assert provisions.booked_balance(TODAY) == D("76250.00")  # required at the 11-27 close
        assert provisions.provision_book(date(2026, 11, 30), admin_user_zh) is None  # nothing left to book
        result = provisions.provisions(ReportParams(as_of=TODAY), admin_user_zh)
    figures = {str(f.label): f.value for f in result.figures}
    assert (figures["应计提准备"], figures["已计提准备"], figures["拨备覆盖（已计提 ÷ 应计提）"]) == (
        D("76250.00"), D("76250.00"), D("100.00"))
    assert balance_of("6711") == D("76250.00")
    assert balance_of("1310") == D("76250.00")  # its normal side is credit: the balance reads positive
    assert entry.kind == "provision"
    # less required: 次级 at 20 % instead of 25 % (the guideline's −20 % float): 120,000 × 5 % = 6,000 冲回
    ReportSettings.objects.create(rate_substandard=D("20"))
    with clock.frozen(TODAY):
        back = provisions.provision_book(date(2026, 11, 30), admin_user_zh)
    assert back.postings.get(account__code="1310").debit == D("6000.00")
    assert back.postings.get(account__code="6711").credit == D("6000.00")
    assert provisions.booked_balance(TODAY) == D("70250.00")  # 76,250 − 6,000
    assert balance_of("6711") == D("70250.00")


def test_booking_is_refused_to_a_branch_user_and_without_the_accounts(book, make_staff, admin_user_zh):
    from ioudesk.core.errors import PermissionDenied
    from ioudesk.ledger.models import Account

    clerk = make_staff("zhouli", role="财务", branch=book["branch"])
    with clock.frozen(TODAY), pytest.raises(PermissionDenied):
        provisions.provision_book(date(2026, 11, 30), clerk)
    Account.objects.filter(code__in=["1310", "6711"]).delete()  # an older chart, before 0007
    with clock.frozen(TODAY), pytest.raises(ValidationFailed, match="1310、6711"):
        provisions.provision_book(date(2026, 11, 30), admin_user_zh)


def test_interest_income_is_the_ledger(book, admin_user_zh):
    result = run(income.interest_income, admin_user_zh, date_from=date(2026, 1, 1), date_to=TODAY)
    totals = result.tables[0].totals
    # H: 12,000 × 12 % × 30 / 360 = 120.00 fell due on 11-01 and was paid that day; E's first interest
    # falls due 12-01; every other IOU is at 0 %
    assert (totals["interest_accrued"], totals["interest_received"]) == (D("120.00"), D("120.00"))
    assert totals["interest_accrued"] == balance_of("6011")
    # penalty (the overdue IOUs' default penalty rule) as the ledger has it, less G's written off
    assert totals["penalty_accrued"] == balance_of("6012")
    assert totals["penalty_received"] == D("0.00")  # no overdue IOU paid anything
    assert [row["month"] for row in result.tables[0].rows] == ["2026-11"]
    east = run(income.interest_income, admin_user_zh, date_from=date(2026, 1, 1), date_to=TODAY,
               branch_id=book["branch"].pk)
    assert east.tables[0].totals["interest_accrued"] == D("0.00")


def test_customer_analysis_and_concentration(book, admin_user_zh):
    ReportSettings.objects.create(net_assets=D("5000000.00"))
    result = run(income.customer_analysis, admin_user_zh)
    rows = {row["customer"]: (row["ious"], row["live"], row["principal"], row["balance"], row["max_dpd"],
                              row["written_off"]) for row in result.tables[0].rows}
    # 王建国 A, B, H (H settled): principal 142,000, balance 130,000; 李娜 C, D, I; 华兴 E, F; 孙强 G written off
    assert rows == {"华兴公司": (2, 2, D("620000.00"), D("620000.00"), 0, 0),
                    "李娜": (3, 3, D("165000.00"), D("165000.00"), 280, 0),
                    "王建国": (3, 2, D("142000.00"), D("130000.00"), 40, 0),
                    "孙强": (1, 0, D("40000.00"), D("0.00"), 0, 1)}
    assert [row["customer"] for row in result.tables[0].rows] == ["华兴公司", "李娜", "王建国", "孙强"]
    top = [(row["customer"], row["share"], row["concentration"], row["over"]) for row in result.tables[1].rows]
    # of 915,000: 620,000 → 67.76 %, 165,000 → 18.03 %, 130,000 → 14.21 %; of net assets 5,000,000:
    # 12.40 % (over the 10 % limit), 3.30 %, 2.60 %
    assert top == [("华兴公司", D("67.76"), D("12.40"), "是"), ("李娜", D("18.03"), D("3.30"), "否"),
                   ("王建国", D("14.21"), D("2.60"), "否")]
    figures = {str(f.label): f.value for f in result.figures}
    assert (figures["客户数"], figures["最大单户集中度"], figures["超过单户上限的客户"]) == (4, D("12.40"), 1)


def test_every_b_report_is_registered(organisation):
    from ioudesk.reports.registry import report_get

    codes = ("loan-balance-detail", "loan-balance-summary", "aging", "five-tier", "npl-trend", "writeoffs",
             "provisions", "interest-income", "customer-analysis")
    assert all(report_get(code) is not None for code in codes)
    assert report_get("loan-balance-detail").paginated



def test_five_tier_of_a_month_without_snapshot_shows_todays_figures_and_says_so(book, admin_user_zh):
    result = run(portfolio.five_tier, admin_user_zh, month=OCT)
    assert result.source == "live"
    assert result.notes[0] == "2026-10 没有月末快照，以下为营业日 2026-11-28 的当前数。"
    assert result.tables[0].totals["principal_outstanding"] == D("915000.00")


def test_npl_trend_reads_a_snapshots_totals_for_the_whole_book(book, admin_user_zh):
    october_snapshot(book)
    # the totals A's month_end_take writes (strings of yuan); the whole book reads them, a branch the rows
    MonthSnapshot.objects.filter(month_end=OCT).update(totals={
        "count": 6, "principal_outstanding": "297000.00", "overdue_balance": "270000.00", "npl_balance": "70000.00"})
    whole = run(portfolio.npl_trend, admin_user_zh, months=2)
    assert [(r["month"], r["overdue_rate"], r["npl_rate"]) for r in whole.tables[0].rows] == [
        ("2026-10", D("90.91"), D("23.57")), ("2026-11", D("29.84"), D("19.90"))]  # November: the 11-27 close
    east = run(portfolio.npl_trend, admin_user_zh, months=2, branch_id=book["branch"].pk)
    # 东城 at 10-31: C 120,000 (73 days), D 30,000 (次级), I 15,000: overdue 150,000 of 165,000 → 90.91 %;
    # 不良 D 30,000 → 18.18 %
    assert [(r["month"], r["principal_outstanding"], r["npl_rate"]) for r in east.tables[0].rows] == [
        ("2026-10", D("165000.00"), D("18.18")), ("2026-11", D("165000.00"), D("90.91"))]


def test_detail_of_a_closed_month_lists_the_snapshot_rows(book, admin_user_zh):
    october_snapshot(book)
    result = run(portfolio.loan_balance_detail, admin_user_zh, as_of=OCT)
    assert (result.source, result.rows_total) == ("snapshot", 6)  # B, C, D, G, H, I as they stood on 10-31
    assert result.tables[0].totals["principal_outstanding"] == D("297000.00")
    row_g = next(row for row in result.tables[0].rows if row["number"] == book["G"].number)
    assert (row_g["days_past_due"], row_g["bucket"], row_g["classification"]) == (273, "M7+", "可疑")


def test_income_kept_back_at_disbursement_counts_as_received(debtor, manager, approver, finance, admin_user_zh):
    # ¥10,000 for one month at 0 % with an upfront fee of ¥200 kept back: 6021 +200 at once, no 1304
    lend(debtor, manager, approver, finance, principal="10000", on=date(2026, 11, 2), due=date(2026, 12, 2),
         upfront_fee=D("200.00"))
    result = run(income.interest_income, admin_user_zh, date_from=date(2026, 11, 1), date_to=TODAY)
    totals = result.tables[0].totals
    assert (totals["fee_accrued"], totals["fee_received"]) == (D("200.00"), D("200.00"))
    assert totals["fee_accrued"] == balance_of("6021")
