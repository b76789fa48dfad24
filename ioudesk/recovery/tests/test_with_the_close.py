"""The recovery day steps inside the real daily close: registered after collections, the month
end's snapshot written by the close of a month's last day (and by no other), once."""

from datetime import date

import pytest

from ioudesk.closing import services as closing
from ioudesk.closing.models import CloseRun
from ioudesk.closing.registry import day_steps
from ioudesk.collections.models import Case
from ioudesk.core import clock
from ioudesk.recovery.models import BucketSnapshot, ContactMonthMark, SnapshotMonth

pytestmark = pytest.mark.django_db


def test_registered_after_collections():
    orders = {step.name: step.order for step in day_steps()}
    assert orders["collections"] < orders["recovery_snapshot"] < orders["recovery_activity"]


def test_month_end_close_writes_the_snapshot_once(make_loan):
    iou = make_loan()
    for day in (date(2026, 2, 27), date(2026, 2, 28)):
        with clock.frozen(day):
            closing.close_execute(through=day, origin="command")
    # the first installment (due 02-15) unpaid: 13 days past due at the month end, its case opened by the
    # collections step of the close, whose arrears on 02-28 are the snapshot's overdue amount
    [row] = BucketSnapshot.objects.all()
    case = Case.objects.get(iou=iou)
    assert (row.month_end, row.iou_id, row.bucket, row.days_past_due, row.case_id) == (
        date(2026, 2, 28), iou.pk, "M1", 13, case.pk)
    assert row.overdue == case.arrears > 0
    with clock.frozen(date(2026, 3, 1)):
        closing.close_execute(through=date(2026, 3, 1), origin="command")
    assert list(SnapshotMonth.objects.values_list("month_end", flat=True)) == [date(2026, 2, 28)]
    counts = {run.day: run.counts.get("recovery_snapshot") for run in CloseRun.objects.filter(
        day__in=[date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)])}
    assert counts == {date(2026, 2, 27): {}, date(2026, 2, 28): {"snapshot_rows": 1}, date(2026, 3, 1): {}}
    assert ContactMonthMark.objects.get(month=date(2026, 3, 1)).through == date(2026, 3, 1)
