"""The close's day step ``collections`` (order 40, before the reminders at 50), for closed day D,
set-based where the book is large (1,000,000 IOUs, 50,000 overdue; docs/domain.md §20):

1. open a case for every live IOU overdue on D without an open case (one read, bulk inserts, the
   numbers from a reserved block);
2. refresh every open case's days past due and bucket from its IOU (one UPDATE … SELECT) and its
   arrears (one UPDATE with the arrears subquery, ``collections.arrears``);
3. write a ``Recovery`` row for each of D's repayments on an IOU with a case: what it paid of the
   debt (the amount less any overpayment kept as credit; credit applied later is not counted again),
   and a negative row for a reversal on D of a repayment already counted; the agency's commission
   (amount × its rate, to the fen, half up) with it;
4. judge the promises due on or before D: the repayments between the contact's day and the
   promised date, kept if they reach the amount, partly kept if above 0, broken at 0; a broken
   promise escalates the case (``CollectionSettings.escalate_on_broken_promise``);
5. close the cases whose IOU is settled, written off or no longer overdue (cured);
6. move cases along the strategies: into the new bucket's strategy when the bucket rose to one
   the case's step is below, to the next step when its day came (not while a promise is pending),
   and escalate a case whose next action is more than ``missed_action_grace_days`` overdue;
7. give the unassigned cases out by the assignment rules;
8. priorities (1 high … 3 low) in one UPDATE.

A case about a receivables bill (往来账款, ``Case.bill``) is opened, refreshed and closed by the
receivables day step (order 42, ``ioudesk.receivables.cases``), which also writes its recoveries;
here it is only judged (its promises by the matches to the bill, ``collections.bills``), moved along
the strategies, escalated, assigned and prioritised like any case. Every IOU query below reads
IOU cases only (``iou__isnull=False``), so a bill case's arrears are never overwritten.

Idempotent: a second run for D finds nothing to open, judge, record (the Recovery rows are unique
per transaction) or move (the steps entered on D are not due again on D)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.aging import loan_bucket
from ioudesk.calc.money import quantize
from ioudesk.collections import selectors, services
from ioudesk.collections.arrears import arrears_subquery
from ioudesk.collections.bills import bill_matched
from ioudesk.collections.models import (
    BUCKETS,
    Agency,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseStatus,
    CloseReason,
    EventKind,
    Nature,
    Promise,
    PromiseStatus,
    Recovery,
)
from ioudesk.collections.strategies import Strategies, bucket_rank
from ioudesk.core import numbering
from ioudesk.core.fields import MoneyField
from ioudesk.ious.models import LIVE_STATUSES, Iou, PaymentSource, Status, Transaction, TransactionKind

BATCH = 1000
MONEY_IN = (TransactionKind.REPAYMENT, TransactionKind.RECOVERY)
HIGH_ARREARS, MEDIUM_ARREARS = Decimal("50000.00"), Decimal("10000.00")

# The day step's counts by code; the 日终 page shows them with these labels.
COUNT_LABELS = {
    "opened": _("立案"),
    "closed_cured": _("结案（逾期已还清）"),
    "closed_settled": _("结案（已结清）"),
    "closed_written_off": _("结案（已核销）"),
    "recoveries": _("回收笔数"),
    "promises_kept": _("承诺兑现"),
    "promises_partly_kept": _("承诺部分兑现"),
    "promises_broken": _("承诺未兑现"),
    "escalated": _("升级"),
    "stage_moved": _("进入下一步骤"),
    "assigned": _("按规则分案"),
    "unmatched": _("未匹配分案规则"),
}


def collections_day_step(*, day: dt.date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    counts: dict[str, int] = {}
    rows = _to_open(day)
    if not rows and not _anything_open(day):
        return counts
    if rows:
        if connection.in_atomic_block:  # called inside a transaction (a test): numbers from the counter row
            with transaction.atomic():
                counts["opened"] = _open(rows, day)
        else:
            with numbering.reserved_block(services.CASE_PREFIX, day, len(rows)), transaction.atomic():
                counts["opened"] = _open(rows, day)
    with transaction.atomic():
        settings = selectors.collection_settings()
        strategies = Strategies.load()
        raised = _refresh(day)
        counts["recoveries"] = _recoveries(day)
        counts.update(_promises(day, settings, strategies))
        counts.update(_close(day))
        counts["stage_moved"] = _bucket_moves(day, raised, strategies) + _timed_moves(day, strategies)
        counts["escalated"] = counts.get("escalated", 0) + _missed(day, settings, strategies)
        assigned = services.cases_assign_by_rules(Case.objects.filter(status=CaseStatus.OPEN, owner__isnull=True,
                                                                      agency__isnull=True), day=day)
        counts.update(assigned)
        priorities_update(settings)
    return {key: value for key, value in counts.items() if value}


def _anything_open(day: dt.date) -> bool:
    """A case open, a promise pending or a case closed on D (its repayments of D still count)."""
    return (Case.objects.filter(status=CaseStatus.OPEN).exists()
            or Promise.objects.filter(status=PromiseStatus.PENDING).exists()
            or Case.objects.filter(closed_on__gte=day).exists())


# --- 1. open --------------------------------------------------------------------------------------

def _to_open(day: dt.date) -> list[tuple]:
    open_case = Case.objects.filter(iou_id=OuterRef("pk"), status=CaseStatus.OPEN)
    return list(Iou.objects.filter(status__in=LIVE_STATUSES, days_past_due__gt=0).exclude(Exists(open_case))
                .order_by("pk").values_list("pk", "customer_id", "branch_id", "debt_reason", "bucket", "days_past_due"))


def _open(rows: list[tuple], day: dt.date) -> int:
    strategies = Strategies.load()  # its own transaction: read again in the main one
    now = selectors.close_moment(day)
    opened = 0
    for start in range(0, len(rows), BATCH):
        cases = []
        for pk, customer_id, branch_id, reason, bucket, dpd in rows[start:start + BATCH]:
            bucket = bucket if bucket in BUCKETS else loan_bucket(dpd)
            case = Case(number=numbering.next_number(prefix=services.CASE_PREFIX, day=day), iou_id=pk,
                        customer_id=customer_id, branch_id=branch_id,
                        nature=services.NATURES.get(reason, Nature.OTHER), opened_on=day, bucket=bucket,
                        days_past_due=dpd)
            services.enter_step(case, strategies.first_step(bucket), day)
            cases.append(case)
        Case.objects.bulk_create(cases)
        if any(case.pk is None for case in cases):  # a backend without RETURNING: read the ids back
            ids = dict(Case.objects.filter(number__in=[c.number for c in cases]).values_list("number", "pk"))
            for case in cases:
                case.pk = case.id = ids[case.number]
        CaseEvent.objects.bulk_create([CaseEvent(case=case, at=now, kind=EventKind.OPENED, text=(
            _g("逾期 %(dpd)s 天（%(bucket)s），日终立案") % {"dpd": case.days_past_due, "bucket": case.bucket}))
            for case in cases])
        opened += len(cases)
    return opened


# --- 2. refresh -----------------------------------------------------------------------------------

def _refresh(day: dt.date) -> list[tuple[int, str]]:
    """Days past due, bucket and arrears of every open case; returns the cases whose bucket rose."""
    still = Case.objects.filter(status=CaseStatus.OPEN, iou__isnull=False, iou__days_past_due__gt=0)
    changed = list(still.exclude(bucket=F("iou__bucket")).values_list("pk", "bucket", "iou__bucket"))
    iou = Iou.objects.filter(pk=OuterRef("iou_id"))
    still.filter(~Q(days_past_due=F("iou__days_past_due")) | ~Q(bucket=F("iou__bucket"))).update(
        days_past_due=Subquery(iou.values("days_past_due")[:1]), bucket=Subquery(iou.values("bucket")[:1]))
    Case.objects.filter(status=CaseStatus.OPEN, iou__isnull=False).update(arrears=arrears_subquery(day))
    return [(pk, new) for pk, old, new in changed if bucket_rank(new) > bucket_rank(old)]


# --- 3. recoveries --------------------------------------------------------------------------------

def _case_of(iou_ids, day: dt.date) -> dict[int, tuple]:
    rows = (Case.objects.filter(iou_id__in=[pk for pk in iou_ids if pk is not None], opened_on__lte=day)
            .filter(Q(status=CaseStatus.OPEN) | Q(closed_on__gte=day)).order_by("iou_id", "pk")
            .values_list("iou_id", "pk", "branch_id", "owner_id", "agency_id", "bucket"))
    return {iou_id: rest for iou_id, *rest in rows}


def _recoveries(day: dt.date) -> int:
    with_case = Case.objects.filter(Q(status=CaseStatus.OPEN) | Q(closed_on__gte=day), opened_on__lte=day,
                                    iou__isnull=False).values("iou_id")
    money = list(Transaction.objects.filter(day=day, kind__in=MONEY_IN, iou_id__in=with_case)
                 .exclude(source=PaymentSource.CREDIT).exclude(collection_recovery__isnull=False)
                 .annotate(applied=ExpressionWrapper(F("amount") - F("overpayment"), output_field=MoneyField())).values_list("pk", "iou_id", "applied"))
    reversals = list(Transaction.objects.filter(day=day, kind=TransactionKind.REVERSAL,
                                                reverses__collection_recovery__isnull=False)
                     .exclude(collection_recovery__isnull=False)
                     .values_list("pk", "iou_id", "reverses__collection_recovery__amount"))
    if not money and not reversals:
        return 0
    cases = _case_of({iou for _pk, iou, _a in money + reversals}, day)
    rates = dict(Agency.objects.values_list("pk", "commission_rate"))
    rows = []
    for pk, iou_id, amount in money + [(pk, iou, -amount) for pk, iou, amount in reversals]:
        found = cases.get(iou_id)
        if found is None:
            continue
        case_id, branch_id, owner_id, agency_id, bucket = found
        commission = quantize(amount * rates[agency_id]) if agency_id else Decimal("0.00")
        rows.append(Recovery(case_id=case_id, iou_id=iou_id, transaction_id=pk, branch_id=branch_id, day=day,
                             amount=amount, owner_id=owner_id, agency_id=agency_id, bucket=bucket,
                             commission=commission))
    Recovery.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


# --- 4. promises ----------------------------------------------------------------------------------

def _promises(day: dt.date, settings, strategies: Strategies) -> dict[str, int]:
    due = list(Promise.objects.filter(status=PromiseStatus.PENDING, promised_on__lte=day)
               .select_related("record").order_by("pk"))
    if not due:
        return {}
    windows = {p.pk: (min(selectors.beijing_date(p.record.contacted_at), p.promised_on), p.promised_on) for p in due}
    first = min(start for start, _end in windows.values())
    ious = {p.iou_id for p in due if p.iou_id is not None}
    paid_rows = list(Transaction.objects.filter(iou_id__in=ious, kind__in=MONEY_IN,
                                                day__gte=first, day__lte=day, reversed_by__isnull=True)
                     .exclude(source=PaymentSource.CREDIT).values_list("iou_id", "day", "amount")) if ious else []
    # what a promise counts: ("iou", id) → repayments; ("bill", id) → the matches (核销) to the bill
    by_debt: dict[tuple, list] = {}
    for iou_id, on, amount in paid_rows:
        by_debt.setdefault(("iou", iou_id), []).append((on, amount))
    bill_of = dict(Case.objects.filter(pk__in={p.case_id for p in due if p.iou_id is None})
                   .values_list("pk", "bill_id")) if any(p.iou_id is None for p in due) else {}
    for bill_id, on, amount in bill_matched(set(bill_of.values()), first, day):
        by_debt.setdefault(("bill", bill_id), []).append((on, amount))
    now = selectors.close_moment(day)
    counts = {"promises_kept": 0, "promises_partly_kept": 0, "promises_broken": 0}
    events, broken_cases = [], set()
    for promise in due:
        start, end = windows[promise.pk]
        debt = ("iou", promise.iou_id) if promise.iou_id is not None else ("bill", bill_of.get(promise.case_id))
        paid = sum((a for on, a in by_debt.get(debt, []) if start <= on <= end), Decimal("0.00"))
        promise.paid, promise.checked_on = paid, day
        label = {"on": promise.promised_on.isoformat(), "amount": f"{promise.amount:,.2f}", "paid": f"{paid:,.2f}"}
        if paid >= promise.amount:
            promise.status = PromiseStatus.KEPT
            events.append(CaseEvent(case_id=promise.case_id, at=now, kind=EventKind.PROMISE_KEPT,
                                    text=_g("承诺 %(on)s 还款 ¥%(amount)s：已兑现（已还 ¥%(paid)s）") % label))
        elif paid > 0:
            promise.status = PromiseStatus.PARTLY_KEPT
            events.append(CaseEvent(case_id=promise.case_id, at=now, kind=EventKind.PROMISE_KEPT,
                                    text=_g("承诺 %(on)s 还款 ¥%(amount)s：部分兑现（已还 ¥%(paid)s）") % label))
        else:
            promise.status = PromiseStatus.BROKEN
            broken_cases.add(promise.case_id)
            events.append(CaseEvent(case_id=promise.case_id, at=now, kind=EventKind.PROMISE_BROKEN,
                                    text=_g("承诺 %(on)s 还款 ¥%(amount)s：未兑现") % label))
        counts[f"promises_{promise.status}"] += 1
    Promise.objects.bulk_update(due, ["status", "paid", "checked_on"], batch_size=BATCH)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
    case_ids = {p.case_id for p in due}
    dates = services.pending_promise_dates(case_ids)
    by_date: dict = {}
    for pk in case_ids:
        by_date.setdefault(dates.get(pk), []).append(pk)
    for due_on, ids in by_date.items():
        for start in range(0, len(ids), 900):
            Case.objects.filter(pk__in=ids[start:start + 900]).update(promise_due_on=due_on)
    cases = Case.objects.in_bulk(list(case_ids))
    if settings.escalate_on_broken_promise and broken_cases:
        escalate = [c for pk, c in cases.items() if pk in broken_cases and c.status == CaseStatus.OPEN and not c.legal]
        counts["escalated"] = services.escalate(escalate, day=day, reason=_g("承诺未兑现"), strategies=strategies)
    return counts


# --- 5. close -------------------------------------------------------------------------------------

def _close(day: dt.date) -> dict[str, int]:
    """One read of the open cases whose IOU is settled, written off or no longer overdue."""
    found = (Case.objects.filter(status=CaseStatus.OPEN, iou__isnull=False)
             .filter(Q(iou__status__in=[Status.SETTLED, Status.WRITTEN_OFF])
                     | Q(iou__status__in=LIVE_STATUSES, iou__days_past_due=0))
             .values_list("pk", "iou__status"))
    groups: dict[str, list[int]] = {}
    for pk, status in found:
        reason = {Status.SETTLED: CloseReason.SETTLED, Status.WRITTEN_OFF: CloseReason.WRITTEN_OFF}.get(
            status, CloseReason.CURED)
        groups.setdefault(reason, []).append(pk)
    now = selectors.close_moment(day)
    counts = {}
    for reason, ids in groups.items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            Case.objects.filter(pk__in=chunk).update(status=CaseStatus.CLOSED, close_reason=reason, closed_on=day,
                                                     next_action="", next_action_due=None, updated_at=now)
            CaseAssignment.objects.filter(case_id__in=chunk, ended_at__isnull=True).update(ended_at=now)
            CaseEvent.objects.bulk_create([CaseEvent(case_id=pk, at=now, kind=EventKind.CLOSED,
                                                     text=str(CloseReason(reason).label)) for pk in chunk])
        counts[f"closed_{reason}"] = len(ids)
    return counts


# --- 6. strategies --------------------------------------------------------------------------------

def _enter(cases: list[Case], step_for, day: dt.date, text) -> int:
    now = selectors.close_moment(day)
    events, by_step, steps, texts = [], {}, {}, {}
    for case in cases:
        step = step_for(case)
        by_step.setdefault(step.pk, []).append(case.pk)
        steps[step.pk] = step
        if step.pk not in texts:
            texts[step.pk] = text(case, step)[:300]  # the same for every case entering the step
        events.append(CaseEvent(case_id=case.pk, at=now, kind=EventKind.STAGE, text=texts[step.pk]))
    for step_id, ids in by_step.items():
        services.steps_update(ids, steps[step_id], day)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
    return len(cases)


def _step_text(case, step) -> str:
    return _g("进入 %(bucket)s 策略第%(order)s步：%(action)s") % {
        "bucket": step.strategy.bucket, "order": step.order, "action": step.get_action_display()}


def _bucket_moves(day: dt.date, raised: list[tuple[int, str]], strategies: Strategies) -> int:
    """Cases whose bucket rose into a strategy above their step's (or without a step yet)."""
    moving = []
    new_bucket = dict(raised)
    without_stage = list(Case.objects.filter(status=CaseStatus.OPEN, stage__isnull=True,
                                             bucket__in=list(strategies.by_bucket)).values_list("pk", "bucket"))
    new_bucket.update(without_stage)
    if not new_bucket:
        return 0
    cases = Case.objects.filter(pk__in=list(new_bucket), status=CaseStatus.OPEN).only("id", "bucket", "stage_id")
    for case in cases:
        target = strategies.first_step(case.bucket)
        if target is None:
            continue
        current = strategies.step_by_id.get(case.stage_id) if case.stage_id else None
        if current is not None and (current.strategy_id == target.strategy_id
                                    or strategies.strategy_rank(current) >= strategies.strategy_rank(target)):
            continue
        moving.append(case)
    return _enter(moving, lambda case: strategies.first_step(case.bucket), day, _step_text)


def _timed_moves(day: dt.date, strategies: Strategies) -> int:
    """Cases at a step whose next step's day has come (one read; not while a promise is pending)."""
    following = {pk: strategies.next_step(step) for pk, step in strategies.step_by_id.items()}
    following = {pk: step for pk, step in following.items() if step is not None}
    if not following:
        return 0
    candidates = Case.objects.filter(status=CaseStatus.OPEN, stage_id__in=list(following), promise_due_on__isnull=True,
                                     stage_since__lte=day - dt.timedelta(days=min(f.after_days for f in following.values()))
                                     ).only("id", "stage_id", "stage_since")
    moving = [case for case in candidates
              if case.stage_since <= day - dt.timedelta(days=following[case.stage_id].after_days)]
    if not moving:
        return 0
    return _enter(moving, lambda case: following[case.stage_id], day, _step_text)


def _missed(day: dt.date, settings, strategies: Strategies) -> int:
    cutoff = selectors.day_start(day - dt.timedelta(days=settings.missed_action_grace_days))
    cases = list(Case.objects.filter(status=CaseStatus.OPEN, legal=False, promise_due_on__isnull=True,
                                     next_action_due__lt=cutoff).exclude(next_action=""))
    if not cases:
        return 0
    return services.escalate(cases, day=day, reason=_g("未按时行动"), strategies=strategies)


def bucket_moves(day: dt.date, raised: list[tuple[int, str]], strategies: Strategies) -> int:
    """Step 6's bucket moves for cases whose bucket rose elsewhere (the receivables day step's bill cases)."""
    return _bucket_moves(day, raised, strategies)


# --- 8. priorities --------------------------------------------------------------------------------

def priorities_update(settings, cases=None) -> None:
    """Every open case's priority (or those of ``cases``, a queryset), in one UPDATE."""
    long_days = settings.long_overdue_days
    high = Q(escalation_level__gte=2) | Q(days_past_due__gt=long_days) | Q(arrears__gte=HIGH_ARREARS)
    medium = Q(escalation_level__gte=1) | Q(days_past_due__gt=30) | Q(arrears__gte=MEDIUM_ARREARS)
    expression = SqlCase(When(high, then=Value(1)), When(medium, then=Value(2)), default=Value(3),
                         output_field=IntegerField())
    queryset = Case.objects.all() if cases is None else cases
    (queryset.filter(status=CaseStatus.OPEN).alias(computed=expression).exclude(priority=F("computed"))
     .update(priority=expression))

