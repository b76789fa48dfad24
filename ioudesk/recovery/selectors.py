"""Reads of the recovery app: a plan's progress and forecast, the 回收报告 of a period, and the
collection reports (activity, promise kept rate, recovered, roll rates, cure rate, agency cost).

Every report takes the same filters (``ReportFilters``: period, branch and the branches under it,
collector, bucket, short/long overdue, nature of the debt, customer category), reads through the
data scope (``scope_queryset``) and lets the database add: one or two grouped queries each, over
the period's rows (contact records, promises, recoveries, closed cases) or the small month-end
aggregates (``BucketRoll``), so each answers in well under 300 ms at 1,000,000 IOUs with 50,000
overdue cases (bench/collections_bench.py).

Who sees what: everybody within their branches (scope); a user who may see neither every branch,
nor the branch's cases (``collections.view_branch_cases``), nor manage plans
(``recovery.add_recoveryplan``) — a 催收员 — sees their own figures only.

Short and long overdue (``term``) are read from the bucket: bucket Mk holds 30(k-1)+1 … 30k days
past due, so with ``CollectionSettings.long_overdue_days`` = 90 (the default) M1–M3 are short and
M4 … M7+ long; the same split for cases, recoveries (their bucket at the time) and snapshots.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, Q, Sum
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from ioudesk.calc.money import quantize
from ioudesk.calc.rates import percent
from ioudesk.collections.models import (
    Agency,
    Case,
    CaseStatus,
    CloseReason,
    CollectionSettings,
    ContactMethod,
    ContactRecord,
    OutcomeCode,
    Promise,
    PromiseStatus,
    Recovery,
)
from ioudesk.core.fields import MoneySum
from ioudesk.core.scope import scope_queryset, sees_all_branches
from ioudesk.recovery.models import (
    BucketRoll,
    ContactMonth,
    ContactMonthMark,
    PlanScope,
    RecoveryMonth,
    RecoveryMonthMark,
    RecoveryPlan,
    SnapshotMonth,
)

ZERO = Decimal("0.00")
BUCKETS = ("M1", "M2", "M3", "M4", "M5", "M6", "M7+")
ALL_BUCKETS = ("M0", *BUCKETS)
GONE = ("settled", "written_off", "closed")


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    branch_id: int | None = None
    collector_id: int | None = None
    bucket: str | None = None
    term: str | None = None  # "short" / "long"
    nature: str | None = None
    category: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def long_overdue_days() -> int:
    value = CollectionSettings.objects.values_list("long_overdue_days", flat=True).first()
    return int(value) if value else 90


def term_buckets(term: str, *, long_days: int | None = None) -> tuple[str, ...]:
    """The buckets of short (≤ long_days) or long (> long_days) overdue."""
    long_days = long_overdue_days() if long_days is None else long_days
    short = tuple(b for k, b in enumerate(BUCKETS, start=1) if 30 * (k - 1) + 1 <= long_days)
    return short if term == "short" else tuple(b for b in BUCKETS if b not in short)


def sees_team(user) -> bool:
    return (sees_all_branches(user) or user.has_perm("collections.view_branch_cases")
            or user.has_perm("recovery.add_recoveryplan"))


def effective(user, filters: ReportFilters) -> ReportFilters:
    """The filters as the user may apply them: a user who sees only their own work gets it."""
    if sees_team(user):
        return filters
    return ReportFilters(**{**filters.__dict__, "collector_id": user.pk})


def buckets_of(filters: ReportFilters) -> tuple[str, ...] | None:
    """The buckets the bucket and term filters leave (None: no restriction)."""
    chosen = set(ALL_BUCKETS)
    if filters.bucket:
        chosen &= {filters.bucket}
    if filters.term:
        chosen &= set(term_buckets(filters.term))
    return None if chosen == set(ALL_BUCKETS) else tuple(b for b in ALL_BUCKETS if b in chosen)


def _branch_q(prefix: str, branch_id: int | None) -> Q:
    if branch_id is None:
        return Q()
    from ioudesk.core.models import Branch

    path = Branch.objects.filter(pk=branch_id).values_list("path", flat=True).first() or "/-/"
    ids = list(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))
    return Q(**{f"{prefix}branch_id__in": ids})


def _filtered(user, queryset, filters: ReportFilters, *, case: str, owner: str, bucket: str, customer: str,
              branch: str = "", nature: str | None = None):
    """Apply the scope and the filters; the arguments name each filter's path on this model."""
    queryset = scope_queryset(user, queryset, branch_field=f"{branch}branch")
    queryset = queryset.filter(_branch_q(branch, filters.branch_id))
    if filters.collector_id:
        queryset = queryset.filter(**{owner: filters.collector_id})
    buckets = buckets_of(filters)
    if buckets is not None:
        queryset = queryset.filter(**{f"{bucket}__in": buckets})
    if filters.nature:
        queryset = queryset.filter(**{nature or f"{case}nature": filters.nature})
    if filters.category:
        queryset = queryset.filter(**{f"{customer}category": filters.category})
    return queryset


def _bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (datetime.combine(filters.start, time.min, tzinfo=zone),
            datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=zone))


def _names(user_ids) -> dict[int, str]:
    ids = [i for i in set(user_ids) if i]
    return {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)}


def ratio(part, whole) -> Decimal | None:
    """part ÷ whole as a percentage with one decimal (None when whole is 0)."""
    if not whole:
        return None
    return percent(Decimal(part) / Decimal(whole), 1)


# --- activity per collector ----------------------------------------------------------------------


@dataclass
class ActivityRow:
    collector_id: int | None
    name: str
    total: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    cases: int = 0


def _contact_counts(user, filters: ReportFilters, first: date, last: date):
    """("method", recorder, method, n) and ("outcome", recorder, outcome, n) of the contact records of
    [first, last], filtered: one grouped query."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    queryset = _filtered(user, ContactRecord.objects.filter(contacted_at__gte=start, contacted_at__lt=end), filters,
                         case="case__", owner="recorded_by_id", bucket="case__bucket", customer="customer__")
    for item in queryset.values("recorded_by_id", "method", "outcome").annotate(n=Count("id")).order_by():
        yield "method", item["recorded_by_id"], item["method"], item["n"]
        yield "outcome", item["recorded_by_id"], item["outcome"], item["n"]


def _summary_counts(user, filters: ReportFilters, month: date):
    """The same from the monthly summary, every filter applied: one small grouped query."""
    queryset = _filtered(user, ContactMonth.objects.filter(month=month), filters, case="", owner="recorded_by_id",
                         bucket="bucket", customer="")
    yield from queryset.values_list("kind", "recorded_by_id", "value").annotate(
            n=Sum("contacts")).order_by()


def activity_counts(user, filters: ReportFilters):
    """The period's contacts per recorder and method, and per recorder and outcome: whole months from
    the monthly summary (ContactMonth, written by the close) through the day it counts, the other
    days from the contact records themselves."""
    marks = dict(ContactMonthMark.objects.filter(month__gte=filters.start.replace(day=1), month__lte=filters.end)
                 .values_list("month", "through"))
    day = filters.start
    while day <= filters.end:
        month_last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        last = min(month_last, filters.end)
        through = marks.get(day) if day.day == 1 else None
        if through is not None and through <= last:
            yield from _summary_counts(user, filters, day)
            if through < last:
                yield from _contact_counts(user, filters, through + timedelta(days=1), last)
        else:
            yield from _contact_counts(user, filters, day, last)
        day = last + timedelta(days=1)


def activity(user, filters: ReportFilters) -> dict:
    """Contacts per collector (the recorder) in the period, by method and by outcome, and the open
    cases each owns now."""
    filters = effective(user, filters)
    rows: dict[int, ActivityRow] = {}
    totals = ActivityRow(None, "")
    for kind, recorder, value, n in activity_counts(user, filters):
        row = rows.get(recorder)
        if row is None:
            row = rows[recorder] = ActivityRow(recorder, "")
        counts = row.by_method if kind == "method" else row.by_outcome
        counts[value] = counts.get(value, 0) + n
        if kind == "method":
            row.total += n
    for row in rows.values():
        totals.total += row.total
        for source, target in ((row.by_method, totals.by_method), (row.by_outcome, totals.by_outcome)):
            for key, n in source.items():
                target[key] = target.get(key, 0) + n
    # the open cases of the collectors in the report (found in the user's scope above), read by the
    # owner index alone: a branch condition here would make the database read every case of the branch
    open_cases = dict(Case.objects.filter(owner_id__in=[r for r in rows if r], status=CaseStatus.OPEN)
                      .values_list("owner_id").annotate(n=Count("id")).order_by())
    names = _names(rows)
    for key, row in rows.items():
        row.name = names.get(key, "")
        row.cases = open_cases.get(key, 0)
    ordered = sorted(rows.values(), key=lambda r: (-r.total, r.name))
    totals.cases = sum(r.cases for r in ordered)
    return {"rows": ordered, "totals": totals, "methods": list(ContactMethod.choices),
            "outcomes": list(OutcomeCode.choices)}


# --- promise kept rate ---------------------------------------------------------------------------


@dataclass
class KeptRow:
    collector_id: int | None
    name: str
    promises: int = 0
    kept: int = 0
    partly_kept: int = 0
    broken: int = 0
    pending: int = 0
    amount: Decimal = ZERO
    paid: Decimal = ZERO
    decided_amount: Decimal = ZERO

    @property
    def decided(self) -> int:
        return self.kept + self.partly_kept + self.broken

    @property
    def kept_rate(self) -> Decimal | None:
        """Kept in full ÷ promises decided (kept, partly kept or broken), in %."""
        return ratio(self.kept, self.decided)

    @property
    def amount_rate(self) -> Decimal | None:
        """Paid ÷ promised, over the promises decided, in %."""
        return ratio(self.paid, self.decided_amount)


def kept_rates(user, filters: ReportFilters) -> dict:
    """Promises falling due in the period, per collector: kept, partly kept, broken, pending."""
    filters = effective(user, filters)
    queryset = _filtered(user, Promise.objects.filter(promised_on__gte=filters.start, promised_on__lte=filters.end),
                         filters, case="case__", owner="collector_id", bucket="case__bucket",
                         customer="case__customer__", branch="case__")
    rows: dict[int, KeptRow] = {}
    totals = KeptRow(None, "")
    grouped = queryset.values("collector_id", "status").annotate(
        n=Count("id"), amount=MoneySum("amount"), paid=MoneySum("paid")).order_by()
    for item in grouped:
        row = rows.setdefault(item["collector_id"], KeptRow(item["collector_id"], ""))
        for target in (row, totals):
            target.promises += item["n"]
            target.amount += item["amount"] or ZERO
            status = item["status"]
            if status == PromiseStatus.PENDING:
                target.pending += item["n"]
                continue
            setattr(target, status, getattr(target, status) + item["n"])
            target.paid += item["paid"] or ZERO
            target.decided_amount += item["amount"] or ZERO
    names = _names(rows)
    for key, row in rows.items():
        row.name = names.get(key, "")
    return {"rows": sorted(rows.values(), key=lambda r: (-r.promises, r.name)), "totals": totals}


# --- recovered -----------------------------------------------------------------------------------


def _recoveries(user, filters: ReportFilters):
    return _filtered(user, Recovery.objects.filter(day__gte=filters.start, day__lte=filters.end), filters,
                     case="case__", owner="owner_id", bucket="bucket", customer="case__customer__")


def recovered(user, filters: ReportFilters) -> dict:
    """Amounts recovered in the period (collections.Recovery), by bucket (at the time), by collector
    or agency, and by month."""
    filters = effective(user, filters)
    queryset = _recoveries(user, filters)
    by_bucket, by_owner, by_month = defaultdict(lambda: [0, ZERO]), defaultdict(lambda: [0, ZERO]), {}
    total = [0, ZERO]
    # the month as the date's first 7 characters (2026-11): a native substring on both databases, where
    # day__month would call Django's Python date function on SQLite for every row
    grouped = queryset.annotate(month=Substr(Cast("day", CharField()), 1, 7)).values(
        "bucket", "owner_id", "agency_id", "month").annotate(n=Count("id"), amount=MoneySum("amount")).order_by()
    for item in grouped:
        amount, n = item["amount"] or ZERO, item["n"]
        for bucket_row in (by_bucket[item["bucket"]], by_owner[(item["owner_id"], item["agency_id"])], total):
            bucket_row[0] += n
            bucket_row[1] += amount
        month = (int(item["month"][:4]), int(item["month"][5:7]))
        by_month.setdefault(month, defaultdict(lambda: ZERO))
        by_month[month][item["bucket"]] += amount
    names = _names(owner for owner, _agency in by_owner)
    agencies = dict(Agency.objects.filter(pk__in={a for _o, a in by_owner if a}).values_list("pk", "name"))
    owners = []
    for (owner, agency), (n, amount) in by_owner.items():
        label = agencies.get(agency, "") if agency else names.get(owner, "")
        owners.append({"owner_id": owner, "agency_id": agency, "name": label, "count": n, "amount": amount,
                       "share": ratio(amount, total[1])})
    owners.sort(key=lambda r: (-r["amount"], r["name"]))
    buckets = [{"bucket": b, "count": by_bucket[b][0], "amount": by_bucket[b][1], "share": ratio(by_bucket[b][1], total[1])}
               for b in ALL_BUCKETS if b in by_bucket]
    months = [{"month": date(y, m, 1), "by_bucket": dict(v), "amount": sum(v.values(), ZERO)}
              for (y, m), v in sorted(by_month.items())]
    return {"by_bucket": buckets, "by_owner": owners, "by_month": months,
            "total_count": total[0], "total": total[1]}


# --- roll rates and cure rate (from the month-end snapshots) ---------------------------------------


def month_ends_in(filters: ReportFilters) -> list[date]:
    """The month ends whose roll (from the month end before) falls in the period and is written."""
    written = set(SnapshotMonth.objects.filter(month_end__gte=filters.start, month_end__lte=filters.end)
                  .values_list("month_end", flat=True))
    return sorted(d for d in written if BucketRoll.objects.filter(month_end=d).exists())


def _rolls(user, filters: ReportFilters, month_ends: list[date]):
    return _filtered(user, BucketRoll.objects.filter(month_end__in=month_ends), filters, case="", owner="owner_id",
                     bucket="from_bucket", customer="", nature="nature")


def rank(bucket: str) -> int:
    return ALL_BUCKETS.index(bucket) if bucket in ALL_BUCKETS else -1


def roll_rates(user, filters: ReportFilters) -> dict:
    """For each month end M in the period (whose previous month end P has its snapshot): where the
    IOUs of each bucket at P are at M. Matrix of the last month (counts and % of the row), and per
    month and bucket the roll-forward rate (to a worse bucket) by count and by P's outstanding."""
    filters = effective(user, filters)
    ends = month_ends_in(filters)
    grouped = _rolls(user, filters, ends).values("month_end", "from_bucket", "to_bucket").annotate(
        n=Sum("ious"), amount=MoneySum("outstanding")).order_by()
    cells: dict[date, dict[str, dict[str, list]]] = {}
    for item in grouped:
        cells.setdefault(item["month_end"], {}).setdefault(item["from_bucket"], {})[item["to_bucket"]] = [
            item["n"] or 0, item["amount"] or ZERO]
    columns = [*ALL_BUCKETS, *GONE]
    months = []
    for end in ends:
        rows = []
        for source in ALL_BUCKETS:
            targets = cells.get(end, {}).get(source)
            if not targets:
                continue
            count = sum(v[0] for v in targets.values())
            amount = sum((v[1] for v in targets.values()), ZERO)
            worse = [v for t, v in targets.items() if rank(t) > rank(source)]
            cured = [v for t, v in targets.items() if t in ("M0", "settled")]
            rows.append({
                "bucket": source, "count": count, "amount": amount,
                "cells": [{"to": t, "count": targets.get(t, [0, ZERO])[0],
                           "share": ratio(targets.get(t, [0, ZERO])[0], count)} for t in columns],
                "roll_forward": ratio(sum(v[0] for v in worse), count),
                "roll_forward_amount": ratio(sum((v[1] for v in worse), ZERO), amount),
                "cure": ratio(sum(v[0] for v in cured), count) if source != "M0" else None,
                "cure_amount": ratio(sum((v[1] for v in cured), ZERO), amount) if source != "M0" else None,
            })
        months.append({"month_end": end, "from_month_end": previous(end), "rows": rows})
    return {"months": months, "columns": columns, "latest": months[-1] if months else None}


def previous(month_end: date) -> date:
    return month_end.replace(day=1) - timedelta(days=1)


def cure_rate(user, filters: ReportFilters) -> dict:
    """Cases: of the cases open at some time in the period, those closed in it as cured (arrears
    paid) or settled (paid off), in %; per bucket month on month from the snapshots (roll_rates'
    cure column: to M0 or settled at the next month end)."""
    filters = effective(user, filters)
    cases = _filtered(user, Case.objects.filter(opened_on__lte=filters.end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=filters.start)), filters, case="", owner="owner_id",
        bucket="bucket", customer="customer__", nature="nature")
    counts = cases.aggregate(
        active=Count("id"),
        cured=Count("id", filter=Q(closed_on__gte=filters.start, closed_on__lte=filters.end,
                                   close_reason=CloseReason.CURED)),
        settled=Count("id", filter=Q(closed_on__gte=filters.start, closed_on__lte=filters.end,
                                     close_reason=CloseReason.SETTLED)),
        written_off=Count("id", filter=Q(closed_on__gte=filters.start, closed_on__lte=filters.end,
                                         close_reason=CloseReason.WRITTEN_OFF)),
        still_open=Count("id", filter=Q(status=CaseStatus.OPEN)),
    )
    counts["rate"] = ratio(counts["cured"] + counts["settled"], counts["active"])
    rolls = roll_rates(user, filters)
    by_bucket = []
    for month in rolls["months"]:
        for row in month["rows"]:
            if row["bucket"] != "M0":
                by_bucket.append({"month_end": month["month_end"], "bucket": row["bucket"], "count": row["count"],
                                  "cure": row["cure"], "cure_amount": row["cure_amount"]})
    return {"cases": counts, "by_bucket": by_bucket, "months": [m["month_end"] for m in rolls["months"]]}


# --- cost of collection ----------------------------------------------------------------------------


def legal_costs(user, filters: ReportFilters) -> list[dict]:
    """The legal costs paid in the period (legal.LegalCost: court fee, lawyer fee …), per kind, in the
    user's branches (and the branch filter)."""
    from ioudesk.legal.models import LegalCost, LegalCostKind

    queryset = scope_queryset(user, LegalCost.objects.filter(paid_on__gte=filters.start, paid_on__lte=filters.end))
    queryset = queryset.filter(_branch_q("case__", filters.branch_id))
    labels = dict(LegalCostKind.choices)
    return [{"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "amount": row["amount"] or ZERO,
             "count": row["n"]}
            for row in queryset.values("kind").annotate(n=Count("id"), amount=MoneySum("amount")).order_by("kind")]


def agency_cost(user, filters: ReportFilters) -> dict:
    """Per agency: recovered, commission (Recovery.commission), cost ÷ recovered; in-house for
    comparison (no commission); the legal costs of the period when the legal app records them."""
    filters = effective(user, filters)
    grouped = _recoveries(user, filters).values("agency_id").annotate(
        n=Count("id"), cases=Count("case_id", distinct=True), amount=MoneySum("amount"),
        commission=MoneySum("commission")).order_by()
    agencies = dict(Agency.objects.values_list("pk", "name"))
    rates = dict(Agency.objects.values_list("pk", "commission_rate"))
    rows, in_house = [], None
    for item in grouped:
        row = {"agency_id": item["agency_id"], "count": item["n"], "cases": item["cases"],
               "amount": item["amount"] or ZERO, "commission": item["commission"] or ZERO}
        row["cost_rate"] = ratio(row["commission"], row["amount"])
        if item["agency_id"] is None:
            in_house = row
        else:
            row["name"] = agencies.get(item["agency_id"], "")
            row["rate"] = rates.get(item["agency_id"])
            rows.append(row)
    rows.sort(key=lambda r: (-r["amount"], r["name"]))
    legal_rows = legal_costs(user, filters) if sees_team(user) and not filters.collector_id else []
    legal = sum((r["amount"] for r in legal_rows), ZERO) if legal_rows else None
    total_amount = sum((r["amount"] for r in rows), ZERO) + (in_house["amount"] if in_house else ZERO)
    total_cost = sum((r["commission"] for r in rows), ZERO) + (legal or ZERO)
    return {"rows": rows, "in_house": in_house, "legal": legal, "legal_rows": legal_rows, "total_amount": total_amount,
            "total_cost": total_cost, "total_rate": ratio(total_cost, total_amount)}


# --- recovery plans ------------------------------------------------------------------------------


def plans_for(user):
    queryset = scope_queryset(user, RecoveryPlan.objects.select_related("collector", "branch"))
    if not sees_team(user):
        queryset = queryset.filter(collector=user)
    return queryset


@dataclass(frozen=True)
class PlanProgress:
    plan: RecoveryPlan
    as_of: date
    recovered: Decimal
    elapsed_days: int
    remaining_days: int
    daily_rate: Decimal
    run_rate_to_deadline: Decimal
    pending_promises: Decimal
    forecast: Decimal

    @property
    def achieved(self) -> Decimal | None:
        return ratio(self.recovered, self.plan.target)

    @property
    def forecast_rate(self) -> Decimal | None:
        return ratio(self.forecast, self.plan.target)

    @property
    def on_track(self) -> bool:
        return self.forecast >= self.plan.target

    @property
    def shortfall(self) -> Decimal:
        return max(self.plan.target - self.recovered, ZERO)


def month_parts(first: date, last: date, marks: dict[date, date]):
    """[first, last] as ("summary", month) for the whole months a summary counts from their first
    day (through ≤ last), and ("rows", a, b) for the days no summary counts."""
    day = first
    while day <= last:
        month_last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        end = min(month_last, last)
        through = marks.get(day) if day.day == 1 else None
        if through is not None and through <= end:
            yield ("summary", day)
            if through < end:
                yield ("rows", through + timedelta(days=1), end)
        else:
            yield ("rows", day, end)
        day = end + timedelta(days=1)


def recovered_sums(condition: Q, first: date, last: date, *, by: str | None = None) -> dict:
    """Recovered between first and last (inclusive) where `condition` holds (on owner_id, branch_id):
    {key of `by` (or None): amount}, whole months from RecoveryMonth, the other days from the rows."""
    if last < first:
        return {}
    marks = dict(RecoveryMonthMark.objects.filter(month__gte=first.replace(day=1), month__lte=last)
                 .values_list("month", "through"))
    totals: dict = defaultdict(lambda: ZERO)
    months, days = [], Q(pk__in=[])
    for part in month_parts(first, last, marks):
        if part[0] == "summary":
            months.append(part[1])
        else:
            days |= Q(day__gte=part[1], day__lte=part[2])
    sources = [(RecoveryMonth.objects.filter(condition, month__in=months), "amount")] if months else []
    sources.append((Recovery.objects.filter(condition).filter(days), "amount"))
    for queryset, column in sources:
        if by:
            for key, amount in queryset.values_list(by).annotate(total=MoneySum(column)).order_by():
                totals[key] += amount or ZERO
        else:
            totals[None] += queryset.aggregate(total=MoneySum(column))["total"] or ZERO
    return dict(totals)


def _plan_q(plan: RecoveryPlan) -> Q:
    """The plan's scope on collections.Recovery."""
    if plan.scope == PlanScope.COLLECTOR:
        return Q(owner_id=plan.collector_id)
    if plan.scope == PlanScope.TEAM:
        return _branch_q("", plan.branch_id)
    return Q()


def plan_progress(plan: RecoveryPlan, *, day: date) -> PlanProgress:
    """Recovered in the plan's scope from its start to `day` (or its deadline, if earlier); the run
    rate (recovered ÷ days elapsed) carried to the deadline; plus the pending promises falling due
    after `day` up to the deadline (amount less what is paid), in the plan's scope."""
    as_of = min(day, plan.deadline)
    recovered_sum = recovered_sums(_plan_q(plan), plan.period_start, as_of).get(None, ZERO)
    pending = ZERO
    if day < plan.deadline:
        if plan.scope == PlanScope.COLLECTOR:
            scope = Q(collector_id=plan.collector_id)
        elif plan.scope == PlanScope.TEAM:
            scope = _branch_q("case__", plan.branch_id)
        else:
            scope = Q()
        sums = Promise.objects.filter(scope, status=PromiseStatus.PENDING, promised_on__gt=day,
                                      promised_on__lte=plan.deadline).aggregate(
            amount=MoneySum("amount"), paid=MoneySum("paid"))
        pending = max((sums["amount"] or ZERO) - (sums["paid"] or ZERO), ZERO)
    return _progress(plan, day, recovered_sum, pending)


def _progress(plan: RecoveryPlan, day: date, recovered_sum: Decimal, pending: Decimal) -> PlanProgress:
    as_of = min(day, plan.deadline)
    elapsed = (as_of - plan.period_start).days + 1 if as_of >= plan.period_start else 0
    remaining = max((plan.deadline - max(day, plan.period_start - timedelta(days=1))).days, 0)
    daily = quantize(recovered_sum / elapsed) if elapsed else ZERO
    run_rate = quantize(recovered_sum / elapsed * remaining) if elapsed else ZERO
    pending = pending if remaining else ZERO
    return PlanProgress(plan=plan, as_of=as_of, recovered=recovered_sum, elapsed_days=elapsed,
                        remaining_days=remaining, daily_rate=daily, run_rate_to_deadline=run_rate,
                        pending_promises=pending, forecast=recovered_sum + run_rate + pending)


# --- the 回收报告 of a period ---------------------------------------------------------------------


def period_bounds(period: str, *, today: date) -> tuple[date, date, str]:
    """'2026-11' (a month) or '2026-Q4' (a quarter) → (first day, last day, the period's code);
    anything else: the month of `today`."""
    try:
        year_text, rest = period.split("-", 1)
        year = int(year_text)
        if rest.upper().startswith("Q"):
            quarter = int(rest[1:])
            if not 1 <= quarter <= 4:
                raise ValueError
            first = date(year, 3 * quarter - 2, 1)
            last_month = 3 * quarter
            return first, date(year, last_month, calendar.monthrange(year, last_month)[1]), f"{year}-Q{quarter}"
        month = int(rest)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), f"{year}-{month:02d}"
    except (ValueError, AttributeError):
        first = today.replace(day=1)
        return first, today.replace(day=calendar.monthrange(today.year, today.month)[1]), f"{today:%Y-%m}"


def plans_progress(plans, *, day: date) -> list[PlanProgress]:
    """plan_progress for many plans, the collector plans of the same dates in one grouped query each
    (recovered per collector, pending promises per collector) instead of two queries per plan."""
    plans = list(plans)
    batched: dict[tuple, list[RecoveryPlan]] = defaultdict(list)
    for plan in plans:
        if plan.scope == PlanScope.COLLECTOR:
            batched[(plan.period_start, plan.deadline)].append(plan)
    known: dict[int, PlanProgress] = {}
    for (start, deadline), group in batched.items():
        if len(group) < 2:
            continue
        collectors = [plan.collector_id for plan in group]
        as_of = min(day, deadline)
        sums = recovered_sums(Q(owner_id__in=collectors), start, as_of, by="owner_id")
        pending = {}
        if day < deadline:
            for row in Promise.objects.filter(collector_id__in=collectors, status=PromiseStatus.PENDING,
                                              promised_on__gt=day, promised_on__lte=deadline).values(
                    "collector_id").annotate(amount=MoneySum("amount"), paid=MoneySum("paid")).order_by():
                pending[row["collector_id"]] = max((row["amount"] or ZERO) - (row["paid"] or ZERO), ZERO)
        for plan in group:
            known[plan.pk] = _progress(plan, day, sums.get(plan.collector_id) or ZERO,
                                       pending.get(plan.collector_id, ZERO))
    return [known.get(plan.pk) or plan_progress(plan, day=day) for plan in plans]


def recovery_report(user, *, start: date, end: date, day: date) -> dict:
    """The plans overlapping [start, end] with their progress as of min(day, end), and what was
    recovered in the period by collector/agency, team (branch) and bucket."""
    plans = plans_for(user).filter(period_start__lte=end, deadline__gte=start)
    progress = plans_progress(plans, day=min(day, end))
    filters = effective(user, ReportFilters(start=start, end=min(end, day) if day >= start else end))
    recoveries = _recoveries(user, filters)
    by_branch = list(recoveries.values("branch_id", "branch__name").annotate(
        n=Count("id"), amount=MoneySum("amount")).order_by("-amount"))
    return {"plans": progress, "recovered": recovered(user, filters), "by_branch": by_branch,
            "target": sum((p.plan.target for p in progress), ZERO),
            "plans_recovered": sum((p.recovered for p in progress), ZERO)}
