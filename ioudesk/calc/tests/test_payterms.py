"""Payment terms → due dates, worked examples (docs/domain.md §26), and VAT line amounts."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.calc.errors import CalcError, InvalidRate
from ioudesk.calc.payterms import TermsSpec, describe, due_dates, month_end
from ioudesk.calc.vat import line_amounts, split_gross


def dues(spec, bill_date, total="1000.00", delivery=None):
    return [(d.seq, d.due_date.isoformat(), str(d.amount))
            for d in due_dates(spec, bill_date=bill_date, delivery_date=delivery, total=D(total))]


def test_cash_on_delivery():
    # due on delivery; without a delivery date on the bill date
    assert dues(TermsSpec("cod"), date(2026, 3, 2), delivery=date(2026, 3, 5)) == [(1, "2026-03-05", "1000.00")]
    assert dues(TermsSpec("cod"), date(2026, 3, 2)) == [(1, "2026-03-02", "1000.00")]


def test_net_days():
    # 票到30天: 2026-01-31 + 30 days = 2026-03-02 (February has 28 days)
    assert dues(TermsSpec("net_days", 30), date(2026, 1, 31)) == [(1, "2026-03-02", "1000.00")]
    assert dues(TermsSpec("net_days", 0), date(2026, 1, 31)) == [(1, "2026-01-31", "1000.00")]


def test_month_end_net():
    # 月结30天: end of the bill's month + 30 days; 月结60天 from a bill of 2026-11-05: 11-30 + 60 = 2027-01-29
    assert dues(TermsSpec("month_end_net", 30), date(2026, 1, 1)) == [(1, "2026-03-02", "1000.00")]
    assert dues(TermsSpec("month_end_net", 30), date(2024, 1, 20)) == [(1, "2024-03-01", "1000.00")]  # leap year
    assert dues(TermsSpec("month_end_net", 60), date(2026, 11, 5)) == [(1, "2027-01-29", "1000.00")]
    assert dues(TermsSpec("month_end_net", 0), date(2026, 2, 3)) == [(1, "2026-02-28", "1000.00")]


def test_next_month_end():
    # 次月底: the last day of the month after the bill's: from 31 January → 28 February, from 30 December → 31 January
    assert dues(TermsSpec("next_month_end"), date(2026, 1, 31)) == [(1, "2026-02-28", "1000.00")]
    assert dues(TermsSpec("next_month_end"), date(2024, 1, 1)) == [(1, "2024-02-29", "1000.00")]
    assert dues(TermsSpec("next_month_end"), date(2026, 12, 30)) == [(1, "2027-01-31", "1000.00")]
    assert month_end(date(2026, 4, 1)) == date(2026, 4, 30)


def test_instalments_sum_exactly_last_takes_remainder():
    # 1,000.01 at 30/70: 300.00 (300.003 rounded half-up) and 700.01
    spec = TermsSpec("instalments", plan=({"days": 30, "percent": "30"}, {"days": 60, "percent": "70"}))
    assert dues(spec, date(2026, 11, 1), "1000.01") == [(1, "2026-12-01", "300.00"), (2, "2026-12-31", "700.01")]
    # thirds of 100.00: 33.33 + 33.33 + 33.34
    thirds = TermsSpec("instalments", plan=tuple({"days": d, "percent": "33.3333333333"} for d in (30, 60)) +
                       ({"days": 90, "percent": "33.3333333334"},))
    assert [a for _s, _d, a in dues(thirds, date(2026, 1, 1), "100.00")] == ["33.33", "33.33", "33.34"]


def test_instalments_by_months_month_end_rule():
    # from 31 January, months are counted from the bill date each time: 28 Feb, 31 Mar, 30 Apr (never drifting to the 28th)
    spec = TermsSpec("instalments", plan=tuple({"months": m, "percent": p} for m, p in ((1, "25"), (2, "25"), (3, "50"))))
    assert dues(spec, date(2026, 1, 31), "400.00") == [(1, "2026-02-28", "100.00"), (2, "2026-03-31", "100.00"),
                                                        (3, "2026-04-30", "200.00")]


def test_holidays_shift_only_when_the_terms_say_so():
    # 票到30天 from 2026-09-01: 2026-10-01 is 国庆节 (1–7 October 2026 off, chinesecalendar): shifted to Thursday 10-08
    plain = TermsSpec("net_days", 30)
    shifted = TermsSpec("net_days", 30, shift_holidays=True)
    assert dues(plain, date(2026, 9, 1)) == [(1, "2026-10-01", "1000.00")]
    assert dues(shifted, date(2026, 9, 1)) == [(1, "2026-10-08", "1000.00")]
    # 2026-11-01 + 27 days = Saturday 2026-11-28: moves to Monday 2026-11-30
    assert dues(TermsSpec("net_days", 27, shift_holidays=True), date(2026, 11, 1)) == [(1, "2026-11-30", "1000.00")]
    # with an injected calendar: every day before the 5th is a holiday
    items = due_dates(shifted, bill_date=date(2026, 1, 1), total=D("1"), is_working=lambda d: d.day >= 5 or d.month != 1)
    assert items[0].due_date == date(2026, 1, 31)


def test_bad_terms_refused_with_reason():
    with pytest.raises(CalcError, match="合计应为100%"):
        due_dates(TermsSpec("instalments", plan=({"days": 30, "percent": "30"}, {"days": 60, "percent": "60"})),
                  bill_date=date(2026, 1, 1), total=D("1"))
    with pytest.raises(CalcError, match="必须晚于上一期"):
        due_dates(TermsSpec("instalments", plan=({"days": 60, "percent": "50"}, {"days": 30, "percent": "50"})),
                  bill_date=date(2026, 1, 1), total=D("1"))
    with pytest.raises(CalcError, match="未知的付款条件类型"):
        due_dates(TermsSpec("weekly"), bill_date=date(2026, 1, 1), total=D("1"))
    with pytest.raises(CalcError, match="最多两位小数"):
        due_dates(TermsSpec("cod"), bill_date=date(2026, 1, 1), total=D("1.001"))


def test_describe():
    assert describe(TermsSpec("net_days", 30)) == "票到30天"
    assert describe(TermsSpec("next_month_end")) == "次月底付款"
    assert describe(TermsSpec("instalments", plan=({"months": 1, "percent": "50"}, {"months": 2, "percent": "50"}),
                              shift_holidays=True)) == "分期：1个月付50%，2个月付50%（遇节假日顺延）"


def test_vat_line_amounts():
    # 金额 = 数量 × 单价 rounded once; 税额 = 金额 × 税率 rounded once
    assert line_amounts("2.5", "19.99", "13") == (D("49.98"), D("6.50"), D("56.48"))  # 49.975 → 49.98; 6.4974 → 6.50
    assert line_amounts(D("1"), D("1000"), D("0")) == (D("1000.00"), D("0.00"), D("1000.00"))
    assert line_amounts("3", "0.015", "6") == (D("0.05"), D("0.00"), D("0.05"))  # 0.045 → 0.05, tax 0.003 → 0.00
    assert split_gross(D("1130.00"), "13") == (D("1000.00"), D("130.00"))
    with pytest.raises(InvalidRate):
        line_amounts("1", "1", "130")
    with pytest.raises(CalcError):
        line_amounts(1.0, "1", "13")
