"""C: 还款 and 回收 over one hand-built book (business date 2026-11-28), loans made and repaid through
the real services, FlowDay written by A's flows_day_write for every day with a transaction.

Rates 0 % so every installment is principal only:

| IOU | principal | schedule | what happened |
|---|---|---|---|
| L1 | 12,000 | 3 monthly of 4,000 due 09-15, 10-15, 11-15 | 09-15 paid 4,000 (on time); 10-20 paid 4,000 (late); 11-15 unpaid |
| L2 | 6,000 | 2 monthly of 3,000 due 10-10, 11-10 | 10-10 paid 3,000 (on time); 11-05 settled early: 3,000 |
| L3 | 10,000 | bullet due 12-20 | 11-20 repaid 500, reversed 11-21 (net 0) |

Scheduled in 2026-09-01 … 2026-11-28 (current schedules): September L1#1 4,000; October L1#2 4,000 +
L2#1 3,000 = 7,000; November L1#3 4,000 + L2's settlement installment (due 11-05) 3,000 = 7,000 (L2's
original 11-10 installment was replaced by the settlement schedule). 18,000 in all, 5 installments
fell due, 3 paid on or before their due date (L1#1, L2#1, the settlement), 1 late (L1#2), 1 unpaid
(L1#3): on-time rate 3 ÷ 5 = 60.00 %. Collected 4,000 + 7,000 + 3,000 (+500 −500) = 14,000:
14,000 ÷ 18,000 = 77.78 %.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from ioudesk.closing import services as closing
from ioudesk.collections.models import Case, Recovery
from ioudesk.core import clock
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.corrections import transaction_reverse
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_settle_early
from ioudesk.recovery.models import RecoveryPlan
from ioudesk.recovery.services import plan_save
from ioudesk.reports import servicing
from ioudesk.reports.models import MonthEndIou
from ioudesk.reports.params import ReportParams
from ioudesk.reports.snapshots import flows_day_write

TODAY = date(2026, 11, 28)


def lend(who, manager, approver, finance, *, principal, on, term=1, method="bullet", due=None):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=who, principal=D(principal), term=term, rate_text="年化0%",
                                    method=method, contract_date=on, due_date=due), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return Iou.objects.get(pk=iou.pk)


def close_to(day):
    """Close every day before `day` (the business date becomes `day`)."""
    with clock.frozen(day):
        closing.close_execute(through=day - timedelta(days=1), origin="command")


def repay(iou, amount, on, finance, reference):
    with clock.frozen(on):
        return iou_repay(iou=Iou.objects.get(pk=iou.pk), amount=D(amount), user=finance, reference=reference)


@pytest.fixture
def book(organisation, head_office, make_staff, manager, approver, finance, debtor):
    args = (manager, approver, finance)
    # in date order, the close run up to the day before each event (it books each installment's interest
    # when it falls due, which an installment needs to count as paid off; 0 % here, so no amounts)
    l1 = lend(debtor, *args, principal="12000", on=date(2026, 8, 15), term=3, method="equal_principal")
    l2 = lend(debtor, *args, principal="6000", on=date(2026, 9, 10), term=2, method="equal_principal")
    close_to(date(2026, 9, 15))
    repay(l1, "4000", date(2026, 9, 15), finance, "HK0915")
    close_to(date(2026, 10, 10))
    repay(l2, "3000", date(2026, 10, 10), finance, "HK1010")
    close_to(date(2026, 10, 20))
    late = repay(l1, "4001.66", date(2026, 10, 20), finance, "HK1020")
    close_to(date(2026, 11, 1))
    l3 = lend(debtor, *args, principal="10000", on=date(2026, 11, 1), due=date(2026, 12, 20))
    close_to(date(2026, 11, 5))
    with clock.frozen(date(2026, 11, 5)):
        iou_settle_early(iou=Iou.objects.get(pk=l2.pk), amount=D("3000"), user=finance, reference="JQ1105")
    close_to(date(2026, 11, 20))
    wrong = repay(l3, "500", date(2026, 11, 20), finance, "HK1120")
    close_to(date(2026, 11, 21))
    with clock.frozen(date(2026, 11, 21)):
        transaction_reverse(record=Transaction.objects.get(pk=wrong.pk), reason="错记借据", user=finance)
    close_to(TODAY)
    for day in sorted(set(Transaction.objects.values_list("day", flat=True))):
        flows_day_write(day)

    # collections: the close opened a case for L1 once overdue (10-16) and recorded its late repayment of
    # 10-20 as the case's recovery; where it did not (no strategy), recorded here the same way
    zhao = make_staff("zhaolei_c", role="催收员")
    case = Case.objects.filter(iou=l1).first() or Case.objects.create(
        number="CS20261016-0001", iou=l1, customer=l1.customer, branch=head_office, opened_on=date(2026, 10, 16),
        bucket="M1", days_past_due=1, arrears=D("4000"), owner=zhao)
    if not Recovery.objects.filter(transaction_id=late.pk).exists():
        Recovery.objects.create(case=case, iou=l1, transaction=Transaction.objects.get(pk=late.pk),
                                branch=head_office, day=date(2026, 10, 20), amount=D("4001.66"), owner=case.owner,
                                bucket="M1")
    admin = make_staff("plan_admin", role="催收主管")
    with clock.frozen(TODAY):
        plan_save(plan=RecoveryPlan(name="四季度回收", scope="portfolio", branch=head_office,
                                    period_start=date(2026, 10, 1), deadline=date(2026, 11, 30), target=D("10000")),
                  user=admin)
    return {"l1": l1, "l2": l2, "l3": l3, "args": args}


def run(fn, user, **kwargs):
    kwargs.setdefault("date_from", date(2026, 9, 1))
    kwargs.setdefault("date_to", TODAY)
    with clock.frozen(TODAY):
        return fn(ReportParams(**kwargs), user)


def by(table, key):
    return {str(row[key]): row for row in table.rows}


def test_repayments_scheduled_collected_on_time(book, admin_user_zh):
    result = run(servicing.repayments, admin_user_zh)
    months = by(result.tables[0], "month")
    sep, oct_, nov = months["2026-09"], months["2026-10"], months["2026-11"]
    assert (sep["due_count"], sep["scheduled"], sep["on_time"], sep["collected"]) == (1, D("4000.00"), 1, D("4000.00"))
    # October: L1#2 paid 5 days late with the penalty the close charged on it (1.66): 3,000 + 4,001.66
    assert (oct_["due_count"], oct_["scheduled"], oct_["on_time"], oct_["late"], oct_["on_time_rate"],
            oct_["collected"], oct_["collected_principal"], oct_["collected_penalty"]) == (
        2, D("7000.00"), 1, 1, D("50.00"), D("7001.66"), D("7000.00"), D("1.66"))
    # November: L1#3 unpaid, L2 settled early on 11-05; L3's 500 repaid and reversed nets to 0
    assert (nov["due_count"], nov["scheduled"], nov["fell_due"], nov["on_time"], nov["unpaid"], nov["collected"],
            nov["collected_principal"]) == (2, D("7000.00"), 2, 1, 1, D("3000.00"), D("3000.00"))
    assert "dpd_min=1" in nov["_links"]["unpaid"]
    totals = result.tables[0].totals
    assert (totals["due_count"], totals["scheduled"], totals["fell_due"], totals["on_time"], totals["late"],
            totals["unpaid"], totals["on_time_rate"], totals["collected"], totals["collection_ratio"]) == (
        5, D("18000.00"), 5, 3, 1, 1, D("60.00"), D("14001.66"), D("77.79"))  # 14,001.66 ÷ 18,000 = 77.787 %
    # the net collected = what the repayments took off the principal: 12,000 − 4,000 (L1 left) + 6,000 − 0 (L2)
    # + 10,000 − 10,000 (L3) = 14,000
    remaining = sum((Iou.objects.get(pk=book[k].pk).principal_outstanding for k in ("l1", "l2", "l3")), D("0"))
    assert D("28000.00") - remaining == totals["collected_principal"] == D("14000.00")
    prepay = result.tables[1]
    assert [(r["month"], r["count"], r["principal"]) for r in prepay.rows] == [("2026-11", 1, D("3000.00"))]
    figures = {str(f.label): f.value for f in result.figures}
    assert figures["按期还款率"] == D("60.00") and figures["提前结清笔数"] == 1
    # a period of one month
    october = run(servicing.repayments, admin_user_zh, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    assert (october.tables[0].totals["scheduled"], october.tables[0].totals["collected"]) == (D("7000.00"),
                                                                                           D("7001.66"))


def test_recovery_plan_and_trend(book, admin_user_zh):
    result = run(servicing.recovery_report, admin_user_zh, date_from=date(2026, 11, 1), months=3,
                 month=date(2026, 10, 31))
    plans = result.tables[0].rows
    # recovered 4,001.66 (the case's repayment of 10-20) in 10-01 … 11-28 (59 days): 40.02 % of 10,000; 2 days
    # left: 4,001.66 ÷ 59 × 2 = 135.65; no pending promises: forecast 4,137.31 (41.37 %); short 5,998.34
    assert len(plans) == 1
    plan = plans[0]
    assert (plan["target"], plan["recovered"], plan["achieved"], plan["forecast"], plan["forecast_rate"],
            plan["shortfall"], plan["on_track"]) == (D("10000.00"), D("4001.66"), D("40.02"), D("4137.31"),
                                                     D("41.37"), D("5998.34"), "否")
    trend = by(result.tables[1], "month")
    assert list(trend) == ["2026-09", "2026-10", "2026-11"]
    assert (trend["2026-09"]["repaid"], trend["2026-10"]["repaid"], trend["2026-11"]["repaid"]) == (
        D("4000.00"), D("7001.66"), D("3000.00"))
    assert trend["2026-10"]["case_recovered"] == D("4001.66")
    # the close's daily figures at 09-30 and 10-31: nothing overdue then (L1#2 paid on 10-20); 11-30 not closed
    assert (trend["2026-09"]["overdue_balance"], trend["2026-10"]["overdue_balance"], trend["2026-10"]["overdue_count"]) \
        == (D("0.00"), D("0.00"), 0)
    assert trend["2026-11"]["overdue_balance"] is None
    assert result.tables[1].totals["repaid"] == D("14001.66")


def test_roll_rates_from_two_month_ends(book, admin_user_zh, debtor):
    manager, approver, finance = book["args"]
    extra = [lend(debtor, manager, approver, finance, principal="1000", on=date(2026, 8, 1) + timedelta(days=i),
                  due=date(2026, 9, 20)) for i in range(4)]
    ious = [book["l1"], book["l2"], book["l3"], *extra]
    MonthEndIou.objects.all().delete()  # the close's own month ends: replaced by the states below
    # (bucket, status) at 09-30 → at 10-31
    moves = [(("M0", "active"), ("M0", "active")), (("M0", "active"), ("M1", "overdue")),
             (("M0", "active"), ("M0", "settled")), (("M1", "overdue"), ("M2", "overdue")),
             (("M1", "overdue"), ("M0", "active")), (("M2", "overdue"), ("M3", "written_off")),
             (("M0", "active"), ("M0", "active"))]
    for iou, (before, after) in zip(ious, moves, strict=True):
        for month_end, (bucket, status) in ((date(2026, 9, 30), before), (date(2026, 10, 31), after)):
            MonthEndIou.objects.create(
                month_end=month_end, iou=iou, customer_id=iou.customer_id, branch_id=iou.branch_id, kind="loan",
                status=status, classification="normal", bucket=bucket, guarantee="credit", purpose="other",
                contract_date=iou.contract_date, principal=iou.principal, principal_outstanding=D("1000"))
    result = run(servicing.recovery_report, admin_user_zh, date_from=date(2026, 11, 1), month=date(2026, 10, 31))
    rows = by(result.tables[2], "bucket")
    # M0 at 09-30: 4 IOUs → M0 2, M1 1, settled 1: rolled forward 1 ÷ 4 = 25.00 %
    m0 = rows["M0"]
    assert (m0["count"], m0["M0"], m0["M1"], m0["settled"], m0["roll_forward"], m0["cure"], m0["balance"]) == (
        4, 2, 1, 1, D("25.00"), None, D("4000.00"))
    # M1: 2 → M2 1 (worse), M0 1 (cured): 50.00 % each
    assert (rows["M1"]["count"], rows["M1"]["M2"], rows["M1"]["M0"], rows["M1"]["roll_forward"],
            rows["M1"]["cure"]) == (2, 1, 1, D("50.00"), D("50.00"))
    # M2: 1 → written off: neither worse nor cured
    assert (rows["M2"]["written_off"], rows["M2"]["roll_forward"], rows["M2"]["cure"]) == (1, D("0.00"), D("0.00"))
    assert result.tables[2].totals["count"] == 7
    figures = {str(f.label): f.value for f in result.figures}
    assert figures["M0 → M1 滚动率"] == D("25.00")
    assert (result.source, result.snapshot_month, result.differences) == ("snapshot", date(2026, 10, 31), 0)


def test_registered():
    from ioudesk.reports.registry import report_get

    assert report_get("repayments").group == report_get("recovery").group == "servicing"
