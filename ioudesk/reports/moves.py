"""MonthEndMove (issue 14, M): the five-tier and aging-bucket moves between two month ends, which the
五级分类 report (its tiers and migration matrix) and the 回收 report (its roll rates) read.

- ``moves_write(month_end)`` (a MonthEndWriter, inside ``month_end_take``): one INSERT … SELECT of
  the month end's MonthEndIou joined with the previous month end's by the unique (month_end, iou)
  index — every IOU of the earlier month end with where it stands at this one (its row, or ``gone``),
  and the IOUs new since (``new``) — grouped by branch, product, officer, kind and the two states.
- ``moves_day_write(day)`` (a DayWriter, the latest closed day only): the same SELECT with the IOUs
  as they stand for the later side — the month not yet frozen against the last month end. On a
  month end it writes nothing: the snapshot's own rows stand for that day.
- reading: ``month_moves`` (a frozen month) and ``current_moves`` (the business date's month) return
  the rows grouped by the states, in the user's scope and the report's filters. When the stored rows
  cannot answer (a customer filter, no rows written yet, the snapshot's rows rewritten since, a new
  installation) they run the same SELECT at once (one function, so the figures agree by
  construction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, from_fen
from ioudesk.core import clock, scope
from ioudesk.core.fields import MoneySum
from ioudesk.ious.models import LIVE_STATUSES, Iou
from ioudesk.reports.model_moves import GONE, LIVE, NEW, MonthEndMove, MonthEndMoveSet
from ioudesk.reports.models import DayMark, MonthEndIou, MonthSnapshot
from ioudesk.reports.params import ReportParams, iou_filter, month_end, previous_month_end

VERSION = 1
STATES = ("from_state", "from_class", "from_bucket", "to_state", "to_class", "to_bucket")
COLUMNS = ("branch_id", "product_id", "officer_id", "kind", *STATES, "count", "from_balance", "to_balance")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return _q(model._meta.db_table)


LIVE_SQL = ", ".join(f"'{s}'" for s in LIVE_STATUSES)  # constants, not input


# --- the SELECT --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restrict:
    """What a computed (not stored) read is limited to: branch ids (None: every branch), the report's
    dimension filters and the customer's category / kind (the stored rows do not keep those)."""

    branches: tuple[int, ...] | None = None
    product_id: int | None = None
    officer_id: int | None = None
    kind: str = ""
    category: str = ""
    customer_kind: str = ""
    customer_id: int | None = None

    def sql(self, alias: str) -> tuple[str, list]:
        from ioudesk.customers.models import Customer

        parts, params = [], []
        if self.branches is not None:
            if not self.branches:
                return " AND 1 = 0", []
            parts.append(f"{alias}.branch_id IN ({', '.join(['%s'] * len(self.branches))})")
            params += list(self.branches)
        for column, value in (("product_id", self.product_id), ("officer_id", self.officer_id),
                              ("customer_id", self.customer_id)):
            if value:
                parts.append(f"{alias}.{column} = %s")
                params.append(value)
        if self.kind:
            parts.append(f"{alias}.kind = %s")
            params.append(self.kind)
        for column, value in (("category", self.category), ("kind", self.customer_kind)):
            if value:
                parts.append(f"{alias}.customer_id IN (SELECT c.id FROM {_t(Customer)} c WHERE c.{_q(column)} = %s)")
                params.append(value)
        return "".join(f" AND {p}" for p in parts), params


def moves_select(earlier: date | None, later: date | None, restrict: Restrict | None = None) -> tuple[str, list]:
    """The grouped moves as a SELECT (columns COLUMNS, balances in fen): the IOUs of MonthEndIou at
    `earlier` (None: there is none, every IOU is new) against MonthEndIou at `later` (None: the IOUs
    as they stand, live statuses for the new ones). Each side is read through the unique
    (month_end, iou) index (``iou_id > 0`` makes SQLite walk it in IOU order) and each IOU of one
    side looked up in the other by the same index (or the IOU's primary key)."""
    restrict = restrict or Restrict()
    mei = _t(MonthEndIou)
    to_state = f"CASE WHEN m.id IS NULL THEN '{GONE}' WHEN m.status IN ({LIVE_SQL}) THEN '{LIVE}' ELSE m.status END"
    parts, params = [], []
    if earlier is not None:
        where_p, restrict_p = restrict.sql("p")
        if later is not None:
            join, join_params = f"{mei} m ON m.month_end = %s AND m.iou_id = p.iou_id", [later]
        else:
            join, join_params = f"{_t(Iou)} m ON m.id = p.iou_id", []
        parts.append(
            f"SELECT p.branch_id AS branch_id, p.product_id AS product_id, p.officer_id AS officer_id, "
            f"p.kind AS kind, CASE WHEN p.status IN ({LIVE_SQL}) THEN '{LIVE}' ELSE p.status END AS from_state, "
            f"p.classification AS from_class, p.bucket AS from_bucket, {to_state} AS to_state, "
            f"COALESCE(m.classification, '') AS to_class, COALESCE(m.bucket, '') AS to_bucket, "
            f"COUNT(*) AS n, SUM(p.principal_outstanding) AS from_balance, "
            f"COALESCE(SUM(m.principal_outstanding), 0) AS to_balance "
            f"FROM {mei} p LEFT JOIN {join} WHERE p.month_end = %s AND p.iou_id > 0{where_p} "
            f"GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10")
        params += [*join_params, earlier, *restrict_p]
    where_m, restrict_m = restrict.sql("m")
    if later is not None:
        source, id_column, where = f"{mei} m", "m.iou_id", "m.month_end = %s AND m.iou_id > 0"
        where_params = [later]
    else:
        source, id_column, where = f"{_t(Iou)} m", "m.id", f"m.status IN ({LIVE_SQL})"
        where_params = []
    if earlier is not None:
        source += f" LEFT JOIN {mei} p ON p.month_end = %s AND p.iou_id = {id_column}"
        where += " AND p.id IS NULL"
        where_params = [earlier, *where_params]
    parts.append(
        f"SELECT m.branch_id AS branch_id, m.product_id AS product_id, m.officer_id AS officer_id, "
        f"m.kind AS kind, '{NEW}' AS from_state, '' AS from_class, '' AS from_bucket, "
        f"CASE WHEN m.status IN ({LIVE_SQL}) THEN '{LIVE}' ELSE m.status END AS to_state, "
        f"m.classification AS to_class, m.bucket AS to_bucket, COUNT(*) AS n, 0 AS from_balance, "
        f"SUM(m.principal_outstanding) AS to_balance FROM {source} WHERE {where}{where_m} "
        f"GROUP BY m.branch_id, m.product_id, m.officer_id, m.kind, m.status, m.classification, m.bucket")
    params += [*where_params, *restrict_m]
    return " UNION ALL ".join(parts), params


# --- writing -------------------------------------------------------------------------------------------


def _marks(day: date | None) -> tuple[int | None, int | None]:
    if day is None:
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {_t(MonthEndIou)} WHERE month_end = %s", [day])
        first, last = cursor.fetchone()
    return first, last


def _write(month: date, *, live: bool, as_of: date, earlier: date | None) -> int:
    """Delete and rewrite the set (month, live): the grouped moves from `earlier` to `month` (live:
    to the IOUs as they stand at the close of `as_of`)."""
    select, params = moves_select(earlier, None if live else month)
    names = ", ".join(_q(c) for c in ("month_end", "live", *COLUMNS))
    inner = ", ".join(f"q.{c}" for c in ("branch_id", "product_id", "officer_id", "kind", *STATES, "n",
                                         "from_balance", "to_balance"))
    sql = f"INSERT INTO {_t(MonthEndMove)} ({names}) SELECT %s, %s, {inner} FROM ({select}) q"
    with transaction.atomic():
        if live:
            MonthEndMove.objects.filter(live=True).delete()
            MonthEndMoveSet.objects.filter(live=True).delete()
        else:
            MonthEndMove.objects.filter(month_end=month, live=False).delete()
            MonthEndMoveSet.objects.filter(month_end=month, live=False).delete()
        with connection.cursor() as cursor:
            cursor.execute(sql, [month, live, *params])
            rows = cursor.rowcount
        earlier_first, earlier_last = _marks(earlier)
        later_first, later_last = (None, None) if live else _marks(month)
        MonthEndMoveSet.objects.create(month_end=month, live=live, as_of=as_of, previous=earlier, rows=rows,
                                       earlier_first=earlier_first, earlier_last=earlier_last,
                                       later_first=later_first, later_last=later_last)
    return rows


def _snapshotted(day: date) -> date | None:
    return day if MonthSnapshot.objects.filter(month_end=day).exists() else None


def moves_write(month: date, previous: MonthSnapshot | None = None) -> int:
    """The MonthEndWriter: the moves from the calendar month end before `month` (when it was frozen;
    otherwise every IOU counts as new) to `month`."""
    return _write(month, live=False, as_of=month, earlier=_snapshotted(previous_month_end(month)))


def moves_day_write(day: date, *, latest: bool = True, previous=None) -> int:
    """The DayWriter (a state writer: the latest closed day only): the moves from the last month end
    to the IOUs as they stand at the close of `day`. Nothing on a month end (its snapshot's rows stand
    for it) or without a snapshot of the last month end."""
    if not latest:
        return 0
    earlier = None if _is_month_end(day) else _snapshotted(previous_month_end(day))
    if earlier is None:
        with transaction.atomic():
            MonthEndMove.objects.filter(live=True).delete()
            MonthEndMoveSet.objects.filter(live=True).delete()
        return 0
    return _write(month_end(day), live=True, as_of=day, earlier=earlier)


def moves_backfill(first: date, last: date) -> int:
    """History: only the latest day's moves are kept, so the last day of the range (when it is the
    latest the close ran for)."""
    return moves_day_write(last, latest=not DayMark.objects.filter(day__gt=last).exists())


def _is_month_end(day: date) -> bool:
    return month_end(day) == day


# --- reading -------------------------------------------------------------------------------------------


@dataclass
class Moves:
    """Moves grouped by STATES (each row: the six states, count, from_balance, to_balance as Decimal
    yuan) from the month end `previous` (None: none frozen, every IOU new) to `month`; `as_of`: the
    day the later side stands at; `source`: ``snapshot`` (a frozen month), ``close`` (the latest
    close's figures of the month not yet frozen) or ``live`` (the IOUs as they stand now)."""

    rows: list[dict]
    month: date
    as_of: date
    previous: date | None
    source: str


def _answerable(params: ReportParams) -> bool:
    """Whether the stored rows can answer the filters (they keep branch, product, officer and kind)."""
    return not (params.category or params.customer_kind or params.customer_id or params.classification
                or params.bucket)


def _restrict(user, params: ReportParams, kind: str) -> Restrict:
    from ioudesk.core.models import Branch

    branches = scope.visible_branch_ids(user)
    if params.branch_id:
        path = Branch.objects.filter(pk=params.branch_id).values_list("path", flat=True).first() or "/-/"
        subtree = list(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))
        branches = subtree if branches is None else [b for b in subtree if b in set(branches)]
    return Restrict(branches=tuple(branches) if branches is not None else None, product_id=params.product_id,
                    officer_id=params.officer_id, kind=kind, category=params.category or "",
                    customer_kind=params.customer_kind or "", customer_id=params.customer_id)


def _valid(moves_set: MonthEndMoveSet) -> bool:
    """The snapshot rows the set was computed from are still there (first and last id of each side)."""
    expected = {}
    for first, last, day in ((moves_set.earlier_first, moves_set.earlier_last, moves_set.previous),
                             (moves_set.later_first, moves_set.later_last, moves_set.month_end)):
        for pk in (first, last):
            if pk is not None:
                expected[pk] = day
    if not expected:
        return True
    found = dict(MonthEndIou.objects.filter(pk__in=list(expected)).values_list("id", "month_end"))
    return found == expected


def _stored(user, params: ReportParams, kind: str, month: date, live: bool) -> list[dict]:
    rows = scope.scope_queryset(user, MonthEndMove.objects.filter(month_end=month, live=live)).filter(
        iou_filter(params))
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values(*STATES).annotate(count=Sum("count"), from_balance=MoneySum("from_balance"),
                                              to_balance=MoneySum("to_balance")).order_by())


def _computed(user, params: ReportParams, kind: str, earlier: date | None, later: date | None) -> list[dict]:
    select, sql_params = moves_select(earlier, later, _restrict(user, params, kind))
    states = ", ".join(f"q.{s}" for s in STATES)
    sql = (f"SELECT {states}, SUM(q.n), SUM(q.from_balance), SUM(q.to_balance) FROM ({select}) q "
           f"GROUP BY {states}")
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        found = cursor.fetchall()
    return [{**dict(zip(STATES, row[:6], strict=True)), "count": int(row[6] or 0),
             "from_balance": from_fen(int(row[7] or 0)), "to_balance": from_fen(int(row[8] or 0))} for row in found]


def month_moves(user, params: ReportParams, month: date, *, kind: str = "") -> Moves:
    """The moves to a frozen month end `month` from the month end before it (when frozen)."""
    earlier = _snapshotted(previous_month_end(month))
    if _answerable(params):
        stored = MonthEndMoveSet.objects.filter(month_end=month, live=False).first()
        if stored is not None and stored.previous == earlier and _valid(stored):
            return Moves(_stored(user, params, kind, month, False), month, month, earlier, "snapshot")
    return Moves(_computed(user, params, kind, earlier, month), month, month, earlier, "snapshot")


def current_moves(user, params: ReportParams, *, kind: str = "") -> Moves:
    """The moves of the business date's month (not yet frozen) from the last month end: the latest
    close's rows when they were written against that month end; right after the month end's own
    close (no close since), its snapshot's rows (every IOU stands where it stood then); otherwise
    computed from the IOUs as they stand."""
    today = clock.today()
    month = month_end(today)
    earlier = _snapshotted(previous_month_end(today))
    if earlier is not None and _answerable(params):
        stored = MonthEndMoveSet.objects.filter(month_end=month, live=True).first()
        if stored is not None and stored.previous == earlier and _valid(stored):
            return Moves(_stored(user, params, kind, month, True), month, stored.as_of, earlier, "close")
        frozen = MonthEndMoveSet.objects.filter(month_end=earlier, live=False).first()
        if (stored is None and frozen is not None and _valid(frozen)
                and not DayMark.objects.filter(day__gt=earlier).exists()):
            cells: dict[tuple, dict] = {}
            for row in _stored(user, params, kind, earlier, False):
                if row["to_state"] != LIVE:
                    continue
                key = (LIVE, row["to_class"], row["to_bucket"], LIVE, row["to_class"], row["to_bucket"])
                cell = cells.setdefault(key, {"count": 0, "from_balance": ZERO, "to_balance": ZERO})
                cell["count"] += row["count"]
                cell["from_balance"] += row["to_balance"]
                cell["to_balance"] += row["to_balance"]
            rows = [{**dict(zip(STATES, key, strict=True)), **cell} for key, cell in cells.items()]
            return Moves(rows, month, earlier, earlier, "close")
    return Moves(_computed(user, params, kind, earlier, None), month, today, earlier, "live")


# --- what the reports derive -----------------------------------------------------------------------


def tiers(moves: Moves) -> dict[str, dict]:
    """The later side's live IOUs by five-tier class: {class: {count, balance}}."""
    out: dict[str, dict] = {}
    for row in moves.rows:
        if row["to_state"] == LIVE:
            cell = out.setdefault(row["to_class"], {"count": 0, "balance": ZERO})
            cell["count"] += row["count"]
            cell["balance"] += row["to_balance"]
    return out


def register() -> None:
    from ioudesk.reports.snapshots import (
        DayWriter,
        MonthEndWriter,
        register_day_writer,
        register_month_end_writer,
    )

    register_month_end_writer(MonthEndWriter(name="moves", version=VERSION, write=moves_write))
    register_day_writer(DayWriter(name="moves", label=_("迁徙汇总行"), write=moves_day_write,
                                  backfill=moves_backfill))
