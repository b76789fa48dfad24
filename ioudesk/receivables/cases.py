"""Overdue receivables bills become collection cases (往来账款转催收, docs/domain.md §26): the day step
``receivables`` (order 42, after the collections step at 40), for closed day D, set-based:

1. days past due of every open item (``BillDue.days_past_due`` = D − due date when due before D,
   else 0), in one UPDATE per direction of change (the database's own date arithmetic);
2. open a case for every open receivable bill whose oldest open item is overdue ≥
   ``ReceivablesSettings.case_after_days`` and that has no open case: customer, branch, nature from
   the bill (goods/services; 货款及服务费 counts as goods), arrears = the bill's overdue open amount
   (the open items due on or before D, as collections counts an IOU's installments), days past due
   and bucket (M1 … M7+) from the oldest overdue item; the numbers from a reserved block, the
   strategy's first step, a case event, a bill event (转催收); then the new cases are given out by
   the collections assignment rules;
3. refresh every open bill case (days past due, bucket, arrears: one UPDATE with subqueries) and
   move those whose bucket rose along the strategies (collections' bucket moves);
4. a ``collections.Recovery`` row per match (核销) on D to a bill with a case (the agency's commission
   with it), and a negative row for a match undone since;
5. close the bill cases whose bill is paid (已结清; 已红字冲销 when credit notes, not money, cleared
   it), void (单据已作废) or no longer overdue (逾期已还清);
6. priorities of the bill cases (collections' rule).

IOU cases are not touched here (every query names ``bill``). Idempotent: a second run for D finds
nothing to open, the Recovery rows are unique per match, the UPDATEs set the same values.

``register()`` gives collections what it asks about a bill (``collections.bills``: the overdue amount,
the matches that judge a bill case's promise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.aging import LOAN_BUCKET_BOUNDS, loan_bucket
from ioudesk.calc.money import quantize
from ioudesk.collections import bills as collection_bills
from ioudesk.collections import daystep as collection_daystep
from ioudesk.collections import selectors as collection_selectors
from ioudesk.collections import services as collection_services
from ioudesk.collections.models import (
    BUCKETS,
    Agency,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseStatus,
    CloseReason,
    EventKind,
    Recovery,
)
from ioudesk.collections.models import Nature as CaseNature
from ioudesk.collections.strategies import Strategies, bucket_rank
from ioudesk.core import numbering
from ioudesk.core.fields import MoneyField
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillDue,
    BillEvent,
    BillEventKind,
    BillStatus,
    Direction,
    DueStatus,
    Nature,
    ReceivablesSettings,
)

BATCH = 1000
ZERO = Decimal("0.00")
NATURES = {Nature.GOODS: CaseNature.GOODS, Nature.SERVICES: CaseNature.SERVICES, Nature.MIXED: CaseNature.GOODS}

COUNT_LABELS = {
    "items_overdue": _("逾期未结明细"),
    "cases_opened": _("单据转催收立案"),
    "cases_closed_cured": _("单据案件结案（逾期已还清）"),
    "cases_closed_settled": _("单据案件结案（已结清）"),
    "cases_closed_credited": _("单据案件结案（已红字冲销）"),
    "cases_closed_void": _("单据案件结案（单据已作废）"),
    "recoveries": _("单据回收笔数"),
    "assigned": _("单据案件按规则分案"),
    "unmatched": _("单据案件未匹配分案规则"),
    "stage_moved": _("单据案件进入下一步骤"),
}


def receivables_settings() -> ReceivablesSettings:
    """The organisation's receivables settings (an unsaved default row when none was made yet)."""
    return ReceivablesSettings.objects.order_by("id").first() or ReceivablesSettings()


# --- what collections asks ------------------------------------------------------------------------

def overdue_amounts(bill_ids, day: dt.date) -> dict[int, Decimal]:
    """Each bill's open amount due on or before ``day`` (bills owing nothing overdue are absent)."""
    rows = (BillDue.objects.filter(bill_id__in=list(bill_ids), status=DueStatus.OPEN, due_date__lte=day)
            .order_by().values("bill_id").annotate(total=Sum("open_amount", output_field=MoneyField())))
    return {row["bill_id"]: row["total"] for row in rows if row["total"]}


def matches_between(bill_ids, first: dt.date, last: dt.date) -> list[tuple[int, dt.date, Decimal]]:
    """The matches (核销) to these bills' open items from ``first`` to ``last``, not undone."""
    return list(Allocation.objects.filter(due__bill_id__in=list(bill_ids), undone=False, day__gte=first,
                                          day__lte=last).values_list("due__bill_id", "day", "amount"))


def register() -> None:
    collection_bills.register_bill_source(collection_bills.BillSource(overdue=overdue_amounts,
                                                                      matched=matches_between))


# --- 1. days past due -----------------------------------------------------------------------------

def _days_between_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return "(%s::date - due_date)"
    return "CAST(julianday(%s) - julianday(due_date) AS INTEGER)"


def days_past_due_refresh(day: dt.date) -> int:
    """Every open item's days past due for closed day ``day``: per direction, one UPDATE of the overdue
    ones (an index range: direction, status, due date before D) and one putting back 0 where an item is
    not overdue (the business date moved back); returns the open items overdue."""
    table = connection.ops.quote_name(BillDue._meta.db_table)
    days = _days_between_sql(connection.vendor)
    value = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        for direction in Direction.values:
            cursor.execute(f"UPDATE {table} SET days_past_due = {days} WHERE direction = %s AND status = %s "
                           f"AND due_date < %s AND days_past_due <> {days}",
                           [value, direction, DueStatus.OPEN, value, value])
            cursor.execute(f"UPDATE {table} SET days_past_due = 0 WHERE direction = %s AND status = %s "
                           f"AND due_date >= %s AND days_past_due <> 0", [direction, DueStatus.OPEN, value])
    return BillDue.objects.filter(direction__in=Direction.values, status=DueStatus.OPEN, due_date__lt=day).count()


# --- 2. open --------------------------------------------------------------------------------------

def _overdue_of_bill(day: dt.date):
    return (BillDue.objects.filter(bill_id=OuterRef("bill_id"), status=DueStatus.OPEN, due_date__lte=day).order_by()
            .values("bill_id").annotate(total=Sum("open_amount", output_field=MoneyField())).values("total")[:1])


def _dpd_of_bill():
    return (BillDue.objects.filter(bill_id=OuterRef("bill_id"), status=DueStatus.OPEN).order_by()
            .values("bill_id").annotate(most=Max("days_past_due")).values("most")[:1])


def _to_open(day: dt.date, after_days: int) -> list[tuple]:
    """(bill id, customer id, branch id, nature, days past due, overdue amount) of every open receivable
    bill overdue ≥ ``after_days`` without an open case, oldest first."""
    open_case = Case.objects.filter(bill_id=OuterRef("bill_id"), status=CaseStatus.OPEN)
    # overdue ≥ after_days at the close of D: due on or before D − after_days (an index range, not a
    # read of every open item)
    rows = (BillDue.objects.filter(direction=Direction.RECEIVABLE, status=DueStatus.OPEN,
                                   due_date__lte=day - dt.timedelta(days=max(after_days, 1)),
                                   bill__status=BillStatus.OPEN)
            .exclude(Exists(open_case)).order_by().values("bill_id").annotate(dpd=Max("days_past_due"))
            .values_list("bill_id", "dpd"))
    most = dict(rows)
    if not most:
        return []
    result = []
    ids = sorted(most)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        owed = overdue_amounts(chunk, day)
        for pk, customer_id, branch_id, nature, number in (Bill.objects.filter(pk__in=chunk).order_by("pk")
                                                           .values_list("pk", "customer_id", "branch_id", "nature",
                                                                        "number")):
            result.append((pk, customer_id, branch_id, nature, number, most[pk], owed.get(pk, ZERO)))
    return result


def _open(rows: list[tuple], day: dt.date) -> list[int]:
    strategies = Strategies.load()
    now = collection_selectors.close_moment(day)
    opened: list[int] = []
    for start in range(0, len(rows), BATCH):
        cases, numbers = [], {}
        for pk, customer_id, branch_id, nature, number, dpd, owed in rows[start:start + BATCH]:
            bucket = loan_bucket(dpd)
            bucket = bucket if bucket in BUCKETS else "M1"
            case = Case(number=numbering.next_number(prefix=collection_services.CASE_PREFIX, day=day), bill_id=pk,
                        customer_id=customer_id, branch_id=branch_id, nature=NATURES.get(nature, CaseNature.GOODS),
                        opened_on=day, bucket=bucket, days_past_due=dpd, arrears=owed)
            collection_services.enter_step(case, strategies.first_step(bucket), day)
            cases.append(case)
            numbers[pk] = number
        Case.objects.bulk_create(cases)
        if any(case.pk is None for case in cases):  # a backend without RETURNING: read the ids back
            ids = dict(Case.objects.filter(number__in=[c.number for c in cases]).values_list("number", "pk"))
            for case in cases:
                case.pk = case.id = ids[case.number]
        CaseEvent.objects.bulk_create([CaseEvent(case=case, at=now, kind=EventKind.OPENED, text=(
            _g("单据 %(bill)s 逾期 %(dpd)s 天（%(bucket)s），逾期未结 ¥%(owed)s，日终立案") % {
                "bill": numbers[case.bill_id], "dpd": case.days_past_due, "bucket": case.bucket,
                "owed": f"{case.arrears:,.2f}"})[:300]) for case in cases])
        BillEvent.objects.bulk_create([BillEvent(bill_id=case.bill_id, kind=BillEventKind.CASE, text=(
            _g("逾期 %(dpd)s 天，转催收 %(number)s") % {"dpd": case.days_past_due, "number": case.number})[:300])
            for case in cases])
        opened += [case.pk for case in cases]
    return opened


# --- 3. refresh -----------------------------------------------------------------------------------

def _bucket_expression(dpd):
    """loan_bucket(dpd) in SQL (M1 … M7+; a case is at least M1)."""
    whens = [When(LessThanOrEqual(dpd, bound), then=Value(f"M{index}"))
             for index, bound in enumerate(LOAN_BUCKET_BOUNDS, start=1)]
    return SqlCase(*whens, default=Value(f"M{len(LOAN_BUCKET_BOUNDS) + 1}+"))


def _refresh(day: dt.date) -> list[tuple[int, str]]:
    """Days past due, bucket and arrears of every open bill case (one read of the cases whose days
    past due change, one UPDATE for them, one for the arrears); returns the cases whose bucket rose."""
    open_cases = Case.objects.filter(status=CaseStatus.OPEN, bill__isnull=False)
    dpd = Coalesce(Subquery(_dpd_of_bill(), output_field=IntegerField()), Value(0))
    owed = Coalesce(Subquery(_overdue_of_bill(day), output_field=MoneyField()), Value(0), output_field=MoneyField())
    changing = open_cases.alias(new_dpd=dpd).filter(new_dpd__gt=0).exclude(days_past_due=F("new_dpd"))
    rows = list(changing.annotate(now_dpd=dpd).values_list("pk", "bucket", "now_dpd"))
    raised = [(pk, loan_bucket(new)) for pk, old, new in rows if bucket_rank(loan_bucket(new)) > bucket_rank(old)]
    for start in range(0, len(rows), 900):
        ids = [pk for pk, _b, _d in rows[start:start + 900]]
        Case.objects.filter(pk__in=ids).update(days_past_due=dpd, bucket=_bucket_expression(dpd))
    open_cases.exclude(arrears=owed).update(arrears=owed)
    return raised


# --- 4. recoveries --------------------------------------------------------------------------------

def _recoveries(day: dt.date) -> int:
    cases = {bill_id: rest for bill_id, *rest in (
        Case.objects.filter(bill__isnull=False, opened_on__lte=day).filter(Q(status=CaseStatus.OPEN)
                                                                            | Q(closed_on__gte=day))
        .order_by("bill_id", "pk").values_list("bill_id", "pk", "branch_id", "owner_id", "agency_id", "bucket"))}
    if not cases:
        return 0
    recorded = Recovery.objects.filter(allocation_id=OuterRef("pk"), undo=False)
    undone = Recovery.objects.filter(allocation_id=OuterRef("pk"), undo=True)
    money = list(Allocation.objects.filter(due__isnull=False, day=day, undone=False, due__bill_id__in=list(cases))
                 .exclude(Exists(recorded)).values_list("pk", "due__bill_id", "amount"))
    # a match counted and undone since: its negative row, on the day the close sees the undo
    back = list(Allocation.objects.filter(undone=True, due__isnull=False).filter(Exists(recorded))
                .exclude(Exists(undone)).values_list("pk", "due__bill_id", "amount"))
    if not money and not back:
        return 0
    counted = {pk: (case_id, bucket, owner_id, agency_id) for pk, case_id, bucket, owner_id, agency_id in
               Recovery.objects.filter(allocation_id__in=[pk for pk, _b, _a in back], undo=False)
               .values_list("allocation_id", "case_id", "bucket", "owner_id", "agency_id")}
    branches = dict(Case.objects.filter(pk__in=[c for c, *_r in counted.values()]).values_list("pk", "branch_id"))
    rates = dict(Agency.objects.values_list("pk", "commission_rate"))
    rows = []
    for pk, bill_id, amount in money:
        found = cases.get(bill_id)
        if found is None:
            continue
        case_id, branch_id, owner_id, agency_id, bucket = found
        rows.append(Recovery(case_id=case_id, allocation_id=pk, branch_id=branch_id, day=day, amount=amount,
                             owner_id=owner_id, agency_id=agency_id, bucket=bucket,
                             commission=quantize(amount * rates[agency_id]) if agency_id else ZERO))
    for pk, _bill_id, amount in back:
        case_id, bucket, owner_id, agency_id = counted[pk]
        rows.append(Recovery(case_id=case_id, allocation_id=pk, undo=True, branch_id=branches[case_id], day=day,
                             amount=-amount, owner_id=owner_id, agency_id=agency_id, bucket=bucket,
                             commission=-quantize(amount * rates[agency_id]) if agency_id else ZERO))
    Recovery.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


# --- 5. close -------------------------------------------------------------------------------------

def _close(day: dt.date) -> dict[str, int]:
    overdue = BillDue.objects.filter(bill_id=OuterRef("bill_id"), status=DueStatus.OPEN, days_past_due__gt=0)
    found = (Case.objects.filter(status=CaseStatus.OPEN, bill__isnull=False)
             .filter(Q(bill__status__in=[BillStatus.PAID, BillStatus.VOID]) | ~Exists(overdue))
             .values_list("pk", "bill__status", "bill__paid"))
    groups: dict[str, list[int]] = {}
    for pk, status, paid in found:
        if status == BillStatus.VOID:
            reason = CloseReason.VOID
        elif status == BillStatus.PAID:
            reason = CloseReason.CREDITED if not paid else CloseReason.SETTLED
        else:
            reason = CloseReason.CURED
        groups.setdefault(reason, []).append(pk)
    now = collection_selectors.close_moment(day)
    counts = {}
    for reason, ids in groups.items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            Case.objects.filter(pk__in=chunk).update(status=CaseStatus.CLOSED, close_reason=reason, closed_on=day,
                                                     next_action="", next_action_due=None, updated_at=now)
            CaseAssignment.objects.filter(case_id__in=chunk, ended_at__isnull=True).update(ended_at=now)
            CaseEvent.objects.bulk_create([CaseEvent(case_id=pk, at=now, kind=EventKind.CLOSED,
                                                     text=str(CloseReason(reason).label)) for pk in chunk])
        counts[f"cases_closed_{reason}"] = len(ids)
    return counts


# --- the day step ---------------------------------------------------------------------------------

def bill_cases_step(*, day: dt.date) -> dict[str, int]:
    """Steps 1–6 of the module docstring for closed day ``day``; counts by COUNT_LABELS code."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["items_overdue"] = days_past_due_refresh(day)
    if not counts["items_overdue"] and not Case.objects.filter(bill__isnull=False).filter(
            Q(status=CaseStatus.OPEN) | Q(closed_on__gte=day)).exists():
        return {}
    rows = _to_open(day, receivables_settings().case_after_days)
    opened: list[int] = []
    if rows:
        if connection.in_atomic_block:  # inside a transaction (a test): numbers from the counter row
            with transaction.atomic():
                opened = _open(rows, day)
        else:
            with numbering.reserved_block(collection_services.CASE_PREFIX, day, len(rows)), transaction.atomic():
                opened = _open(rows, day)
    counts["cases_opened"] = len(opened)
    with transaction.atomic():
        strategies = Strategies.load()
        raised = _refresh(day)
        counts["recoveries"] = _recoveries(day)
        counts.update(_close(day))
        counts["stage_moved"] = collection_daystep.bucket_moves(day, raised, strategies)
        if opened:
            assigned = collection_services.cases_assign_by_rules(list(Case.objects.filter(pk__in=opened)), day=day)
            counts.update(assigned)
        collection_daystep.priorities_update(collection_selectors.collection_settings(),
                                             Case.objects.filter(bill__isnull=False))
    return {key: value for key, value in counts.items() if value}
