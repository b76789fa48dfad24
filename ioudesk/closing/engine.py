"""The close engine: one business date D over every live IOU, in id-range partitions shared by
any number of worker processes, then the registered day steps.

What an IOU needs on D is found set-based, so the cost grows with the IOUs that have something to
do (docs/decisions/0006 and issue 10 §7):

- **falling due**: installments of the current schedule due ≤ D whose interest has not been
  booked (a partial index on unbooked installments, one query for the whole day, at partitioning);
- **falling overdue**: installments due since the last closed day still not paid off (the due
  date index, one query for the day);
- **already overdue** (``Iou.overdue_since`` set), read per partition by id range: those whose
  bucket or five-tier class changes on D, and at month end all of them, go the per-IOU way;
  every other one only has its days past due advanced, in one UPDATE per partition.

Falling-due IOUs with nothing else to do (not overdue, no customer credit, installments due on D
itself) are done in bulk: many IOUs per transaction, each posted through the same
``_accrue_interest`` as ``iou_accrue`` (the same entries, memos and balances), without reading the
rest of their schedule. Everything else goes through ``iou_close_day`` (lock, interest, penalty by
the rule of decision 0006, credit, delinquency, settlement), each IOU in a savepoint: an error is
recorded as a CloseFailure with its traceback, and the run goes on.

Every change per IOU is idempotent (installment flags, ``penalty_accrued_to``, derived days past
due), so a partition whose worker died is simply done again by the next one, which posts nothing
twice. Partitions are claimed in short transactions with a lease (PostgreSQL: FOR UPDATE SKIP
LOCKED); a partition whose owner's process is gone (same host) or whose lease ran out is taken
over.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ioudesk.calc import aging
from ioudesk.closing.models import ClosePartition, CloseRun, PartitionState, RunState
from ioudesk.core import numbering
from ioudesk.ious.models import LIVE_STATUSES, Installment, Iou, ScheduleVersion, Status
from ioudesk.ious.services import accrual
from ioudesk.ious.services.installments import unpaid
from ioudesk.ious.services.ledgering import apply_lines
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import NUMBER_PREFIX, EntryRequest, post_entries

logger = logging.getLogger("ioudesk.closing")

LEASE_SECONDS = int(os.environ.get("IOUDESK_CLOSE_LEASE_SECONDS", "60"))
BULK_BATCH = 200  # falling-due IOUs per transaction
SINGLE_BATCH = 50  # IOUs done one by one (each in its savepoint) per transaction
# For the kill -9 test: the process kills itself after this many committed batches.
KILL_AFTER_BATCHES = int(os.environ.get("IOUDESK_CLOSE_KILL_AFTER_BATCHES", "0") or 0)
_batches_done = 0
# For the two-worker test: each partition takes at least this long, so both workers get some.
SLOW_PARTITION = float(os.environ.get("IOUDESK_CLOSE_SLOW_PARTITION_SECONDS", "0") or 0)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def owner_alive(owner: str) -> bool:
    """Whether the process named "host:pid" may still be working: on another host we cannot tell
    (the lease decides); on this one, whether the pid exists."""
    host, _, pid = owner.rpartition(":")
    if not owner or host != socket.gethostname():
        return bool(owner)
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def lease_from_now() -> timezone.datetime:
    return timezone.now() + timedelta(seconds=LEASE_SECONDS)


def _held(owner: str, lease_until) -> bool:
    """Someone else holds it: a live owner with a lease still running."""
    return bool(owner) and owner != worker_name() and lease_until is not None and lease_until > timezone.now() \
        and owner_alive(owner)


# --- partitioning --------------------------------------------------------------------------------


def _live_ranges(configured: int) -> tuple[int, int, list[int], int | None]:
    """(live IOUs, IOUs per partition, the first id of each partition, the last live id), counted
    and cut by the database in one query (a window over the ids: every `configured`-th id, and the
    last), so a million ids do not travel."""
    table = connection.ops.quote_name(Iou._meta.db_table)
    statuses = list(LIVE_STATUSES)
    sql = (f"SELECT id, total FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn, COUNT(*) OVER () AS total "
           f"FROM {table} WHERE status IN ({', '.join(['%s'] * len(statuses))})) AS numbered "
           f"WHERE (rn - 1) %% %s = 0 OR rn = total ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statuses, configured])
        rows = cursor.fetchall()
    if not rows:
        return 0, configured, [], None
    count, last = rows[-1][1], rows[-1][0]
    starts = [row[0] for row in rows]
    if (count - 1) % configured:
        starts.pop()  # the last id, which does not start a partition
    size = partition_size_for(count, configured)
    return count, size, starts[::size // configured], last


# Ids per IN list: small enough that PostgreSQL looks them up by primary key rather than scanning.
_CHUNK = 1000


def _current_schedules(schedule_ids, *, lo: int | None = None, hi: int | None = None,
                       not_overdue: bool = False) -> dict[int, int]:
    """Schedule id → IOU id, for those of `schedule_ids` that are the current schedule of a live
    IOU (optionally with ids in [lo, hi], optionally not overdue yet), by primary key in chunks."""
    ids = sorted(schedule_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = ScheduleVersion.objects.filter(pk__in=ids[start:start + _CHUNK], is_current=True,
                                              iou__status__in=LIVE_STATUSES)
        if lo is not None:
            rows = rows.filter(iou_id__range=(lo, hi))
        if not_overdue:
            rows = rows.filter(iou__overdue_since__isnull=True)
        found.update(rows.order_by().values_list("pk", "iou_id"))
    return found


def falling_due(day: date, lo: int | None = None, hi: int | None = None) -> dict[int, list[date]]:
    """IOU id → due dates of its current installments due by `day` whose interest is not booked.
    The installments are read alone first (the partial index installment_due_unbooked_idx: a join
    to the IOUs would have the database walk every IOU's schedule), then their schedules."""
    rows = list(Installment.objects.filter(interest_accrued=False, due_date__lte=day).order_by()
                .values_list("schedule_id", "due_date"))
    schedules = _current_schedules({schedule for schedule, _due in rows}, lo=lo, hi=hi)
    found: dict[int, list[date]] = {}
    for schedule, due in rows:
        iou_id = schedules.get(schedule)
        if iou_id is not None:
            found.setdefault(iou_id, []).append(due)
    return found


def falling_overdue(day: date, since: date | None) -> set[int]:
    """IOUs with a current installment due in [since, day) not paid off: overdue from `day` on
    unless a payment says otherwise (a superset: the per-IOU path decides). `since` None: the first
    close, every installment due before `day`."""
    unpaid_rows = Installment.objects.filter(paid_off_on__isnull=True, due_date__lt=day).order_by()
    if since is None:
        schedules = set(unpaid_rows.values_list("schedule_id", flat=True).distinct())
        return set(_current_schedules(schedules, not_overdue=True).values())
    schedules = set(unpaid_rows.filter(due_date__gte=since).values_list("schedule_id", flat=True).distinct())
    found = set(_current_schedules(schedules, not_overdue=True).values())
    # An IOU that took effect since the last close may owe installments due before it (a 欠条 whose
    # due date had passed when it was entered): all of its unpaid ones count.
    rows = Installment.objects.filter(paid_off_on__isnull=True, due_date__lt=day, schedule__is_current=True,
                                      schedule__iou__status__in=LIVE_STATUSES,
                                      schedule__iou__overdue_since__isnull=True).order_by()
    fresh = list(Iou.objects.filter(status__in=LIVE_STATUSES, disbursed_on__gte=since, overdue_since__isnull=True)
                 .order_by().values_list("pk", flat=True))
    for start in range(0, len(fresh), _CHUNK):
        found.update(rows.filter(schedule__iou_id__in=fresh[start:start + _CHUNK])
                     .values_list("schedule__iou_id", flat=True).distinct())
    return found


# A partition costs a few statements of its own (claim, progress, the overdue read, the days past
# due UPDATE): when the configured size would make more than MANY_PARTITIONS partitions, they are
# made larger (up to MAX_PARTITION IOUs), still MANY_PARTITIONS or more for the workers to share.
MAX_PARTITION = int(os.environ.get("IOUDESK_CLOSE_MAX_PARTITION", "20000"))
MANY_PARTITIONS = 50


def partition_size_for(live: int, configured: int) -> int:
    """The IOUs per partition for `live` live IOUs: the configured size, or a multiple of it (up to
    MAX_PARTITION) when it would make more than MANY_PARTITIONS partitions."""
    if live <= configured * MANY_PARTITIONS:
        return configured
    return configured * max(1, min(MAX_PARTITION, live // MANY_PARTITIONS) // configured)


def partition(run: CloseRun, *, size: int, since: date | None) -> None:
    """Split the live IOUs into id ranges of `size` (or larger: partition_size_for) and record, per
    range, the IOUs found to have something to do on the run's day (in the partition's
    `counts["work"]`). Called with the run row locked; the partitions and their work lists are
    written in the same transaction."""
    if since is not None and not CloseRun.objects.filter(organisation_id=run.organisation_id,
                                                         state=RunState.DONE).exists():
        # The first close the engine makes (closed_through may have been set at set-up, with no
        # close behind it): every unpaid installment is looked at, so an IOU left behind before
        # (nothing brought it up to date since an installment fell due) is found too.
        since = None
    live, size, starts, last = _live_ranges(size)
    due = falling_due(run.day)
    overdue = falling_overdue(run.day, since)
    due_sorted, overdue_sorted = sorted(due), sorted(overdue)
    partitions = []
    for index, lo in enumerate(starts):
        hi = starts[index + 1] - 1 if index + 1 < len(starts) else last
        partitions.append(ClosePartition(
            close_run=run, lo=lo, hi=hi, ious=min(size, live - index * size),
            counts={"work": {"due": _within(due_sorted, lo, hi), "check": _within(overdue_sorted, lo, hi)}}))
    # The ranges cover every id between partitions too (an IOU made live after partitioning, with an
    # id between two live ones, is still in a range); ids after the last are for tomorrow.
    ClosePartition.objects.bulk_create(partitions, batch_size=500)
    run.partitions_total, run.ious_total = len(partitions), live
    run.counts = {**run.counts, "ious": {"live": live, "falling_due": len(due), "falling_overdue": len(overdue)}}
    CloseRun.objects.filter(pk=run.pk).update(partitions_total=run.partitions_total, ious_total=run.ious_total,
                                              counts=run.counts)


def _within(ordered: list[int], lo: int, hi: int) -> list[int]:
    """The ids of `ordered` (sorted) in [lo, hi]."""
    return ordered[bisect.bisect_left(ordered, lo):bisect.bisect_right(ordered, hi)]


# --- claiming ------------------------------------------------------------------------------------


def reclaim_dead(run: CloseRun) -> int:
    """Partitions marked running whose owner is gone (same host) or whose lease ran out: pending again."""
    stale = []
    now = timezone.now()
    for part in ClosePartition.objects.filter(close_run=run, state=PartitionState.RUNNING).only(
            "id", "owner", "lease_until"):
        if part.lease_until is None or part.lease_until < now or not owner_alive(part.owner):
            stale.append(part.pk)
    if stale:
        ClosePartition.objects.filter(pk__in=stale, state=PartitionState.RUNNING).update(
            state=PartitionState.PENDING, owner="", lease_until=None)
    return len(stale)


def claim(run: CloseRun) -> ClosePartition | None:
    """Take the next pending partition of the run, in a short transaction of its own (PostgreSQL:
    FOR UPDATE SKIP LOCKED, so two workers never wait for or take the same one)."""
    reclaim_dead(run)
    with transaction.atomic():
        part = (ClosePartition.objects.select_for_update(skip_locked=True)
                .filter(close_run=run, state=PartitionState.PENDING).order_by("lo").first())
        if part is None:
            return None
        now = timezone.now()
        part.state, part.owner, part.lease_until, part.heartbeat = PartitionState.RUNNING, worker_name(), \
            lease_from_now(), now
        part.started_at = part.started_at or now
        part.attempts += 1
        part.save(update_fields=["state", "owner", "lease_until", "heartbeat", "started_at", "attempts"])
        return part


def heartbeat(part: ClosePartition) -> None:
    now = timezone.now()
    ClosePartition.objects.filter(pk=part.pk, owner=worker_name()).update(heartbeat=now, lease_until=lease_from_now())
    CloseRun.objects.filter(pk=part.close_run_id, owner=worker_name()).update(lease_until=lease_from_now())


def _batch_committed() -> None:
    global _batches_done
    _batches_done += 1
    if KILL_AFTER_BATCHES and _batches_done >= KILL_AFTER_BATCHES:
        logger.warning("IOUDESK_CLOSE_KILL_AFTER_BATCHES=%s: killing myself", KILL_AFTER_BATCHES)
        os.kill(os.getpid(), 9)


# --- the work of one partition --------------------------------------------------------------------


def _numbers(day: date, size: int):
    """A block of journal numbers for a batch (numbering.reserved_block, decision 0007): workers
    posting at once do not queue on the day's counter row. Inside a transaction already (a test's,
    or a caller's), the numbers come from the counter as usual."""
    if connection.in_atomic_block:
        return contextlib.nullcontext()
    return numbering.reserved_block(NUMBER_PREFIX, day, max(1, size))


def close_partition(run: CloseRun, part: ClosePartition, *, record_failure: Callable) -> dict[str, int]:
    """Bring every IOU of the partition to the run's day. Returns counts."""
    day = run.day
    work = (part.counts or {}).get("work", {"due": [], "check": []})
    counts = {"bulk": 0, "single": 0, "failed": 0, "dpd_advanced": 0}
    month_end = (day + timedelta(days=1)).month != day.month
    single = set(work["check"])
    due = set(work["due"])
    penalty_only: list[int] = []
    # Already overdue: the bucket or class changes on D (the per-IOU path), or it is month end
    # with nothing else to do (penalty to post, in batches).
    for pk, since, bucket, classification, manual in Iou.objects.filter(
            pk__range=(part.lo, part.hi), status__in=LIVE_STATUSES, overdue_since__isnull=False).values_list(
            "pk", "overdue_since", "bucket", "classification", "classification_manual"):
        dpd = (day - since).days
        if dpd <= 0 or aging.loan_bucket(dpd) != bucket or accrual.classification_for(dpd, manual) != classification:
            single.add(pk)
        elif month_end and pk not in due and pk not in single:
            penalty_only.append(pk)
    bulk = [pk for pk in work["due"] if pk not in single]
    failed: set[int] = set()

    for start in range(0, len(penalty_only), SINGLE_BATCH * 2):
        done, rest = _penalty_batch(run, penalty_only[start:start + SINGLE_BATCH * 2], day, failed, record_failure)
        counts["penalty"] = counts.get("penalty", 0) + done
        single.update(rest)
        heartbeat(part)
        _batch_committed()

    for start in range(0, len(bulk), BULK_BATCH):
        done, rest = _bulk_batch(bulk[start:start + BULK_BATCH], day)
        counts["bulk"] += done
        single.update(rest)
        heartbeat(part)
        _batch_committed()

    ordered = sorted(single)
    for start in range(0, len(ordered), SINGLE_BATCH):
        ids = ordered[start:start + SINGLE_BATCH]
        with _numbers(day, SINGLE_BATCH * 3), transaction.atomic():
            ious, rows = _locked_with_installments(ids)
            for pk in ids:
                iou = ious.get(pk)
                if iou is None or iou.status not in LIVE_STATUSES:
                    continue
                try:
                    with transaction.atomic():
                        accrual.close_day_locked(iou, rows.get(pk, []), day)
                    counts["single"] += 1
                except Exception as error:  # noqa: BLE001 - one IOU's error is recorded, the run goes on
                    failed.add(pk)
                    counts["failed"] += 1
                    record_failure(run, pk, "ious", error, traceback.format_exc())
        heartbeat(part)
        _batch_committed()

    counts["dpd_advanced"] = advance_days_past_due(part.lo, part.hi, day, exclude=failed)
    if SLOW_PARTITION:
        time.sleep(SLOW_PARTITION)
    return counts


def _penalty_batch(run: CloseRun, ids: list[int], day: date, failed: set[int],
                   record_failure: Callable) -> tuple[int, list[int]]:
    """Month end for overdue IOUs with nothing else to do: penalty posted to `day` through the same
    ``_accrue_penalty`` as iou_accrue, the IOUs locked and their installments read for the whole
    batch (their days past due are advanced with the partition's UPDATE; bucket and class do not
    change, or they would have gone the per-IOU way). Returns (done, IOUs for the per-IOU path)."""
    rest: list[int] = []
    done = 0
    with _numbers(day, len(ids)), transaction.atomic():
        ious, rows = _locked_with_installments(ids)
        for pk in ids:
            iou, current = ious.get(pk), rows.get(pk, [])
            if iou is None or iou.status not in LIVE_STATUSES:
                continue
            if not _only_penalty(iou, current, day):
                rest.append(pk)  # credit, something falling due, a change of class: the whole close
                continue
            try:
                with transaction.atomic():
                    accrual._accrue_penalty(iou, current, day, None)
                done += 1
            except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                failed.add(pk)
                record_failure(run, pk, "ious", error, traceback.format_exc())
    return done, rest


def _locked_with_installments(ids: list[int]) -> tuple[dict[int, Iou], dict[int, list[Installment]]]:
    """The IOUs locked (PostgreSQL: FOR UPDATE; SQLite: the IMMEDIATE transaction) and their current
    installments in number order, for a batch, in two queries."""
    ious = {iou.pk: iou for iou in Iou.objects.select_for_update().filter(pk__in=ids)}
    rows: dict[int, list[Installment]] = {}
    for row in (Installment.objects.filter(schedule__iou_id__in=ids, schedule__is_current=True)
                .select_related("schedule").order_by("schedule__iou_id", "number")):
        rows.setdefault(row.schedule.iou_id, []).append(row)
    return ious, rows


def _only_penalty(iou: Iou, rows: list[Installment], day: date) -> bool:
    """Whether iou_close_day on `day` would post the penalty and change nothing else but days past
    due: no credit, nothing falling due, and delinquency (oldest unpaid due date, bucket, class,
    status, limitation) as stored."""
    if iou.overpayment > 0 or any(r.due_date <= day and not r.interest_accrued for r in rows):
        return False
    unpaid_due = [r.due_date for r in rows if any(v > 0 for v in unpaid(r).values()) and r.due_date < day]
    dpd = aging.days_past_due(unpaid_due, as_of=day)
    return (dpd > 0 and iou.status == Status.OVERDUE and min(unpaid_due) == iou.overdue_since
            and aging.loan_bucket(dpd) == iou.bucket
            and accrual.classification_for(dpd, iou.classification_manual) == iou.classification
            and accrual.limitation_for(iou, day) == iou.limitation_expires_on)


def _bulk_batch(ids: list[int], day: date) -> tuple[int, list[int]]:
    """Interest and fees falling due on `day` for IOUs with nothing else to do, in one transaction.
    Returns (IOUs done, IOUs that turned out to need the per-IOU path)."""
    rest: list[int] = []
    done = 0
    requests: list[EntryRequest] = []
    flagged: list[int] = []
    moved: list[Iou] = []
    with _numbers(day, len(ids)), transaction.atomic():
        # Only the fields this needs (an IOU has seventy): building whole rows cost more than the work.
        ious = {iou.pk: iou for iou in Iou.objects.select_for_update().filter(pk__in=ids).order_by().only(*_BULK_FIELDS)}
        rows: dict[int, list[_DueRow]] = {}
        for row in _due_rows(ids, day):
            rows.setdefault(row.iou_id, []).append(row)
        for pk in ids:
            iou, due = ious.get(pk), rows.get(pk, [])
            if iou is None or iou.status not in LIVE_STATUSES or not due:
                continue  # settled, written off … since it was found, or done already
            if (iou.overpayment > 0 or iou.overdue_since is not None or iou.days_past_due
                    or iou.status == Status.OVERDUE or any(row.due_date != day for row in due)):
                rest.append(pk)
                continue
            # Nothing is overdue and nothing else falls due: exactly what iou_accrue does for it
            # (the same entry, balances and flags; days past due stay 0: an installment due on D
            # is not overdue on D), with the entries of the batch written together.
            memo, lines = accrual.interest_due_entry(iou, due)
            if lines:
                requests.append(EntryRequest(kind=EntryKind.INTEREST_ACCRUAL, lines=lines, memo=memo, iou_id=iou.pk,
                                             day=day))
                apply_lines(iou, lines)
                moved.append(iou)
            flagged.extend(row.pk for row in due)
            done += 1
        post_entries(requests)
        _save_interest_balances(moved)
        if flagged:
            Installment.objects.filter(pk__in=flagged).update(interest_accrued=True)
    return done, rest


def _save_interest_balances(ious: list[Iou]) -> None:
    """The moved interest and fee balances of a batch in one UPDATE … FROM (VALUES …) (SQLite ≥ 3.33
    and PostgreSQL both name a VALUES list's columns column1, column2 …)."""
    if not ious:
        return
    table = connection.ops.quote_name(Iou._meta.db_table)
    interest, fee, updated = (Iou._meta.get_field(name) for name in ("interest_outstanding", "fee_outstanding",
                                                                       "updated_at"))
    rows, params = [], []
    for iou in ious:
        rows.append("(%s, %s, %s)")
        params += [iou.pk, interest.get_db_prep_save(iou.interest_outstanding, connection),
                   fee.get_db_prep_save(iou.fee_outstanding, connection)]
    now = updated.get_db_prep_save(timezone.now(), connection)
    cast = "::bigint" if connection.vendor == "postgresql" else ""
    sql = (f"UPDATE {table} SET interest_outstanding = v.column2{cast}, fee_outstanding = v.column3{cast}, "
           f"updated_at = %s FROM (VALUES {', '.join(rows)}) AS v WHERE {table}.id = v.column1{cast}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params])
        if cursor.rowcount != len(ious):
            raise RuntimeError(f"interest balances: {cursor.rowcount} rows updated for {len(ious)} IOUs")


_BULK_FIELDS = ("id", "number", "status", "overpayment", "overdue_since", "days_past_due", "interest_outstanding",
                "fee_outstanding", "updated_at")


@dataclass(frozen=True)
class _DueRow:
    """What the bulk path reads of an installment falling due (as ``interest_due_entry`` uses it)."""

    pk: int
    iou_id: int
    number: int
    due_date: date
    interest_due: Decimal
    fee_due: Decimal


def _due_rows(ids: list[int], day: date) -> list[_DueRow]:
    return [_DueRow(*values) for values in Installment.objects.filter(
        interest_accrued=False, due_date__lte=day, schedule__is_current=True, schedule__iou_id__in=ids).order_by(
        "schedule__iou_id", "number").values_list("pk", "schedule__iou_id", "number", "due_date", "interest_due",
                                                  "fee_due")]


def advance_days_past_due(lo: int, hi: int, day: date, *, exclude: set[int] = frozenset()) -> int:
    """Days past due of every overdue IOU in [lo, hi] as of `day`, from its oldest unpaid due date:
    one UPDATE (the bucket and class did not change, or those IOUs went the per-IOU way already)."""
    table = connection.ops.quote_name(Iou._meta.db_table)
    if connection.vendor == "postgresql":
        diff = "(%s::date - overdue_since)"
    else:
        diff = "CAST(julianday(%s) - julianday(overdue_since) AS INTEGER)"
    statuses = list(LIVE_STATUSES)
    sql = (f"UPDATE {table} SET days_past_due = {diff} WHERE id BETWEEN %s AND %s AND overdue_since IS NOT NULL "
           f"AND status IN ({', '.join(['%s'] * len(statuses))}) AND days_past_due <> {diff}")
    params = [connection.ops.adapt_datefield_value(day), lo, hi, *statuses, connection.ops.adapt_datefield_value(day)]
    if exclude:
        sql += f" AND id NOT IN ({', '.join(['%s'] * len(exclude))})"
        params += sorted(exclude)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def finish_partition(part: ClosePartition, counts: dict[str, int]) -> None:
    with transaction.atomic():
        updated = ClosePartition.objects.filter(pk=part.pk, owner=worker_name(), state=PartitionState.RUNNING).update(
            state=PartitionState.DONE, finished_at=timezone.now(), lease_until=None,
            counts={**(part.counts or {}), "done": counts})
        if updated:
            run = CloseRun.objects.select_for_update().get(pk=part.close_run_id)
            run.partitions_done += 1
            run.ious_done += part.ious
            totals = dict(run.counts.get("partitions", {}))
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            run.counts = {**run.counts, "partitions": totals}
            run.save(update_fields=["partitions_done", "ious_done", "counts"])


def work_partitions(run: CloseRun, *, record_failure: Callable, progress: Callable | None = None) -> int:
    """Claim and close partitions of the run until none is left to claim. Returns how many."""
    n = 0
    while True:
        part = claim(run)
        if part is None:
            return n
        counts = close_partition(run, part, record_failure=record_failure)
        finish_partition(part, counts)
        n += 1
        if progress:
            run.refresh_from_db(fields=["partitions_done", "partitions_total", "ious_done", "ious_total"])
            progress(run)


def wait_for_partitions(run: CloseRun, *, poll: float = 0.5, progress: Callable | None = None,
                        record_failure: Callable) -> None:
    """Until every partition of the run is done: help with any that become free (a dead worker's)."""
    while ClosePartition.objects.filter(close_run=run).exclude(state=PartitionState.DONE).exists():
        if not work_partitions(run, record_failure=record_failure, progress=progress):
            CloseRun.objects.filter(pk=run.pk, owner=worker_name()).update(lease_until=lease_from_now())
            time.sleep(poll)


def run_is_done(run: CloseRun) -> bool:
    return CloseRun.objects.filter(pk=run.pk, state=RunState.DONE).exists()


LIVE_FILTER = Q(status__in=LIVE_STATUSES)
