"""A: the close's day step `reports` over a hand-built portfolio, through a month end.

The portfolio (all at the head office, officer 张伟, no product), each made through the real
services (create, submit, approve, disburse) and the close run day by day from 2026-02-14:

- A: ¥10,000 at 12 % for 12 months (equal installments of ¥888.49), lent 2026-01-15, no guarantor
  (信用). Installment 1 (due 2026-02-15: interest 100.00 + principal 788.49) paid on its day.
  Principal outstanding after: 10,000.00 − 788.49 = 9,211.51.
- B: ¥5,000 at 12 % for 6 months, lent 2026-01-15. Installment = 5,000 × 0.01 / (1 − 1.01⁻⁶) = 862.74:
  interest 5,000 × 1 % = 50.00, principal 812.74, due 2026-02-15, never paid: overdue from
  2026-02-16; on 2026-02-28 13 days past due (M1, 关注).
- C: ¥20,000 at 12 % for 12 months, lent 2026-02-20, guarantor 李四 named (保证), nothing due yet.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from ioudesk.closing import services as closing
from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.reports import snapshots
from ioudesk.reports.daystep import reports_day_step
from ioudesk.reports.models import DayMark, FlowDay, MonthEndAccount, MonthEndIou, MonthSnapshot, PortfolioDay


def lend(debtor, manager, approver, finance, *, principal, term, on, guarantor=""):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(principal), term=term, rate_text="12%",
                                    method="equal_installment", contract_date=on, guarantor=guarantor), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return Iou.objects.get(pk=iou.pk)


def close_through(first: date, last: date, before=None):
    day = first
    while day <= last:
        with clock.frozen(day):
            if before:
                before(day)
            closing.close_execute(through=day, origin="command")
        day += timedelta(days=1)


@pytest.fixture
def portfolio(debtor, manager, approver, finance):
    a = lend(debtor, manager, approver, finance, principal="10000", term=12, on=date(2026, 1, 15))
    b = lend(debtor, manager, approver, finance, principal="5000", term=6, on=date(2026, 1, 15))
    made = {"a": a, "b": b}

    def before(day):
        if day == date(2026, 2, 15):
            iou_repay(iou=a, amount=D("888.49"), user=finance, day=day, reference="HK0215")
        if day == date(2026, 2, 20):
            made["c"] = lend(debtor, manager, approver, finance, principal="20000", term=12, on=day,
                             guarantor="李四")

    close_through(date(2026, 2, 14), date(2026, 3, 1), before)
    return made


FEB = date(2026, 2, 28)


def figures(row):
    return (row.kind, row.guarantee, row.classification, row.bucket, row.count, row.principal,
            row.principal_outstanding, row.interest_outstanding, row.penalty_outstanding, row.overdue_principal,
            row.overdue_interest)


def test_the_close_writes_the_day_figures_and_freezes_the_month_end(portfolio):
    # PortfolioDay of 2026-02-28, one row per (guarantee, class, bucket) here:
    rows = sorted((figures(r) for r in PortfolioDay.objects.filter(day=FEB)), key=lambda f: f[5])
    # B's penalty: 18 % a year (12 % + 50 %), ACT/360, on the overdue principal 812.74:
    # 02-15 → 02-16: 812.74 × 0.18 × 1 / 360 = 0.406 → 0.41 (posted 02-16, the class changed to 关注);
    # 02-16 → 02-28: 812.74 × 0.18 × 12 / 360 = 4.876 → 4.88 (posted at the month end); 0.41 + 4.88 = 5.29.
    assert rows == [
        ("loan", "credit", "special_mention", "M1", 1, D("5000.00"), D("5000.00"), D("50.00"), D("5.29"),
         D("812.74"), D("50.00")),
        ("loan", "credit", "normal", "M0", 1, D("10000.00"), D("9211.51"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        ("loan", "guarantee", "normal", "M0", 1, D("20000.00"), D("20000.00"), D("0"), D("0"), D("0"), D("0")),
    ]
    # FlowDay: the two loans lent on 01-15 (15,000.00, written by the first run, which reads every
    # earlier day), A's repayment on 02-15, C lent on 02-20, B's penalty postings.
    flows = list(FlowDay.objects.order_by("day", "kind").values_list("day", "kind", "count", "amount", "principal",
                                                                      "interest", "penalty"))
    assert flows == [
        (date(2026, 1, 15), "disbursement", 2, D("15000.00"), D("15000.00"), D("0"), D("0")),
        (date(2026, 2, 15), "repayment", 1, D("888.49"), D("788.49"), D("100.00"), D("0")),
        (date(2026, 2, 16), "penalty", 1, D("0.41"), D("0"), D("0"), D("0.41")),
        (date(2026, 2, 20), "disbursement", 1, D("20000.00"), D("20000.00"), D("0"), D("0")),
        (date(2026, 2, 28), "penalty", 1, D("4.88"), D("0"), D("0"), D("4.88")),
    ]
    # The month end: one snapshot, taken by the close of 2026-02-28 (not again on 03-01).
    snapshot = MonthSnapshot.objects.get()
    assert snapshot.month_end == FEB and snapshot.close_run.day == FEB
    totals = snapshot.totals
    # 9,211.51 + 5,000.00 + 20,000.00 = 34,211.51; overdue balance: B's whole principal (13 days past
    # due); NPL (次级 and worse): none.
    assert (totals["count"], totals["principal"], totals["principal_outstanding"], totals["interest_outstanding"],
            totals["penalty_outstanding"], totals["overdue_principal"], totals["overdue_interest"],
            totals["overdue_balance"], totals["npl_balance"]) == (
        3, "35000.00", "34211.51", "50.00", "5.29", "812.74", "50.00", "5000.00", "0.00")
    b = MonthEndIou.objects.get(month_end=FEB, iou=portfolio["b"])
    assert (b.status, b.days_past_due, b.bucket, b.classification, b.overdue_principal, b.guarantee, b.purpose) == (
        "overdue", 13, "M1", "special_mention", D("812.74"), "credit", "other")
    assert MonthEndIou.objects.get(month_end=FEB, iou=portfolio["c"]).guarantee == "guarantee"
    # The accounts agree with the trial balance at the month end (and 1301 with the IOUs' principal).
    from ioudesk.ledger.selectors import trial_balance

    balance = {row.account.code: (row.debit, row.credit) for row in trial_balance(day=FEB).on_balance.rows
               if not row.is_summary}
    frozen = {a.account.code: (a.debit, a.credit) for a in MonthEndAccount.objects.filter(month_end=FEB)
              .select_related("account")}
    assert frozen == {code: value for code, value in balance.items() if value != (D("0"), D("0"))}
    assert frozen["1301"][0] - frozen["1301"][1] == D("34211.51")


def test_a_back_dated_repayment_is_a_difference_and_the_snapshot_stays(portfolio, finance):
    before = list(MonthEndIou.objects.order_by("pk").values())
    b = portfolio["b"]
    with clock.frozen(date(2026, 3, 2)):
        payment = iou_repay(iou=Iou.objects.get(pk=b.pk), amount=D("500.00"), user=finance, day=date(2026, 2, 27),
                            reference="HK0227")
    close_through(date(2026, 3, 2), date(2026, 3, 2))
    from ioudesk.reports.models import SnapshotDifference

    difference = SnapshotDifference.objects.get()
    # B's principal at 02-28: 5,000.00 in the snapshot, 5,000.00 − the repayment's principal part now.
    assert (difference.month_end, difference.iou_id, difference.transaction_id, difference.measure) == (
        FEB, b.pk, payment.pk, "principal_outstanding")
    assert difference.snapshot_value == D("5000.00")
    assert difference.current_value == D("5000.00") - payment.principal
    assert list(MonthEndIou.objects.order_by("pk").values()) == before  # untouched
    # The repayment's day (02-27) got its FlowDay row from the next run (a day touched since).
    assert FlowDay.objects.filter(day=date(2026, 2, 27), kind="repayment").values_list("amount", flat=True).get() \
        == D("500.00")
    # Found once: another search adds nothing.
    assert snapshots.differences_find() == 0
    assert snapshots.differences_count(finance, FEB) == 1


def test_the_day_step_is_idempotent(portfolio):
    def state():
        return (sorted(PortfolioDay.objects.values_list("day", "classification", "bucket", "count",
                                                        "principal_outstanding", "overdue_principal")),
                sorted(FlowDay.objects.values_list("day", "kind", "count", "amount")),
                list(MonthEndIou.objects.order_by("pk").values()), list(MonthSnapshot.objects.values()))

    first = state()
    with clock.frozen(date(2026, 3, 1)):
        counts = reports_day_step(day=date(2026, 3, 1))
        again = reports_day_step(day=FEB)  # an older day: the snapshot is not retaken, no rows rewritten
    assert state() == first
    assert counts["differences"] == 0 and "snapshot_ious" not in counts
    assert again["snapshot_ious"] == 0 and "portfolio_rows" not in again
    assert snapshots.month_end_take(FEB).pk == first[3][0]["id"]
    assert snapshots.latest_portfolio_day() == date(2026, 3, 1)
    assert DayMark.objects.count() == 16  # 2026-02-14 … 2026-03-01
