"""Writes of the recovery app: recovery plans (saved and deleted, checked, audited) and the
month-end bucket snapshot (the day step ``recovery_snapshot``)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.utils.translation import gettext as _t

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.scope import can_see_branch
from ioudesk.recovery.models import (
    BucketRoll,
    BucketSnapshot,
    BucketSnapshotTotal,
    PlanScope,
    RecoveryPlan,
    SnapshotMonth,
)

SNAPSHOT_COUNT = "snapshot_rows"  # the day step's count key (labelled 月末账龄快照 on the 日终 page)
PLAN_FIELDS = ("name", "scope", "collector_id", "branch_id", "period_start", "deadline", "target", "notes")


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def month_end_of(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


# --- recovery plans ------------------------------------------------------------------------------


def plan_validate(*, plan: RecoveryPlan) -> None:
    """Every problem at once, each named by its field (details), as the form shows them."""
    from ioudesk.core.models import Branch

    details = []

    def problem(field, message):
        details.append({"field": field, "message": message})

    if not (plan.name or "").strip():
        problem("name", _t("请填写计划名称。"))
    if plan.scope not in PlanScope.values:
        problem("scope", _t("请选择计划范围。"))
    if plan.scope == PlanScope.COLLECTOR:
        if plan.collector_id is None:
            problem("collector", _t("范围为催收员时，请选择催收员。"))
        elif plan.branch_id is None:
            plan.branch_id = plan.collector.branch_id
    else:
        plan.collector = None
    if plan.scope == PlanScope.PORTFOLIO and plan.branch_id is None:
        plan.branch_id = Branch.objects.filter(parent__isnull=True).order_by("pk").values_list("pk", flat=True).first()
    if plan.branch_id is None and plan.scope != PlanScope.COLLECTOR:
        problem("branch", _t("请选择网点。"))
    if plan.target is None or plan.target <= 0:
        problem("target", _t("目标回收金额须大于零。"))
    if plan.period_start is None:
        problem("period_start", _t("请填写开始日期。"))
    if plan.deadline is None:
        problem("deadline", _t("请填写截止日期。"))
    elif plan.period_start is not None and plan.deadline < plan.period_start:
        problem("deadline", _t("截止日期不能早于开始日期。"))
    if details:
        first = details[0]
        raise ValidationFailed(first["message"], extra={"field": first["field"], "details": details})


def _check_scope(plan: RecoveryPlan, user) -> None:
    if plan.branch_id is not None and not can_see_branch(user, plan.branch_id):
        raise PermissionDenied(_t("网点不在您的数据范围内。"), extra={"field": "branch"})
    if plan.collector_id is not None and not can_see_branch(user, plan.collector.branch_id):
        raise PermissionDenied(_t("催收员不在您的数据范围内。"), extra={"field": "collector"})


def _snapshot(plan: RecoveryPlan) -> dict:
    return {field: (str(value) if value is not None else None) for field in PLAN_FIELDS
            for value in [getattr(plan, field)]}


@transaction.atomic
def plan_save(*, plan: RecoveryPlan, user) -> RecoveryPlan:
    """Create or change a plan (checked: plan_validate, the user's data scope; audited)."""
    perm = "recovery.change_recoveryplan" if plan.pk else "recovery.add_recoveryplan"
    if not user.has_perm(perm):
        raise PermissionDenied()
    plan_validate(plan=plan)
    _check_scope(plan, user)
    before = None
    if plan.pk:
        old = RecoveryPlan.objects.select_for_update().filter(pk=plan.pk).first()
        if old is not None:
            _check_scope(old, user)
            before = _snapshot(old)
    else:
        plan.created_by = user
    plan.save()
    audit.record_change(obj=plan, before=before, after=_snapshot(plan), branch_id=plan.branch_id)
    return plan


@transaction.atomic
def plan_delete(*, plan: RecoveryPlan, user) -> None:
    if not user.has_perm("recovery.delete_recoveryplan"):
        raise PermissionDenied()
    _check_scope(plan, user)
    before = _snapshot(plan)
    audit.record_change(obj=plan, before=before, after=None, branch_id=plan.branch_id)
    plan.delete()


# --- the month-end snapshot ----------------------------------------------------------------------


def _case_table() -> str | None:
    """collections.Case's table when the app has its model (the snapshot joins the open case)."""
    try:
        return apps.get_model("collections", "Case")._meta.db_table
    except LookupError:
        return None


NATURE_SQL = "CASE WHEN u.debt_reason IN ('loan', 'goods', 'services') THEN u.debt_reason ELSE 'other' END"


def snapshot_sql() -> tuple[str, str, str]:
    """The three statements of a month end M (parameters: M; M; the previous month end P, M):
    its rows, its totals, and the roll from P to M."""
    from ioudesk.ious.models import LIVE_STATUSES

    live = ", ".join(f"'{s}'" for s in LIVE_STATUSES)
    rows, totals, rolls = (BucketSnapshot._meta.db_table, BucketSnapshotTotal._meta.db_table,
                           BucketRoll._meta.db_table)
    case = _case_table()
    if case:
        case_join = f"LEFT JOIN {case} c ON c.iou_id = u.id AND c.status = 'open'"
        case_cols = "COALESCE(c.arrears, 0), c.id, c.owner_id, c.agency_id"
    else:
        case_join, case_cols = "", "0, NULL, NULL, NULL"
    insert_rows = f"""
        INSERT INTO {rows} (month_end, iou_id, branch_id, customer_id, bucket, days_past_due, outstanding,
                            nature, category, overdue, case_id, owner_id, agency_id)
        SELECT %s, u.id, u.branch_id, u.customer_id, u.bucket, u.days_past_due,
               u.principal_outstanding + u.interest_outstanding + u.penalty_outstanding + u.fee_outstanding,
               {NATURE_SQL}, cu.category, {case_cols}
        FROM ious_iou u JOIN customers_customer cu ON cu.id = u.customer_id {case_join}
        WHERE u.status IN ({live})"""
    insert_totals = f"""
        INSERT INTO {totals} (month_end, branch_id, bucket, nature, category, ious, outstanding, overdue)
        SELECT month_end, branch_id, bucket, nature, category, COUNT(*), SUM(outstanding), SUM(overdue)
        FROM {rows} WHERE month_end = %s GROUP BY month_end, branch_id, bucket, nature, category"""
    to_bucket = ("COALESCE(b.bucket, CASE WHEN u.status IN ('settled', 'written_off') THEN u.status "
                 "ELSE 'closed' END)")
    insert_rolls = f"""
        INSERT INTO {rolls} (month_end, from_month_end, branch_id, owner_id, agency_id, nature, category,
                             from_bucket, to_bucket, ious, outstanding, overdue)
        SELECT %s, a.month_end, a.branch_id, a.owner_id, a.agency_id, a.nature, a.category, a.bucket,
               {to_bucket}, COUNT(*), SUM(a.outstanding), SUM(a.overdue)
        FROM {rows} a
        LEFT JOIN {rows} b ON b.month_end = %s AND b.iou_id = a.iou_id
        LEFT JOIN ious_iou u ON b.iou_id IS NULL AND u.id = a.iou_id
        WHERE a.month_end = %s
        GROUP BY a.month_end, a.branch_id, a.owner_id, a.agency_id, a.nature, a.category, a.bucket, {to_bucket}"""
    return insert_rows, insert_totals, insert_rolls


@transaction.atomic
def month_end_snapshot(*, day: date) -> int:
    """Write the snapshot of `day` (a month end) once: every live IOU's bucket, days past due,
    outstanding and overdue amounts (the open case's arrears), nature, customer category and case
    owner/agency, in one INSERT … SELECT; its totals; and, when the previous month end has its
    snapshot, the roll from there to here. Returns the rows written (0 when the month end was
    written already)."""
    marker, created = SnapshotMonth.objects.get_or_create(month_end=day)
    if not created:
        return 0
    insert_rows, insert_totals, insert_rolls = snapshot_sql()
    previous = previous_month_end(day)
    with connection.cursor() as cursor:
        cursor.execute(insert_rows, [day])
        written = cursor.rowcount
        cursor.execute(insert_totals, [day])
        if SnapshotMonth.objects.filter(month_end=previous).exists():
            cursor.execute(insert_rolls, [day, day, previous])
    SnapshotMonth.objects.filter(pk=marker.pk).update(rows=written)
    return written


def snapshot_day_step(*, day: date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    """The close's day step: on a month's last day, the month-end snapshot (idempotent)."""
    if not is_month_end(day):
        return {}
    return {SNAPSHOT_COUNT: month_end_snapshot(day=day)}


# --- the activity summary ----------------------------------------------------------------------


def _day_bounds(first: date, last: date):
    from datetime import datetime, time

    from django.utils import timezone

    zone = timezone.get_current_timezone()
    return (datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone))


@transaction.atomic
def activity_summarise(*, month: date, through: date) -> int:
    """Rewrite ContactMonth for `month` (its first day) with the contact records of the month's
    first day through `through` (one grouped query); returns the rows written."""
    from django.db.models import Count

    from ioudesk.collections.models import ContactRecord
    from ioudesk.recovery.models import ContactMonth, ContactMonthMark

    start, end = _day_bounds(month, min(through, month_end_of(month)))
    records = ContactRecord.objects.filter(contacted_at__gte=start, contacted_at__lt=end)
    ContactMonth.objects.filter(month=month).delete()
    rows = []
    for kind in ("method", "outcome"):
        grouped = records.values("branch_id", "recorded_by_id", "case__bucket", "case__nature", "customer__category",
                                 kind).annotate(n=Count("id")).order_by()
        rows += [ContactMonth(month=month, branch_id=g["branch_id"], recorded_by_id=g["recorded_by_id"],
                              bucket=g["case__bucket"], nature=g["case__nature"], category=g["customer__category"],
                              kind=kind, value=g[kind], contacts=g["n"]) for g in grouped]
    ContactMonth.objects.bulk_create(rows, batch_size=2000)
    ContactMonthMark.objects.update_or_create(month=month, defaults={"through": min(through, month_end_of(month))})
    return len(rows)


@transaction.atomic
def recovery_summarise(*, month: date, through: date) -> int:
    """Rewrite RecoveryMonth for `month` with the collections.Recovery rows of its first day through
    `through` (one grouped query); returns the rows written."""
    from django.db.models import Count

    from ioudesk.collections.models import Recovery
    from ioudesk.core.fields import MoneySum
    from ioudesk.recovery.models import RecoveryMonth, RecoveryMonthMark

    last = min(through, month_end_of(month))
    grouped = (Recovery.objects.filter(day__gte=month, day__lte=last)
               .values("branch_id", "owner_id", "agency_id", "bucket")
               .annotate(n=Count("id"), amount=MoneySum("amount")).order_by())
    RecoveryMonth.objects.filter(month=month).delete()
    rows = [RecoveryMonth(month=month, branch_id=g["branch_id"], owner_id=g["owner_id"], agency_id=g["agency_id"],
                          bucket=g["bucket"], count=g["n"], amount=g["amount"]) for g in grouped]
    RecoveryMonth.objects.bulk_create(rows, batch_size=2000)
    RecoveryMonthMark.objects.update_or_create(month=month, defaults={"through": last})
    return len(rows)


ACTIVITY_COUNT = "activity_rows"  # the day step's count key (labelled 催收活动汇总 on the 日终 page)
RECOVERY_COUNT = "recovery_rows"  # (labelled 回收汇总 on the 日终 page)
LATE_ENTRY_DAYS = 7  # during a month's first week the month before is summarised again (records entered late)


def activity_day_step(*, day: date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    """The close's day step: the activity and recovery summaries of the closed day's month through
    that day, and in the first week of a month the month before once more. Idempotent (a rewrite)."""
    if catching_up:
        return {}  # the last day of the catch-up rewrites the month with everything
    written = activity_summarise(month=day.replace(day=1), through=day)
    recovered = recovery_summarise(month=day.replace(day=1), through=day)
    if day.day <= LATE_ENTRY_DAYS:
        before = previous_month_end(day)
        written += activity_summarise(month=before.replace(day=1), through=before)
        recovered += recovery_summarise(month=before.replace(day=1), through=before)
    return {ACTIVITY_COUNT: written, RECOVERY_COUNT: recovered}
