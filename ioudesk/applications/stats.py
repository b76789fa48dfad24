"""审批统计 (docs/domain.md §24): what the approval flows decided and how fast, for the statistics page.

Here rather than in approvals because it reads the applications too (approvals never imports
applications). Everything is scoped to the user's branches and to a period of dates:

* **outcomes** — the approval requests submitted in the period, per kind: approved, rejected,
  withdrawn, still open; approval rate = approved ÷ (approved + rejected), the rejection rate the
  rest; how many had a counter-offer or were returned for more information; the average time from
  submission to the final decision;
* **rejection reasons** — the applications rejected by a knock-out screening rule, per rule, and the
  requests rejected by an approver, per kind (with the latest comments);
* **time to decision per step and per approver** — the tasks acted on in the period: count,
  average, median and longest time from the task's creation to the decision, late ones (after
  the step's time limit);
* **backlog by age** — the tasks waiting now, by how long they have waited (under 1 day, 1–3,
  3–7, over 7 days), and how many are past their time limit;
* **conversion** — the applications made in the period: submitted → approved (or a counter-offer)
  → disbursed, with the amounts;
* **by month** — the 12 months up to the period's end: applications submitted, approved,
  rejected, disbursed, and approval requests submitted, approved, rejected.

Rates are percentages to 0.01 (half-up, calc.rates.percent); times in hours to 0.1.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from ioudesk.applications.models import Application, Status
from ioudesk.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalTask,
    DecisionKind,
    RequestStatus,
    TaskState,
)
from ioudesk.approvals.registry import kind_for
from ioudesk.calc.money import ZERO, round_places
from ioudesk.calc.rates import percent
from ioudesk.core import scope

APPROVED_LIKE = (Status.APPROVED, Status.OFFERED, Status.ACCEPTED, Status.DISBURSED)
ACTED = (TaskState.APPROVED, TaskState.REJECTED, TaskState.RETURNED)
BACKLOG_BUCKETS = (("lt1", 0, 1), ("1to3", 1, 3), ("3to7", 3, 7), ("gt7", 7, None))
HOUR = Decimal(3600)


@dataclass(frozen=True)
class StatsFilters:
    start: date
    end: date
    branch_id: int | None = None
    kind: str | None = None


def ratio(part, whole) -> Decimal | None:
    """part ÷ whole as a percentage to 0.01, or None when there is nothing to divide by."""
    return percent(Decimal(part) / Decimal(whole)) if whole else None


def hours(seconds: float | Decimal | None) -> Decimal | None:
    if seconds is None:
        return None
    return round_places(Decimal(str(seconds)) / HOUR, 1)


def kind_label(code: str) -> str:
    kind = kind_for(code)
    return str(kind.label) if kind else code


def _bounds(filters: StatsFilters) -> tuple[datetime, datetime]:
    """The period as aware datetimes in the local time zone: [start 00:00, end + 1 day 00:00)."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(filters.start, datetime.min.time(), zone),
            datetime.combine(filters.end + timedelta(days=1), datetime.min.time(), zone))


def _requests(user, filters: StatsFilters, *, kind: bool = True):
    qs = scope.scope_queryset(user, ApprovalRequest.objects.all(), "branch")
    if filters.branch_id:
        qs = qs.filter(branch_id=filters.branch_id)
    if kind and filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


def _applications(user, filters: StatsFilters):
    qs = scope.scope_queryset(user, Application.objects.all(), "branch")
    if filters.branch_id:
        qs = qs.filter(branch_id=filters.branch_id)
    return qs


# --- outcomes ------------------------------------------------------------------------------------


@dataclass
class OutcomeRow:
    kind: str
    label: str
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    cancelled: int = 0
    open: int = 0
    counter_offers: int = 0
    returned: int = 0
    durations: list = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_rate(self) -> Decimal | None:
        return ratio(self.approved, self.decided)

    @property
    def rejection_rate(self) -> Decimal | None:
        return ratio(self.rejected, self.decided)

    @property
    def average_hours(self) -> Decimal | None:
        return hours(statistics.fmean(self.durations)) if self.durations else None


def outcomes(user, filters: StatsFilters) -> dict:
    low, high = _bounds(filters)
    requests = list(_requests(user, filters).filter(created_at__gte=low, created_at__lt=high)
                    .values("pk", "kind", "status", "created_at", "decided_at"))
    flagged = defaultdict(set)
    for request_id, decision in ApprovalDecision.objects.filter(
            request_id__in=[r["pk"] for r in requests],
            decision__in=[DecisionKind.COUNTER_OFFER, DecisionKind.RETURN]).values_list("request_id", "decision"):
        flagged[decision].add(request_id)
    rows: dict[str, OutcomeRow] = {}
    total = OutcomeRow(kind="", label="")
    for r in requests:
        row = rows.setdefault(r["kind"], OutcomeRow(kind=r["kind"], label=kind_label(r["kind"])))
        for target in (row, total):
            target.submitted += 1
            if r["status"] == RequestStatus.APPROVED:
                target.approved += 1
            elif r["status"] == RequestStatus.REJECTED:
                target.rejected += 1
            elif r["status"] == RequestStatus.CANCELLED:
                target.cancelled += 1
            else:
                target.open += 1
            target.counter_offers += r["pk"] in flagged[DecisionKind.COUNTER_OFFER]
            target.returned += r["pk"] in flagged[DecisionKind.RETURN]
            if r["decided_at"] and r["status"] in (RequestStatus.APPROVED, RequestStatus.REJECTED):
                target.durations.append((r["decided_at"] - r["created_at"]).total_seconds())
    return {"rows": sorted(rows.values(), key=lambda row: (-row.submitted, row.label)), "total": total}


# --- rejection reasons ---------------------------------------------------------------------------


def _example(examples: list[str], text: str) -> None:
    """Up to three different examples of a reason."""
    if text and text not in examples and len(examples) < 3:
        examples.append(text)


def rejection_reasons(user, filters: StatsFilters) -> dict:
    low, high = _bounds(filters)
    counts: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    if not filters.kind or filters.kind == "application":
        for result in _applications(user, filters).filter(
                status=Status.REJECTED, created_at__gte=low, created_at__lt=high).values_list(
                "screening_result", flat=True):
            if not (result or {}).get("knocked_out"):
                continue
            for outcome in result.get("outcomes") or []:
                if outcome.get("knock_out") and not outcome.get("passed"):
                    reason = f"初筛：{outcome.get('label')}"
                    counts[reason] += 1
                    _example(examples[reason], outcome.get("detail") or "")
    rejected = _requests(user, filters).filter(status=RequestStatus.REJECTED, created_at__gte=low,
                                               created_at__lt=high)
    comments = dict(ApprovalDecision.objects.filter(request__in=rejected, decision=DecisionKind.REJECT)
                    .order_by("at", "pk").values_list("request_id", "comment"))
    for pk, kind in rejected.order_by("-created_at").values_list("pk", "kind"):
        reason = f"审批驳回：{kind_label(kind)}"
        counts[reason] += 1
        _example(examples[reason], comments.get(pk) or "")
    total = sum(counts.values())
    rows = [{"reason": reason, "count": n, "share": ratio(n, total), "examples": examples[reason]}
            for reason, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return {"rows": rows, "total": total}


# --- time to decision ----------------------------------------------------------------------------


@dataclass
class TimeRow:
    key: tuple
    label: str
    kind_label: str = ""
    count: int = 0
    approved: int = 0
    rejected: int = 0
    returned: int = 0
    late: int = 0
    seconds: list = field(default_factory=list, repr=False)

    def add(self, task) -> None:
        self.count += 1
        self.approved += task.state == TaskState.APPROVED
        self.rejected += task.state == TaskState.REJECTED
        self.returned += task.state == TaskState.RETURNED
        self.late += bool(task.due_at and task.acted_at > task.due_at)
        self.seconds.append((task.acted_at - task.created_at).total_seconds())

    @property
    def average_hours(self):
        return hours(statistics.fmean(self.seconds)) if self.seconds else None

    @property
    def median_hours(self):
        return hours(statistics.median(self.seconds)) if self.seconds else None

    @property
    def longest_hours(self):
        return hours(max(self.seconds)) if self.seconds else None


def decision_times(user, filters: StatsFilters) -> dict:
    low, high = _bounds(filters)
    tasks = (ApprovalTask.objects.filter(request__in=_requests(user, filters), state__in=ACTED,
                                         acted_at__gte=low, acted_at__lt=high)
             .select_related("step", "assignee", "request").order_by("request__kind", "step_order", "pk"))
    steps: dict[tuple, TimeRow] = {}
    people: dict[int, TimeRow] = {}
    for task in tasks:
        kind = task.request.kind
        name = task.step.name if task.step else f"第{task.step_order}步"
        step = steps.setdefault((kind, task.step_order, name), TimeRow(
            key=(kind, task.step_order), label=f"{task.step_order}. {name}", kind_label=kind_label(kind)))
        step.add(task)
        person = people.setdefault(task.assignee_id, TimeRow(
            key=(task.assignee_id,), label=task.assignee.get_full_name() or task.assignee.username))
        person.add(task)
    return {"steps": list(steps.values()),
            "approvers": sorted(people.values(), key=lambda row: (-row.count, row.label))}


# --- backlog -------------------------------------------------------------------------------------


def backlog(user, filters: StatsFilters, *, now: datetime | None = None) -> dict:
    """The tasks waiting for a decision now (the period does not apply: a backlog is today's)."""
    now = now or timezone.now()
    waiting = ApprovalTask.objects.filter(request__in=_requests(user, filters), state=TaskState.PENDING,
                                          request__status=RequestStatus.PENDING).select_related("request")
    buckets = {code: 0 for code, _low, _high in BACKLOG_BUCKETS}
    by_kind: Counter = Counter()
    late, oldest = 0, None
    for task in waiting:
        days = (now - task.created_at).total_seconds() / 86400
        for code, low, high in BACKLOG_BUCKETS:
            if days >= low and (high is None or days < high):
                buckets[code] += 1
                break
        by_kind[kind_label(task.request.kind)] += 1
        late += bool(task.due_at and task.due_at < now)
        oldest = task.created_at if oldest is None or task.created_at < oldest else oldest
    return {"buckets": buckets, "total": sum(buckets.values()), "late": late,
            "by_kind": sorted(by_kind.items(), key=lambda item: (-item[1], item[0])),
            "oldest_days": None if oldest is None else int((now - oldest).total_seconds() // 86400)}


# --- conversion ----------------------------------------------------------------------------------


def conversion(user, filters: StatsFilters) -> dict:
    low, high = _bounds(filters)
    made = _applications(user, filters).filter(created_at__gte=low, created_at__lt=high)
    rows = list(made.values("status", "amount", "submitted_at", "iou__principal", "iou__disbursed_on",
                            "screening_result"))
    submitted = [r for r in rows if r["submitted_at"] or r["status"] not in (Status.DRAFT, Status.WITHDRAWN)]
    approved = [r for r in rows if r["status"] in APPROVED_LIKE or r["iou__principal"] is not None]
    disbursed = [r for r in rows if r["status"] == Status.DISBURSED or r["iou__disbursed_on"]]
    knocked_out = [r for r in rows if r["status"] == Status.REJECTED and (r["screening_result"] or {}).get(
        "knocked_out")]
    rejected = [r for r in rows if r["status"] == Status.REJECTED]

    def amount(items, key):
        return sum((r[key] for r in items if r[key] is not None), ZERO)

    return {
        "created": len(rows), "submitted": len(submitted), "knocked_out": len(knocked_out),
        "rejected": len(rejected), "approved": len(approved), "disbursed": len(disbursed),
        "submitted_amount": amount(submitted, "amount"), "approved_amount": amount(approved, "iou__principal"),
        "disbursed_amount": amount(disbursed, "iou__principal"),
        "approval_rate": ratio(len(approved), len(submitted)),
        "disbursement_rate": ratio(len(disbursed), len(approved)),
        "overall_rate": ratio(len(disbursed), len(submitted)),
    }


# --- by month ------------------------------------------------------------------------------------


def months_to(end: date, count: int = 12) -> list[date]:
    """The first days of the ``count`` months up to ``end``'s month, oldest first."""
    year, month, result = end.year, end.month, []
    for _n in range(count):
        result.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result[::-1]


def by_month(user, filters: StatsFilters) -> list[dict]:
    months = months_to(filters.end)
    low = datetime.combine(months[0], datetime.min.time(), timezone.get_current_timezone())
    high = _bounds(filters)[1]
    rows = {m: {"month": m, "submitted": 0, "approved": 0, "rejected": 0, "disbursed": 0, "requests": 0,
                "requests_approved": 0, "requests_rejected": 0} for m in months}

    def bump(moment, key):
        if moment is None or not key:
            return
        day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
        first = day.replace(day=1)
        if first in rows:
            rows[first][key] += 1

    applications = _applications(user, filters) if not filters.kind or filters.kind == "application" else None
    if applications is not None:
        for submitted_at, decided_at, status, disbursed_on in applications.filter(
                Q(submitted_at__gte=low) | Q(decided_at__gte=low) | Q(iou__disbursed_on__gte=months[0])).values_list(
                "submitted_at", "decided_at", "status", "iou__disbursed_on"):
            if submitted_at and submitted_at < high:
                bump(submitted_at, "submitted")
            if decided_at and decided_at < high:
                bump(decided_at, "approved" if status in APPROVED_LIKE else
                     "rejected" if status == Status.REJECTED else "")
            if disbursed_on and disbursed_on <= filters.end:
                bump(disbursed_on, "disbursed")
    for created_at, decided_at, status in _requests(user, filters).filter(
            Q(created_at__gte=low) | Q(decided_at__gte=low)).values_list("created_at", "decided_at", "status"):
        if created_at < high:
            bump(created_at, "requests")
        if decided_at and decided_at < high and status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
            bump(decided_at, "requests_approved" if status == RequestStatus.APPROVED else "requests_rejected")
    return list(rows.values())


def approval_stats(user, filters: StatsFilters, *, now: datetime | None = None) -> dict:
    """Everything the 审批统计 page shows, for the user's branches and the filters."""
    return {"outcomes": outcomes(user, filters), "reasons": rejection_reasons(user, filters),
            "times": decision_times(user, filters), "backlog": backlog(user, filters, now=now),
            "conversion": conversion(user, filters), "months": by_month(user, filters)}
