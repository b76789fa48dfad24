"""The figures the close keeps for reports (docs/domain.md §27, docs/architecture.md 报表):

- ``portfolio_day_write(day)``: PortfolioDay — the live portfolio at the end of a closed day, summed
  by branch, product, officer, kind, guarantee, classification, bucket and application channel, in one INSERT … SELECT …
  GROUP BY over the IOUs (their maintained balances) and one grouped join of the overdue IOUs'
  current installments (overdue principal and interest: unpaid on installments due before `day`,
  the same line days past due are counted from: calc.aging.days_past_due);
- ``flows_day_write(day)``: FlowDay — the day's transactions by kind, branch, product and officer.
  A reversal (冲正) is written under the kind of the transaction it reverses, with negative
  amounts (and not counted in ``count``, which must stay ≥ 0), on the reversal's day: summing a kind over a period gives what stands after
  corrections. A repayment out of customer credit (溢缴款冲抵, ``source=credit``) is written as kind
  ``repayment_credit``: no money came in that day;
- ``month_end_take(month_end)``: the month-end snapshot (MonthSnapshot, MonthEndIou per IOU,
  MonthEndAccount per account), taken once; a second call returns the one taken;
- ``differences_find()``: transactions and journal entries dated on or before a snapshotted month
  end but entered after its snapshot (their ids are above the watermarks the snapshot recorded):
  one SnapshotDifference per (month end, transaction or entry), the snapshot left as it was.

Everything is set-based SQL (INSERT … SELECT), so a million IOUs cost a few scans, not a million
round trips; money stays integer fen in the database (MoneyField) and is summed there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum

from ioudesk.calc.money import from_fen
from ioudesk.core import scope
from ioudesk.ious.models import (
    LIVE_STATUSES,
    GuaranteeType,
    Iou,
    Purpose,
    Status,
    Transaction,
    TransactionKind,
)
from ioudesk.reports.models import (
    FlowDay,
    MonthEndAccount,
    MonthEndIou,
    MonthSnapshot,
    PortfolioDay,
    SnapshotDifference,
)

# Statuses a month-end snapshot keeps (with settled / written-off ones only of that month).
SNAPSHOT_STATUSES = (*LIVE_STATUSES, Status.SETTLED, Status.WRITTEN_OFF)
NPL_CLASSES = ("substandard", "doubtful", "loss")
MONEY_TOTALS = ("principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
                "fee_outstanding", "overdue_principal", "overdue_interest", "written_off_principal",
                "npl_balance", "overdue_balance")
CREDIT_REPAYMENT = "repayment_credit"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return _q(model._meta.db_table)


def _in(values) -> tuple[str, list]:
    values = [str(v) for v in values]
    return ", ".join(["%s"] * len(values)), values


def guarantee_sql(alias: str) -> str:
    """ioudesk.reports.dimensions.guarantee_expr in SQL text (the same reading: NULL is 保证 when a
    guarantor is named, else 信用)."""
    return (f"CASE WHEN {alias}.guarantee_type IS NOT NULL THEN {alias}.guarantee_type "
            f"WHEN {alias}.guarantor <> '' THEN '{GuaranteeType.GUARANTEE.value}' "
            f"ELSE '{GuaranteeType.CREDIT.value}' END")


def channel_sql(iou_id: str) -> str:
    """The application channel of the IOU whose id is the SQL expression `iou_id` (its latest
    application; '' for an IOU entered directly, 直接录入): an index probe per IOU (applications by iou)."""
    return (f"COALESCE((SELECT a.channel FROM {_q('applications_application')} a WHERE a.iou_id = {iou_id} "
            f"ORDER BY a.id DESC LIMIT 1), '')")


def purpose_sql(alias: str) -> str:
    return f"COALESCE({alias}.purpose_category, '{Purpose.OTHER.value}')"


def _overdue_sql(day: date, statuses) -> tuple[str, list]:
    """A derived table (iou_id, op, oi): per overdue IOU, the unpaid principal and booked interest of
    its current installments due before `day`. Only IOUs with ``overdue_since`` set can owe any (the
    close keeps it: the oldest unpaid due date)."""
    marks, values = _in(statuses)
    sql = (f"SELECT s.iou_id AS iou_id, SUM(n.principal_due - n.principal_paid) AS op, "
           f"SUM(CASE WHEN n.interest_accrued THEN n.interest_due - n.interest_paid - n.interest_waived ELSE 0 END) "
           f"AS oi FROM {_t(Iou)} j JOIN {_q('ious_scheduleversion')} s ON s.iou_id = j.id AND s.is_current "
           f"JOIN {_q('ious_installment')} n ON n.schedule_id = s.id "
           f"WHERE j.overdue_since IS NOT NULL AND j.overdue_since < %s AND j.status IN ({marks}) "
           f"AND n.due_date < %s GROUP BY s.iou_id")
    return sql, [day, *values, day]


# --- the day's portfolio -----------------------------------------------------------------------


def portfolio_day_write(day: date) -> int:
    """Delete and rewrite PortfolioDay for `day` from the live IOUs as they stand (the close has
    brought them to `day`). Returns the rows written."""
    overdue, overdue_params = _overdue_sql(day, LIVE_STATUSES)
    marks, statuses = _in(LIVE_STATUSES)
    guarantee = guarantee_sql("i")
    channel = channel_sql("i.id")
    columns = ("day", "branch_id", "product_id", "officer_id", "kind", "guarantee", "classification", "bucket",
               "channel", "count", "principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
               "fee_outstanding", "overdue_principal", "overdue_interest")
    sql = (f"INSERT INTO {_t(PortfolioDay)} ({', '.join(_q(c) for c in columns)}) "
           f"SELECT %s, i.branch_id, i.product_id, i.officer_id, i.kind, {guarantee}, i.classification, i.bucket, "
           f"{channel}, COUNT(*), SUM(i.principal), SUM(i.principal_outstanding), SUM(i.interest_outstanding), "
           f"SUM(i.penalty_outstanding), SUM(i.fee_outstanding), COALESCE(SUM(o.op), 0), COALESCE(SUM(o.oi), 0) "
           f"FROM {_t(Iou)} i LEFT JOIN ({overdue}) o ON o.iou_id = i.id "
           f"WHERE i.status IN ({marks}) "
           f"GROUP BY i.branch_id, i.product_id, i.officer_id, i.kind, {guarantee}, i.classification, i.bucket, "
           f"{channel}")
    with transaction.atomic(), connection.cursor() as cursor:
        PortfolioDay.objects.filter(day=day).delete()
        cursor.execute(sql, [day, *overdue_params, *statuses])
        return cursor.rowcount


# --- the day's money flows ---------------------------------------------------------------------


def flows_day_write(day: date) -> int:
    """Delete and rewrite FlowDay for `day` from the transactions dated `day`. Returns the rows."""
    columns = ("day", "branch_id", "product_id", "officer_id", "iou_kind", "guarantee", "classification", "bucket",
               "channel", "kind", "count", "amount", "principal", "interest", "penalty", "fee")
    reversal = TransactionKind.REVERSAL.value
    repayment = TransactionKind.REPAYMENT.value
    # The kind a transaction counts under: a reversal under its original's, negated.
    kind = (f"CASE WHEN COALESCE(r.kind, t.kind) = '{repayment}' AND COALESCE(r.source, t.source) = 'credit' "
            f"THEN '{CREDIT_REPAYMENT}' ELSE COALESCE(r.kind, t.kind) END")
    sign = f"(CASE WHEN t.kind = '{reversal}' THEN -1 ELSE 1 END)"
    guarantee = guarantee_sql("i")
    channel = channel_sql("i.id")
    sql = (f"INSERT INTO {_t(FlowDay)} ({', '.join(_q(c) for c in columns)}) "
           f"SELECT %s, i.branch_id, i.product_id, i.officer_id, i.kind, {guarantee}, i.classification, i.bucket, "
           f"{channel}, {kind}, SUM(CASE WHEN t.kind = '{reversal}' THEN 0 ELSE 1 END), SUM({sign} * t.amount), "
           f"SUM({sign} * t.principal), SUM({sign} * t.interest), SUM({sign} * t.penalty), SUM({sign} * t.fee) "
           f"FROM {_t(Transaction)} t JOIN {_t(Iou)} i ON i.id = t.iou_id "
           f"LEFT JOIN {_t(Transaction)} r ON r.id = t.reverses_id AND t.kind = '{reversal}' "
           f"WHERE t.day = %s GROUP BY i.branch_id, i.product_id, i.officer_id, i.kind, {guarantee}, i.classification, "
           f"i.bucket, {channel}, {kind}")
    with transaction.atomic(), connection.cursor() as cursor:
        FlowDay.objects.filter(day=day).delete()
        cursor.execute(sql, [day, day])
        return cursor.rowcount


# --- figures derived from the snapshot and the closed day (registered by their modules) ------------


@dataclass(frozen=True)
class MonthEndWriter:
    """Grouped figures a report reads instead of the snapshot's per-IOU rows. `write(month_end,
    previous)` deletes and rewrites its rows of `month_end` (previous: the snapshot before it, or
    None) from MonthEndIou / MonthEndAccount and returns the rows written. `version`: raised when
    what it writes changes, so `derived_backfill` rewrites every snapshot taken before."""

    name: str
    version: int
    write: Callable[[date, MonthSnapshot | None], int]


@dataclass(frozen=True)
class DayWriter:
    """Figures the close keeps per closed day. `write(day, latest=…, previous=…)` deletes and rewrites
    its rows for `day` (latest: `day` is the newest day the step has run for, so the IOUs stand as
    of it; previous: the DayMark of the step's run before, whose watermarks say what was entered
    since) and returns the rows written. `backfill(first, last)`: writes every day of the range for
    an installation that had history before the writer existed (the upgrade and the bench)."""

    name: str
    label: object  # a lazy label: the close's run page shows "<label>: <rows>"
    write: Callable[..., int]
    backfill: Callable[[date, date], int] | None = None


MONTH_END_WRITERS: dict[str, MonthEndWriter] = {}
DAY_WRITERS: dict[str, DayWriter] = {}


def register_month_end_writer(writer: MonthEndWriter) -> None:
    MONTH_END_WRITERS[writer.name] = writer


def register_day_writer(writer: DayWriter) -> None:
    DAY_WRITERS[writer.name] = writer


def _derived_write(snapshot: MonthSnapshot, previous: MonthSnapshot | None) -> dict[str, int]:
    versions = {}
    for writer in MONTH_END_WRITERS.values():
        writer.write(snapshot.month_end, previous)
        versions[writer.name] = writer.version
    return versions


def derived_backfill() -> int:
    """Write the derived figures of every snapshot that lacks them or has an older version (after an
    upgrade added or changed a writer). Returns the snapshots rewritten. Cheap when none is stale:
    one read of the snapshots' totals."""
    done = 0
    previous = None
    for snapshot in MonthSnapshot.objects.order_by("month_end"):
        have = (snapshot.totals or {}).get("derived", {})
        stale = {name: w for name, w in MONTH_END_WRITERS.items() if have.get(name) != w.version}
        if stale:
            with transaction.atomic():
                for writer in stale.values():
                    writer.write(snapshot.month_end, previous)
                    have[writer.name] = writer.version
                totals = {**(snapshot.totals or {}), "derived": have}
                MonthSnapshot.objects.filter(pk=snapshot.pk).update(totals=totals)
                snapshot.totals = totals
            done += 1
        previous = snapshot
    return done


# --- the month-end snapshot --------------------------------------------------------------------


def snapshot_for(month_end: date) -> MonthSnapshot | None:
    return MonthSnapshot.objects.filter(month_end=month_end).first()


def _watermarks() -> dict:
    from ioudesk.ledger.models import JournalEntry

    return {"transaction_max": Transaction.objects.aggregate(m=Max("id"))["m"] or 0,
            "entry_max": JournalEntry.objects.aggregate(m=Max("id"))["m"] or 0}


def _month_end_ious(month_end: date) -> int:
    first = month_end.replace(day=1)
    overdue, overdue_params = _overdue_sql(month_end, LIVE_STATUSES)
    live_marks, live = _in(LIVE_STATUSES)
    columns = ("month_end", "iou_id", "customer_id", "branch_id", "product_id", "officer_id", "kind", "status",
               "classification", "bucket", "days_past_due", "guarantee", "purpose", "annual_rate", "term",
               "contract_date", "disbursed_on", "maturity_date", "principal", "principal_outstanding",
               "interest_outstanding", "penalty_outstanding", "fee_outstanding", "overdue_principal",
               "overdue_interest", "written_off_principal")
    sql = (f"INSERT INTO {_t(MonthEndIou)} ({', '.join(_q(c) for c in columns)}) "
           f"SELECT %s, i.id, i.customer_id, i.branch_id, i.product_id, i.officer_id, i.kind, i.status, "
           f"i.classification, i.bucket, i.days_past_due, {guarantee_sql('i')}, {purpose_sql('i')}, i.annual_rate, "
           f"i.term, i.contract_date, i.disbursed_on, i.maturity_date, i.principal, i.principal_outstanding, "
           f"i.interest_outstanding, i.penalty_outstanding, i.fee_outstanding, COALESCE(o.op, 0), "
           f"COALESCE(o.oi, 0), i.written_off_principal "
           f"FROM {_t(Iou)} i LEFT JOIN ({overdue}) o ON o.iou_id = i.id "
           f"WHERE (i.status IN ({live_marks}) AND (i.disbursed_on IS NULL OR i.disbursed_on <= %s)) "
           f"OR (i.status = %s AND i.settled_on >= %s AND i.settled_on <= %s) "
           f"OR (i.status = %s AND i.written_off_on >= %s AND i.written_off_on <= %s)")
    params = [month_end, *overdue_params, *live, month_end, Status.SETTLED.value, first, month_end,
              Status.WRITTEN_OFF.value, first, month_end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _month_end_accounts(month_end: date, previous: MonthSnapshot | None) -> int:
    """MonthEndAccount at `month_end`: the previous snapshot's rows plus the postings dated after it
    (and those dated before it but entered after it: ids above its entry watermark), or, for the
    first snapshot, every posting to `month_end`."""
    from ioudesk.ledger.models import Account, Posting

    accounts = list(Account.objects.values_list("id", flat=True))
    totals: dict[int, list[int]] = {}

    def add(rows):
        for account_id, debit, credit in rows:
            entry = totals.setdefault(account_id, [0, 0])
            entry[0] += int(debit or 0)
            entry[1] += int(credit or 0)

    fen = {"d": Sum("debit"), "c": Sum("credit")}
    if previous is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT account_id, debit, credit FROM {_t(MonthEndAccount)} WHERE month_end = %s",
                           [previous.month_end])
            add(cursor.fetchall())
        mark = int((previous.totals or {}).get("entry_max", 0))
        # Two reads the indexes answer: the month's postings by (account, day) — every account id
        # listed, so the index's first column is used —, and the back-dated ones by their entry id.
        add(_fen_rows(Posting.objects.filter(account_id__in=accounts, day__gt=previous.month_end, day__lte=month_end),
                      fen))
        add(_fen_rows(Posting.objects.filter(entry_id__gt=mark, day__lte=previous.month_end), fen))
    else:
        add(_fen_rows(Posting.objects.filter(account_id__in=accounts, day__lte=month_end), fen))
    MonthEndAccount.objects.bulk_create(
        [MonthEndAccount(month_end=month_end, account_id=account_id, debit=from_fen(d), credit=from_fen(c))
         for account_id, (d, c) in sorted(totals.items())], batch_size=500)
    return len(totals)


def _fen_rows(postings, fen):
    """(account_id, debit fen, credit fen) grouped by account, summed by the database in fen."""
    from django.db.models import BigIntegerField

    rows = postings.order_by().values("account_id").annotate(
        d=Sum("debit", output_field=BigIntegerField()), c=Sum("credit", output_field=BigIntegerField()))
    return [(row["account_id"], row["d"], row["c"]) for row in rows]


def _totals(month_end: date) -> dict:
    """The snapshot's headline figures, summed by the database over the month's MonthEndIou rows in
    one GROUP BY (status, class, past due or not) — a few dozen groups folded here: live IOUs only
    for balances; written-off principal over all."""
    from django.db.models import BooleanField, Case, When

    rows = MonthEndIou.objects.filter(month_end=month_end).order_by()
    measures = ("principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
                "fee_outstanding", "overdue_principal", "overdue_interest", "written_off_principal")
    grouped = rows.annotate(past_due=Case(When(days_past_due__gt=0, then=True), default=False,
                                          output_field=BooleanField())).values(
        "status", "classification", "past_due").annotate(n=Count("id"), **{m: Sum(m) for m in measures})
    zero = Decimal("0.00")
    sums = dict.fromkeys(MONEY_TOTALS, zero)
    count = total_rows = 0
    by_class: dict[str, dict] = {}
    live = {str(s) for s in LIVE_STATUSES}
    for row in grouped:
        total_rows += row["n"]
        if row["status"] == Status.WRITTEN_OFF:
            sums["written_off_principal"] += row["written_off_principal"] or zero
        if row["status"] not in live:
            continue
        count += row["n"]
        for m in measures[:-1]:
            sums[m] += row[m] or zero
        balance = row["principal_outstanding"] or zero
        if row["classification"] in NPL_CLASSES:
            sums["npl_balance"] += balance
        if row["past_due"]:
            sums["overdue_balance"] += balance
        entry = by_class.setdefault(row["classification"], {"count": 0, "principal_outstanding": zero})
        entry["count"] += row["n"]
        entry["principal_outstanding"] += balance
    out = {"count": count, "rows": total_rows}
    for key in MONEY_TOTALS:
        out[key] = str(sums[key])
    out["by_class"] = {cls: {"count": v["count"], "principal_outstanding": str(v["principal_outstanding"])}
                       for cls, v in by_class.items()}
    return out


def snapshot_figures(user, month_end: date) -> dict:
    """A month's headline figures in the user's scope: the snapshot's totals for a user who sees every
    branch, else summed from its MonthEndIou rows of the user's branches (index month_end, branch)."""
    snapshot = snapshot_for(month_end)
    if snapshot is None:
        return {}
    if scope.visible_branch_ids(user) is None and "by_class" in (snapshot.totals or {}):
        totals = snapshot.totals
        return {"count": totals["count"], **{key: Decimal(totals[key]) for key in MONEY_TOTALS},
                "by_class": {cls: {"count": v["count"], "principal_outstanding": Decimal(v["principal_outstanding"])}
                             for cls, v in totals["by_class"].items()}}
    rows = scope.scope_queryset(user, MonthEndIou.objects.filter(month_end=month_end))
    live = rows.filter(status__in=LIVE_STATUSES)
    out = live.aggregate(count=Count("id"), principal=Sum("principal"), principal_outstanding=Sum("principal_outstanding"),
                         interest_outstanding=Sum("interest_outstanding"), penalty_outstanding=Sum("penalty_outstanding"),
                         fee_outstanding=Sum("fee_outstanding"), overdue_principal=Sum("overdue_principal"),
                         overdue_interest=Sum("overdue_interest"))
    by_class = {}
    npl = overdue = Decimal("0.00")
    for cls, bucket, n, p in live.order_by().values_list("classification", "bucket").annotate(
            n=Count("id"), p=Sum("principal_outstanding")).values_list("classification", "bucket", "n", "p"):
        entry = by_class.setdefault(cls, {"count": 0, "principal_outstanding": Decimal("0.00")})
        entry["count"] += n
        entry["principal_outstanding"] += p
        npl += p if cls in NPL_CLASSES else 0
        overdue += p if bucket != "M0" else 0
    out["npl_balance"], out["overdue_balance"], out["by_class"] = npl, overdue, by_class
    out["written_off_principal"] = rows.filter(status=Status.WRITTEN_OFF).aggregate(
        v=Sum("written_off_principal"))["v"]
    return {key: (value if value is not None else Decimal("0.00")) for key, value in out.items()}


def month_end_take(month_end: date, *, close_run=None) -> MonthSnapshot:
    """Freeze `month_end`: every IOU that counts at the month end (live, or settled / written off
    in that month) into MonthEndIou, the trial balance into MonthEndAccount, the totals and the
    watermarks (the last transaction and journal entry seen) into MonthSnapshot. Taken once: a
    second call returns the snapshot already taken, unchanged."""
    existing = snapshot_for(month_end)
    if existing is not None:
        return existing
    started = time.monotonic()
    with transaction.atomic():
        marks = _watermarks()
        previous = MonthSnapshot.objects.filter(month_end__lt=month_end).order_by("-month_end").first()
        MonthEndIou.objects.filter(month_end=month_end).delete()  # a half-written attempt (no snapshot row)
        MonthEndAccount.objects.filter(month_end=month_end).delete()
        _month_end_ious(month_end)
        accounts = _month_end_accounts(month_end, previous)
        totals = {**_totals(month_end), **marks, "accounts": accounts}
        snapshot = MonthSnapshot.objects.create(month_end=month_end, close_run=close_run,
                                                iou_count=totals["count"], totals=totals)
        derived = _derived_write(snapshot, previous)
        if derived:
            snapshot.totals = {**totals, "derived": derived}
            MonthSnapshot.objects.filter(pk=snapshot.pk).update(totals=snapshot.totals)
        seconds = Decimal(int((time.monotonic() - started) * 1000)) / 1000
        MonthSnapshot.objects.filter(pk=snapshot.pk).update(seconds=seconds)
        snapshot.seconds = seconds
    return snapshot


# --- back-dated changes after a snapshot -------------------------------------------------------


def _iou_principal(iou_id: int, day: date) -> Decimal:
    """An IOU's principal balance at the end of `day` by the ledger: its postings of component
    本金 (1301 for a 借条, 1122 for a 欠条: the component says which lines, whatever the account)."""
    from ioudesk.ledger.models import Component, Posting

    row = Posting.objects.filter(iou_id=iou_id, day__lte=day, component=Component.PRINCIPAL).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    return (row["d"] or Decimal("0.00")) - (row["c"] or Decimal("0.00"))


def _late_movement(account_id: int, day: date, entry_mark: int) -> Decimal:
    """What entries entered after a snapshot (ids above its watermark) moved on an account to `day`
    (debit − credit): the snapshot's balance plus it is the balance now (the entry index, not a sum
    over every posting of the account)."""
    from ioudesk.ledger.models import Posting

    row = Posting.objects.filter(account_id=account_id, entry_id__gt=entry_mark, day__lte=day).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    return (row["d"] or Decimal("0.00")) - (row["c"] or Decimal("0.00"))


def differences_find(since: date | None = None, *, after_transaction: int = 0, after_entry: int = 0) -> int:
    """For every snapshot (with ``month_end >= since`` when given): the transactions and journal
    entries dated on or before its month end that were entered after it (ids above its
    watermarks), each recorded once as a SnapshotDifference (the IOU's principal balance at the
    month end as the snapshot has it and as the ledger has it now; for an entry without an IOU,
    each account it touched). ``after_transaction`` / ``after_entry``: ids already looked at (the
    day step passes how far it read the day before), so a day's search reads only the rows entered
    since (a primary-key range), not everything after an old snapshot. Returns the rows added."""
    from ioudesk.ledger.models import JournalEntry, Posting

    snapshots = MonthSnapshot.objects.order_by("month_end")
    if since is not None:
        snapshots = snapshots.filter(month_end__gte=since)
    added = 0
    for snapshot in snapshots:
        marks = snapshot.totals or {}
        tx_mark, entry_mark = int(marks.get("transaction_max", 0)), int(marks.get("entry_max", 0))
        known_tx = set(SnapshotDifference.objects.filter(month_end=snapshot.month_end, transaction__isnull=False)
                       .values_list("transaction_id", flat=True))
        known_entry = set(SnapshotDifference.objects.filter(month_end=snapshot.month_end, entry__isnull=False)
                          .values_list("entry_id", flat=True))
        new = []
        late = (Transaction.objects.filter(id__gt=max(tx_mark, after_transaction), day__lte=snapshot.month_end)
                .exclude(kind__in=(TransactionKind.ACCRUAL, TransactionKind.PENALTY))
                .select_related("iou").order_by("id"))
        # Interest and penalty booked by a later close for days up to the month end are part of the
        # close's own catching up; a back-dated repayment, waiver, reversal … is a change.
        balances: dict[int, tuple[Decimal, Decimal]] = {}
        for record in late:
            if record.pk in known_tx:
                continue
            iou = record.iou
            if iou.pk not in balances:
                frozen = MonthEndIou.objects.filter(month_end=snapshot.month_end, iou_id=iou.pk).values_list(
                    "principal_outstanding", flat=True).first() or Decimal("0.00")
                balances[iou.pk] = (frozen, _iou_principal(iou.pk, snapshot.month_end))
            frozen, current = balances[iou.pk]
            new.append(SnapshotDifference(
                month_end=snapshot.month_end, iou_id=iou.pk, transaction=record, branch_id=iou.branch_id,
                measure="principal_outstanding", snapshot_value=frozen, current_value=current,
                note=f"{record.get_kind_display()} {record.day.isoformat()} {record.amount}"[:200]))
        entries = (JournalEntry.objects.filter(id__gt=max(entry_mark, after_entry), day__lte=snapshot.month_end,
                                               iou_id__isnull=True)
                   .exclude(pk__in=known_entry).order_by("id"))
        frozen_accounts = dict(MonthEndAccount.objects.filter(month_end=snapshot.month_end).values_list(
            "account_id", "debit"))
        frozen_credit = dict(MonthEndAccount.objects.filter(month_end=snapshot.month_end).values_list(
            "account_id", "credit"))
        for entry in entries:
            for account_id, code in (Posting.objects.filter(entry=entry).values_list("account_id", "account__code")
                                     .distinct()):
                frozen = frozen_accounts.get(account_id, Decimal("0.00")) - frozen_credit.get(account_id,
                                                                                              Decimal("0.00"))
                new.append(SnapshotDifference(
                    month_end=snapshot.month_end, entry=entry, measure=f"account:{code}"[:40],
                    snapshot_value=frozen,
                    current_value=frozen + _late_movement(account_id, snapshot.month_end, entry_mark),
                    note=f"{entry.number} {entry.day.isoformat()} {entry.memo}"[:200]))
        SnapshotDifference.objects.bulk_create(new, batch_size=500)
        added += len(new)
    return added


def differences_count(user, month_end: date) -> int:
    """SnapshotDifference rows of a month in the user's scope (reports put it in ``differences``)."""
    rows = SnapshotDifference.objects.filter(month_end=month_end)
    branches = scope.visible_branch_ids(user)
    if branches is not None:
        rows = rows.filter(Q(branch_id__in=branches) | Q(branch__isnull=True))
    return rows.count()


def latest_portfolio_day(user=None, on_or_before: date | None = None) -> date | None:
    """The last day PortfolioDay was written for (the latest closed day the reports know), or the
    last one on or before `on_or_before` (a report for an earlier day)."""
    from ioudesk.reports.models import DayMark

    marks = DayMark.objects.all()
    days = PortfolioDay.objects.all()
    if on_or_before is not None:
        marks, days = marks.filter(day__lte=on_or_before), days.filter(day__lte=on_or_before)
    day = marks.order_by("-day").values_list("day", flat=True).first()
    if day is not None and (on_or_before is None or PortfolioDay.objects.filter(day=day).exists()):
        return day
    return days.order_by("-day").values_list("day", flat=True).first()
