"""C: 客户欠款分析, 账龄分析 and 回款趋势 over a small 往来 book (business date 2026-11-28), bills, a credit
note, receipts and matches written with their ledger entries by the receivables tests' book (d_book):

| bill | customer | date | total | open items | after |
|---|---|---|---|---|---|
| 1 | 浦江建材 (普通) | 09-10 | 11,300 (10,000 + VAT 1,300) | 10-10: 11,300 | 10-20 receipt 5,000 matched → 6,300 open, 49 days past due |
| 2 | 浦江建材 | 11-01 | 5,650 | 12-01: 5,650 | not yet due |
| 3 | 东方贸易 (重要) | 07-15 | 20,000 | 08-14: 10,000; 09-13: 10,000 | credit note 10-05 1,000 off 09-13 (9,000, 76 days); 11-15 receipt 8,000, 6,000 matched to 08-14 (4,000, 106 days), 2,000 unmatched |

Open: 浦江建材 6,300 + 5,650 = 11,950 (overdue 6,300, short); 东方贸易 4,000 + 9,000 = 13,000 (overdue, 9,000 short
and 4,000 long at 90 days). In all 24,950, overdue 19,300 (77.35 %).
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.receivables.models import BillDue
from ioudesk.receivables.tests import d_book
from ioudesk.reports import receivables_reports
from ioudesk.reports.params import ReportParams

TODAY = date(2026, 11, 28)


@pytest.fixture
def book(organisation, head_office, finance):
    with clock.frozen(TODAY):
        pj = d_book.company("上海浦江建材有限公司", "91310115MA1K3XY82", branch=head_office, user=finance)
        df = d_book.company("东方贸易有限公司", "91310000MA1FL4TQ1", branch=head_office, user=finance,
                            category="important")
        b1 = d_book.bill(pj, date(2026, 9, 10), "10000.00", "1300.00", [(date(2026, 10, 10), "11300.00")])
        d_book.bill(pj, date(2026, 11, 1), "5000.00", "650.00", [(date(2026, 12, 1), "5650.00")])
        b3 = d_book.bill(df, date(2026, 7, 15), "20000.00", "0.00",
                         [(date(2026, 8, 14), "10000.00"), (date(2026, 9, 13), "10000.00")])
        d_book.credit_note(b3, date(2026, 10, 5), "1000.00", "0.00")
        r1 = d_book.receipt(pj, date(2026, 10, 20), "5000.00")
        d_book.match(r1, BillDue.objects.get(bill=b1), "5000.00", date(2026, 10, 20))
        r2 = d_book.receipt(df, date(2026, 11, 15), "8000.00")
        d_book.match(r2, BillDue.objects.get(bill=b3, seq=1), "6000.00", date(2026, 11, 15))
    return {"pj": pj, "df": df}


def run(fn, user, **kwargs):
    with clock.frozen(TODAY):
        return fn(ReportParams(**kwargs), user)


def test_customer_debt(book, finance):
    result = run(receivables_reports.debt, finance)
    rows = result.tables[0].rows
    assert [r["name"] for r in rows] == ["东方贸易有限公司", "上海浦江建材有限公司"]  # largest first
    df, pj = rows
    assert (df["total"], df["overdue"], df["short"], df["long"], df["items"], df["category"]) == (
        D("13000.00"), D("13000.00"), D("9000.00"), D("4000.00"), 2, "重要客户")
    assert (pj["total"], pj["overdue"], pj["short"], pj["long"], pj["overdue_share"]) == (
        D("11950.00"), D("6300.00"), D("6300.00"), D("0.00"), D("52.72"))  # 6,300 ÷ 11,950 = 52.72 %
    assert f"customer={book['pj'].pk}" in pj["_links"]["total"]
    totals = result.tables[0].totals
    assert (totals["total"], totals["overdue"], totals["short"], totals["long"], totals["overdue_share"]) == (
        D("24950.00"), D("19300.00"), D("15300.00"), D("4000.00"), D("77.35"))
    term = {r["name"]: r["amount"] for r in result.tables[2].rows}
    assert term == {"未到期": D("5650.00"), "短期逾期": D("15300.00"), "长期逾期": D("4000.00")}
    category = {r["name"]: (r["amount"], r["share"]) for r in result.tables[3].rows}
    # 11,950 ÷ 24,950 = 47.90 %; 13,000 ÷ 24,950 = 52.10 %
    assert category["重要客户"] == (D("13000.00"), D("52.10"))
    assert category["普通客户"] == (D("11950.00"), D("47.90"))
    nature = {r["name"]: r["amount"] for r in result.tables[1].rows}
    assert nature["货款"] == D("24950.00")
    important = run(receivables_reports.debt, finance, category="important")
    assert important.tables[0].totals["total"] == D("13000.00")


def test_aging_and_dso(book, finance):
    result = run(receivables_reports.aging, finance)
    buckets = {r["bucket"]: r["amount"] for r in result.tables[0].rows}
    assert buckets == {"未到期": D("5650.00"), "1–30天": D("0.00"), "31–60天": D("6300.00"), "61–90天": D("9000.00"),
                       "91–180天": D("4000.00"), "181–365天": D("0.00"), "365天以上": D("0.00")}
    assert result.tables[0].totals["amount"] == D("24950.00")
    figures = {str(f.label): f.value for f in result.figures}
    # DSO over 90 days (08-31 … 11-28): sales 11,300 + 5,650 − the credit note 1,000 = 15,950;
    # 24,950 ÷ 15,950 × 90 = 140.78 → 140.8 days
    assert figures["应收账款周转天数"] == D("140.8")
    assert figures["逾期占比"] == D("77.35")
    per_customer = {r["name"]: r for r in result.tables[1].rows}
    assert (per_customer["东方贸易有限公司"]["d61_90"], per_customer["东方贸易有限公司"]["d91_180"]) == (
        D("9000.00"), D("4000.00"))


def test_collection_trend(book, finance):
    result = run(receivables_reports.trend, finance, months=5)
    months = {r["month"]: r for r in result.tables[0].rows}
    assert list(months) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert months["2026-07"]["billed"] == D("20000.00")
    assert (months["2026-10"]["credited"], months["2026-10"]["received"], months["2026-10"]["matched"],
            months["2026-10"]["collection_rate"]) == (D("1000.00"), D("5000.00"), D("5000.00"), None)
    # November: billed 5,650; received 8,000, of which 6,000 matched and 2,000 not yet: 6,000 ÷ 5,650 = 106.19 %
    nov = months["2026-11"]
    assert (nov["billed"], nov["receipts"], nov["received"], nov["matched"], nov["unmatched"],
            nov["collection_rate"]) == (D("5650.00"), 1, D("8000.00"), D("6000.00"), D("2000.00"), D("106.19"))
    totals = result.tables[0].totals
    # billed 20,000 + 11,300 + 5,650 = 36,950, less 1,000 = 35,950; matched 11,000 ÷ 35,950 = 30.60 %
    assert (totals["billed"], totals["net_billed"], totals["received"], totals["matched"],
            totals["collection_rate"]) == (D("36950.00"), D("35950.00"), D("13000.00"), D("11000.00"), D("30.60"))


def test_registered():
    from ioudesk.reports.registry import report_get

    for code in ("receivables-debt", "receivables-aging", "receivables-trend"):
        assert report_get(code).group == "receivables"
