"""The month-end snapshot (one INSERT … SELECT of the live IOUs) and the roll between two month
ends, with the roll and cure rates worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.collections.models import Case
from ioudesk.core.models import User
from ioudesk.ious.models import Iou
from ioudesk.recovery import selectors, services
from ioudesk.recovery.models import BucketRoll, BucketSnapshot, BucketSnapshotTotal, SnapshotMonth

OCT, NOV = date(2026, 10, 31), date(2026, 11, 30)


def test_month_end_only():
    assert services.snapshot_day_step(day=date(2026, 11, 29)) == {}
    assert services.is_month_end(date(2028, 2, 29)) and not services.is_month_end(date(2026, 2, 28 - 1))


@pytest.mark.django_db
def test_snapshot_rows_totals_and_idempotent(make_loan, head_office, manager):
    current = make_loan()
    late = make_loan(principal="20000", status="overdue", bucket="M2", days_past_due=45)
    Iou.objects.filter(pk=late.pk).update(principal_outstanding=Decimal("15000.00"), interest_outstanding=Decimal("123.45"))
    case = Case.objects.create(number="CS20261031-0001", iou=late, customer=late.customer, branch=head_office,
                               opened_on=date(2026, 9, 16), bucket="M2", days_past_due=45,
                               arrears=Decimal("3456.78"), owner=manager)
    make_loan(status="settled")  # not live: not in the snapshot

    assert services.snapshot_day_step(day=OCT) == {"snapshot_rows": 2}
    assert services.snapshot_day_step(day=OCT) == {"snapshot_rows": 0}  # a second close of the day adds nothing
    assert BucketSnapshot.objects.filter(month_end=OCT).count() == 2
    row = BucketSnapshot.objects.get(month_end=OCT, iou=late)
    assert (row.bucket, row.days_past_due, row.outstanding, row.overdue) == ("M2", 45, Decimal("15123.45"),
                                                                              Decimal("3456.78"))
    assert (row.case_id, row.owner_id, row.nature, row.category, row.branch_id) == (
        case.pk, manager.pk, "loan", "normal", head_office.pk)
    plain = BucketSnapshot.objects.get(month_end=OCT, iou=current)
    assert (plain.bucket, plain.overdue, plain.case_id, plain.outstanding) == ("M0", Decimal("0.00"), None,
                                                                               current.principal_outstanding)
    totals = {t.bucket: (t.ious, t.outstanding) for t in BucketSnapshotTotal.objects.filter(month_end=OCT)}
    assert totals == {"M0": (1, current.principal_outstanding), "M2": (1, Decimal("15123.45"))}
    assert SnapshotMonth.objects.get(month_end=OCT).rows == 2
    assert not BucketRoll.objects.exists()  # no September snapshot to roll from


@pytest.mark.django_db
def test_roll_and_cure_rates_between_two_month_ends(make_loan, admin_user_zh):
    # October: four M1 IOUs (¥1,000 outstanding each in the snapshot), two M0, one M2.
    m1 = [make_loan(status="overdue", bucket="M1", days_past_due=20) for _ in range(4)]
    m0 = [make_loan() for _ in range(2)]
    m2 = make_loan(status="overdue", bucket="M2", days_past_due=50)
    Iou.objects.filter(pk__in=[i.pk for i in m1]).update(principal_outstanding=Decimal("1000"), interest_outstanding=Decimal("0"))
    services.month_end_snapshot(day=OCT)
    # November: of the M1s, one rolls to M2, one stays M1, one is cured (M0), one settled;
    # one M0 falls to M1; the M2 rolls to M3.
    Iou.objects.filter(pk=m1[0].pk).update(bucket="M2", days_past_due=50)
    Iou.objects.filter(pk=m1[2].pk).update(bucket="M0", days_past_due=0, status="active")
    Iou.objects.filter(pk=m1[3].pk).update(status="settled", bucket="M0", days_past_due=0)
    Iou.objects.filter(pk=m0[0].pk).update(bucket="M1", days_past_due=10, status="overdue")
    Iou.objects.filter(pk=m2.pk).update(bucket="M3", days_past_due=80)
    assert services.month_end_snapshot(day=NOV) == 6  # the settled one is no longer live

    cells = {(r.from_bucket, r.to_bucket): r.ious for r in BucketRoll.objects.filter(month_end=NOV)}
    assert cells == {("M1", "M2"): 1, ("M1", "M1"): 1, ("M1", "M0"): 1, ("M1", "settled"): 1,
                     ("M0", "M1"): 1, ("M0", "M0"): 1, ("M2", "M3"): 1}

    filters = selectors.ReportFilters(start=date(2026, 11, 1), end=NOV)
    report = selectors.roll_rates(admin_user_zh, filters)
    rows = {r["bucket"]: r for r in report["latest"]["rows"]}
    assert rows["M1"]["count"] == 4
    assert rows["M1"]["roll_forward"] == Decimal("25.0")  # 1 of 4 to a worse bucket
    assert rows["M1"]["cure"] == Decimal("50.0")  # M0 + settled: 2 of 4
    assert rows["M0"]["roll_forward"] == Decimal("50.0")  # 1 of 2 fell overdue
    assert rows["M2"]["roll_forward"] == Decimal("100.0")
    shares = {c["to"]: c["share"] for c in rows["M1"]["cells"]}
    assert shares["M2"] == shares["M1"] == shares["M0"] == shares["settled"] == Decimal("25.0")
    # by amount: the October outstanding of the IOU that rolled (¥1,000) over the bucket's (¥4,000)
    assert rows["M1"]["roll_forward_amount"] == Decimal("25.0")
    # filters: the short-overdue buckets only (M1–M3 with 90 days), M0 left out
    short = selectors.roll_rates(admin_user_zh, selectors.ReportFilters(start=date(2026, 11, 1), end=NOV,
                                                                       term="short"))
    assert [r["bucket"] for r in short["latest"]["rows"]] == ["M1", "M2"]
    cure = selectors.cure_rate(admin_user_zh, filters)
    assert [(b["bucket"], b["cure"]) for b in cure["by_bucket"]] == [("M1", Decimal("50.0")), ("M2", Decimal("0.0"))]


@pytest.mark.django_db
def test_collector_sees_own_rolls_only(make_loan, make_staff, head_office):
    zhao = make_staff("zhaolei2")  # neither every branch, nor the branch's cases, nor plans to manage
    other = make_staff("qianer")
    mine = make_loan(status="overdue", bucket="M1", days_past_due=20)
    theirs = make_loan(status="overdue", bucket="M1", days_past_due=20)
    for n, (iou, owner) in enumerate(((mine, zhao), (theirs, other)), start=1):
        Case.objects.create(number=f"CS20261031-000{n}", iou=iou, customer=iou.customer, branch=head_office,
                            opened_on=date(2026, 10, 10), bucket="M1", days_past_due=20, owner=owner)
    services.month_end_snapshot(day=OCT)
    Iou.objects.filter(pk=theirs.pk).update(bucket="M2")
    services.month_end_snapshot(day=NOV)
    user = User.objects.get(pk=zhao.pk)
    assert not selectors.sees_team(user)
    report = selectors.roll_rates(user, selectors.ReportFilters(start=date(2026, 11, 1), end=NOV))
    rows = {r["bucket"]: r for r in report["latest"]["rows"]}
    assert rows["M1"]["count"] == 1 and rows["M1"]["roll_forward"] == Decimal("0.0")
