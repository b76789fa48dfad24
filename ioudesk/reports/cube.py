"""PortfolioCube (issue 14, Q; docs/architecture.md 报表): the portfolio grouped by every dimension the
balance reports (贷款余额汇总, 贷款余额明细's totals, 不良率趋势, 贷款损失准备, 业务状况月报, 客户欠款分析's
借款 row) and their filters need, so that a report sums a few thousand rows instead of a million IOUs.

- ``cube_select(frozen, day, …)``: THE SELECT of the cube's cells — from the live IOUs (as they stand)
  or from a month end's MonthEndIou rows. The writers INSERT … SELECT it; a report with no cube rows
  to read (no close has written them: a new installation, most tests) runs the same SELECT with its
  filters (``figures``), so both ways give the same numbers by construction.
- the day writer ``cube`` (the close's day step, latest day only): rewrites the cells of the closed
  day from the IOUs and deletes the live cells of any other day (month ends have their frozen cells);
- the month-end writer ``cube`` (month_end_take, derived_backfill): rewrites a month end's frozen
  cells from its MonthEndIou rows, so they stay as the snapshot froze them.

Cells hold the live IOUs (active, overdue, extended) and, for the rates of the month, the settled or
written-off IOUs disbursed in the cell's month (readers take balances of the live statuses only).
"""

from __future__ import annotations

import calendar
import decimal
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BigIntegerField, DecimalField, Max, Min, Sum
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import from_fen, round_places, to_fen
from ioudesk.calc.reporting import SIZE_BANDS, TERM_BANDS
from ioudesk.core import scope
from ioudesk.ious.models import LIVE_STATUSES, Iou, Purpose, Status
from ioudesk.reports.model_cube import PortfolioCube
from ioudesk.reports.models import MonthEndIou

LIVE = tuple(str(s) for s in LIVE_STATUSES)
# Statuses a cell may hold besides the live ones: loans disbursed in the month that left the books since.
GONE = (str(Status.SETTLED), str(Status.WRITTEN_OFF))
VERSION = 1
RATE_SCALE = 10 ** 8  # annual_rate has 8 decimal places

DIMENSIONS = ("branch_id", "product_id", "officer_id", "kind", "status", "guarantee", "purpose", "size_band",
              "term_band", "period_band", "borrower", "category", "customer_kind", "classification", "bucket")
MONEY = ("principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding", "fee_outstanding",
         "overdue_principal", "overdue_interest", "overdue_balance", "new_principal")
MEASURES = ("count", *MONEY[:-1], "new_count", "new_principal", "new_rate_sum", "new_rate_min", "new_rate_max")
# regulatory.py's term bands (t1 … t4) by repayment frequency: the periods each band's edge in months is
PERIOD_BANDS = (("t1", 6), ("t2", 12), ("t3", 36), ("t4", None))
PERIODS_PER_MONTHS = {"monthly": {6: 6, 12: 12, 36: 36}, "quarterly": {6: 2, 12: 4, 36: 12},
                      "weekly": {6: 26, 12: 52, 36: 156}, "biweekly": {6: 13, 12: 26, 36: 78},
                      "daily": {6: 183, 12: 365, 36: 1095}}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return _q(model._meta.db_table)


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


# --- the dimensions in SQL text (the same readings as dimensions.py and regulatory.py) --------------


def size_sql(alias: str) -> str:
    whens = " ".join(f"WHEN {alias}.principal <= {to_fen(upper)} THEN '{code}'" for code, upper in SIZE_BANDS
                     if upper is not None)
    return f"CASE {whens} ELSE '{SIZE_BANDS[-1][0]}' END"


def term_sql(alias: str) -> str:
    whens = " ".join(f"WHEN {alias}.term <= {upper} THEN '{code}'" for code, upper in TERM_BANDS if upper is not None)
    return f"CASE {whens} ELSE '{TERM_BANDS[-1][0]}' END"


def period_sql(term: str, frequency: str) -> str:
    """regulatory.term_expr: the term is a number of periods of the IOU's repayment frequency."""
    whens = []
    for code, months in PERIOD_BANDS:
        if months is None:
            continue
        for freq, edges in PERIODS_PER_MONTHS.items():
            whens.append(f"WHEN {frequency} = '{freq}' AND {term} <= {edges[months]} THEN '{code}'")
    return f"CASE {' '.join(whens)} ELSE '{PERIOD_BANDS[-1][0]}' END"


def borrower_sql(customer: str, purpose: str) -> str:
    """regulatory.borrower_expr in SQL text (农户, 个体工商户, 个人, 小微企业, 其他)."""
    agriculture = Purpose.AGRICULTURE.value
    return (f"CASE WHEN {customer}.kind = 'individual' AND {purpose} = '{agriculture}' THEN 'farmer' "
            f"WHEN {customer}.credit_code LIKE '92%%' THEN 'sole_trader' "
            f"WHEN {customer}.kind = 'individual' AND {customer}.employer LIKE '%%个体%%' THEN 'sole_trader' "
            f"WHEN {customer}.kind = 'individual' THEN 'individual' "
            f"WHEN {customer}.credit_code = '' OR {customer}.credit_code LIKE '91%%' THEN 'small_business' "
            f"ELSE 'other' END")


# --- THE select -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Conditions a report's filters put on the IOUs (None: not filtered). ``branches``: the scope and
    the branch subtree already intersected."""

    branches: tuple[int, ...] | None = None
    product_id: int | None = None
    officer_id: int | None = None
    kind: str = ""
    classification: str = ""
    bucket: str = ""
    category: str = ""
    customer_kind: str = ""

    def sql(self, alias: str, customer: str) -> tuple[str, list]:
        parts, params = [], []
        if self.branches is not None:
            if not self.branches:
                return " AND 1 = 0", []
            parts.append(f"{alias}.branch_id IN ({_marks(self.branches)})")
            params += list(self.branches)
        for column, value, table in (("product_id", self.product_id, alias), ("officer_id", self.officer_id, alias),
                                     ("kind", self.kind, alias), ("classification", self.classification, alias),
                                     ("bucket", self.bucket, alias), ("category", self.category, customer),
                                     ("kind", self.customer_kind, customer)):
            if value:
                parts.append(f"{table}.{column} = %s")
                params.append(value)
        return "".join(f" AND {p}" for p in parts), params

    def q(self):
        from django.db.models import Q

        q = Q()
        if self.branches is not None:
            q &= Q(branch_id__in=self.branches)
        for field, value in (("product_id", self.product_id), ("officer_id", self.officer_id), ("kind", self.kind),
                             ("classification", self.classification), ("bucket", self.bucket),
                             ("category", self.category), ("customer_kind", self.customer_kind)):
            if value:
                q &= Q(**{field: value})
        return q


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def cube_select(frozen: bool, day: date, *, where: Where = Where(), month: date | None = None,
                new_only: bool = False, dims: tuple[str, ...] = DIMENSIONS, overdue: bool = True,
                month_figures: bool = True) -> tuple[str, list]:
    """The cube's cells (columns DIMENSIONS + MEASURES, money in fen): from MonthEndIou of month end
    `day` (frozen) or from the live IOUs (as they stand; `day` is the closed day they stand at).
    "New" figures count the IOUs disbursed in `month`'s month (default: `day`'s). `new_only`: only
    those IOUs (the month's rates alone). `dims`: the cells by fewer dimensions (a report's own read:
    the customer joined only when a dimension or filter needs it); `overdue`: without the overdue
    principal and interest (zero), which no report reads from here; `month_figures`: False for a read of the
    live IOUs' balances alone (no month's figures: the cells of the live statuses only)."""
    from ioudesk.customers.models import Customer
    from ioudesk.reports.snapshots import _overdue_sql, guarantee_sql, purpose_sql

    first, last = month_bounds(month or day)
    customers = bool({"borrower", "category", "customer_kind"} & set(dims)) or bool(where.category or where.customer_kind)
    join = f"JOIN {_t(Customer)} c ON c.id = i.customer_id " if customers else ""
    live_marks, gone_marks = _marks(LIVE), _marks(GONE)
    new = "i.disbursed_on >= %s AND i.disbursed_on <= %s"
    if frozen:
        iou = f"JOIN {_t(Iou)} j ON j.id = i.iou_id " if "period_band" in dims else ""
        source = f"FROM {_t(MonthEndIou)} i {iou}{join}"
        guarantee, purpose, frequency = "i.guarantee", "i.purpose", "j.frequency"
        overdue_p, overdue_i = "i.overdue_principal", "i.overdue_interest"
        head_params: list = []
        base, base_params = "i.month_end = %s", [day]
    else:
        guarantee, purpose, frequency = guarantee_sql("i"), purpose_sql("i"), "i.frequency"
        if overdue:
            parts, head_params = _overdue_sql(day, LIVE_STATUSES)
            source = f"FROM {_t(Iou)} i {join}LEFT JOIN ({parts}) o ON o.iou_id = i.id "
            overdue_p, overdue_i = "COALESCE(o.op, 0)", "COALESCE(o.oi, 0)"
        else:
            source, head_params = f"FROM {_t(Iou)} i {join}", []
            overdue_p = overdue_i = "0"
        base, base_params = "1 = 1", []
    if not month_figures:
        status, status_params = f"i.status IN ({live_marks})", [*LIVE]
    elif new_only:
        status = f"i.status IN ({live_marks}, {gone_marks}) AND {new}"
        status_params = [*LIVE, *GONE, first, last]
    else:
        status = f"(i.status IN ({live_marks}) OR (i.status IN ({gone_marks}) AND {new}))"
        status_params = [*LIVE, *GONE, first, last]
    filters, filter_params = where.sql("i", "c")
    dims_all = [("branch_id", "i.branch_id"), ("product_id", "i.product_id"), ("officer_id", "i.officer_id"),
            ("kind", "i.kind"), ("status", "i.status"), ("guarantee", guarantee), ("purpose", purpose),
            ("size_band", size_sql("i")), ("term_band", term_sql("i")), ("period_band", period_sql("i.term", frequency)),
            ("borrower", borrower_sql("c", purpose)), ("category", "c.category"), ("customer_kind", "c.kind"),
            ("classification", "i.classification"), ("bucket", "i.bucket")]
    dims = [(name, expr) for name, expr in dims_all if name in dims]
    is_new = f"CASE WHEN {new} THEN %s ELSE %s END"
    rate = f"CAST(ROUND(i.annual_rate * {RATE_SCALE}) AS BIGINT)"
    measures = [
        ("count", "COUNT(*)", []), ("principal", "SUM(i.principal)", []),
        ("principal_outstanding", "SUM(i.principal_outstanding)", []),
        ("interest_outstanding", "SUM(i.interest_outstanding)", []),
        ("penalty_outstanding", "SUM(i.penalty_outstanding)", []), ("fee_outstanding", "SUM(i.fee_outstanding)", []),
        ("overdue_principal", f"SUM({overdue_p})", []), ("overdue_interest", f"SUM({overdue_i})", []),
        ("overdue_balance", "SUM(CASE WHEN i.days_past_due > 0 THEN i.principal_outstanding ELSE 0 END)", []),
        ("new_count", f"SUM({is_new})", [first, last, 1, 0]),
        ("new_principal", f"SUM(CASE WHEN {new} THEN i.principal ELSE 0 END)", [first, last]),
        ("new_rate_sum", f"SUM(CASE WHEN {new} THEN {rate} * i.principal ELSE 0 END)", [first, last]),
        ("new_rate_min", f"MIN(CASE WHEN {new} THEN i.annual_rate END)", [first, last]),
        ("new_rate_max", f"MAX(CASE WHEN {new} THEN i.annual_rate END)", [first, last]),
    ]
    if not month_figures:
        measures = [(name, "NULL" if name.startswith("new_rate_m") else "0", []) if name.startswith("new_")
                    else (name, expr, ps) for name, expr, ps in measures]
    select = ", ".join([*(f"{expr} AS {_q(name)}" for name, expr in dims),
                        *(f"{expr} AS {_q(name)}" for name, expr, _p in measures)])
    measure_params = [p for _n, _e, ps in measures for p in ps]
    group = ", ".join(expr for _name, expr in dims)
    sql = f"SELECT {select} {source}WHERE {base} AND {status}{filters}" + (f" GROUP BY {group}" if dims else "")
    # parameter order: measures (in the SELECT list), the overdue derived table (FROM), then WHERE
    return sql, [*measure_params, *head_params, *base_params, *status_params, *filter_params]


# --- the writers ------------------------------------------------------------------------------------


def _write(frozen: bool, day: date) -> int:
    sql, params = cube_select(frozen, day)
    columns = ("day", "frozen", *DIMENSIONS, *MEASURES)
    names = ", ".join(_q(c) for c in columns)
    inner = ", ".join(f"x.{_q(c)}" for c in (*DIMENSIONS, *MEASURES))
    insert = f"INSERT INTO {_t(PortfolioCube)} ({names}) SELECT %s, %s, {inner} FROM ({sql}) x"
    with transaction.atomic(), connection.cursor() as cursor:
        if frozen:
            PortfolioCube.objects.filter(day=day, frozen=True).delete()
        else:
            PortfolioCube.objects.filter(frozen=False).delete()
        cursor.execute(insert, [day, frozen, *params])
        return cursor.rowcount


def day_write(day: date, *, latest: bool, previous=None) -> int:
    """The close's day writer: the cells of `day` from the IOUs as they stand (only when `day` is the
    newest day closed: an older day's rerun would write today's figures under its date), the live
    cells of every other day deleted (a month end keeps its frozen cells)."""
    if not latest:
        return 0
    return _write(False, day)


def day_backfill(first: date, last: date) -> int:
    """History for an installation that had closes before the cube existed: the cells of the last
    closed day (the cube keeps no older live day; month ends come from their snapshots)."""
    return _write(False, last)


def month_end_write(month_end: date, previous=None) -> int:
    """A month end's frozen cells from its MonthEndIou rows (delete and rewrite)."""
    return _write(True, month_end)


def register() -> None:
    from ioudesk.reports.snapshots import (
        DayWriter,
        MonthEndWriter,
        register_day_writer,
        register_month_end_writer,
    )

    register_day_writer(DayWriter(name="cube", label=_("组合多维汇总行"), write=day_write, backfill=day_backfill))
    register_month_end_writer(MonthEndWriter(name="cube", version=VERSION, write=month_end_write))


# --- reading ----------------------------------------------------------------------------------------


def where_of(params, user, *, kind: str = "") -> Where | None:
    """The report's filters as cube conditions, or None when one of them is not a cube dimension (a
    single customer): the report then runs its own query."""
    from ioudesk.core.models import Branch

    if getattr(params, "customer_id", None):
        return None
    visible = scope.visible_branch_ids(user)
    branches = None if visible is None else set(visible)
    if params.branch_id:
        path = Branch.objects.filter(pk=params.branch_id).values_list("path", flat=True).first() or ""
        tree = set(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))
        branches = tree if branches is None else branches & tree
    return Where(branches=None if branches is None else tuple(sorted(branches)), product_id=params.product_id,
                 officer_id=params.officer_id, kind=kind, classification=params.classification or "",
                 bucket=params.bucket or "", category=params.category or "", customer_kind=params.customer_kind or "")


def latest_day(on_or_before: date | None = None) -> date | None:
    """The day of the live cells: the latest closed day the cube was written for (on or before
    `on_or_before`), None before the first close. A live report reads them all day long and says so
    (latest_note): what was entered since the close counts from the next close, as the dashboard's
    and the aging report's PortfolioDay."""
    qs = PortfolioCube.objects.filter(frozen=False)
    if on_or_before is not None:
        qs = qs.filter(day__lte=on_or_before)
    return qs.order_by("-day").values_list("day", flat=True).first()


def frozen_written(month_end: date) -> bool:
    return PortfolioCube.objects.filter(day=month_end, frozen=True).exists()


_FLOAT = decimal.Context(prec=15)


def _rate(value) -> Decimal | None:
    """A rate from the raw SELECT as the ORM reads a DecimalField (SQLite gives a float)."""
    if value is None:
        return None
    if isinstance(value, float):
        value = _FLOAT.create_decimal_from_float(value)
    return round_places(Decimal(value), 8)  # the field's 8 places (calc rounds, half-up)


def _finish(row: dict) -> dict:
    for name in MONEY:
        row[name] = from_fen(int(row.get(name) or 0))
    row["count"] = int(row.get("count") or 0)
    row["new_count"] = int(row.get("new_count") or 0)
    row["new_rate_sum"] = int(row.get("new_rate_sum") or 0)
    row["new_rate_min"] = _rate(row.get("new_rate_min"))
    row["new_rate_max"] = _rate(row.get("new_rate_max"))
    return row


def figures(where: Where, by: tuple[str, ...], *, frozen: bool, day: date, use_cube: bool,
            statuses: tuple[str, ...] | None = LIVE, month: date | None = None, new_only: bool = False) -> list[dict]:
    """Rows grouped by the dimensions `by` with every measure summed (money as Decimal yuan), over
    the cells of the IOUs whose status is in `statuses` (None: every cell, the rates' loans).
    `use_cube`: read the written cells of (day, frozen); otherwise run cube_select itself (the
    live IOUs, or MonthEndIou of month end `day`)."""
    sums = {name: Sum(name, output_field=BigIntegerField()) for name in ("count", *MONEY, "new_count", "new_rate_sum")}
    sums["new_rate_min"] = Min("new_rate_min", output_field=DecimalField(max_digits=10, decimal_places=8))
    sums["new_rate_max"] = Max("new_rate_max", output_field=DecimalField(max_digits=10, decimal_places=8))
    if use_cube:
        qs = PortfolioCube.objects.filter(day=day, frozen=frozen).filter(where.q())
        if statuses is not None:
            qs = qs.filter(status__in=statuses)
        if new_only:
            qs = qs.filter(new_count__gt=0)
        rows = list(qs.values(*by).annotate(**sums).order_by()) if by else [qs.aggregate(**sums)]
        return [_finish(row) for row in rows]
    inner = tuple(dict.fromkeys((*by, "status")))
    balances_only = statuses is not None and not new_only and set(statuses) <= set(LIVE)
    sql, params = cube_select(frozen, day, where=where, month=month, new_only=new_only, dims=inner, overdue=False,
                              month_figures=not balances_only)
    keys = ", ".join(f"x.{_q(c)}" for c in by)
    agg = ", ".join([*(f"SUM(x.{_q(n)})" for n in ("count", *MONEY, "new_count", "new_rate_sum")),
                     f"MIN(x.{_q('new_rate_min')})", f"MAX(x.{_q('new_rate_max')})"])
    names = [*by, "count", *MONEY, "new_count", "new_rate_sum", "new_rate_min", "new_rate_max"]
    status_sql = f" WHERE x.{_q('status')} IN ({_marks(statuses)})" if statuses is not None else ""
    outer = (f"SELECT {keys + ', ' if by else ''}{agg} FROM ({sql}) x{status_sql}"
             + (f" GROUP BY {keys}" if by else ""))
    with connection.cursor() as cursor:
        cursor.execute(outer, [*params, *(statuses or ())])
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [_finish(row) for row in rows]


def weighted_rate(rate_sum: int, principal: Decimal) -> Decimal | None:
    """Σ rate × principal ÷ Σ principal, exact (the same Decimal as summing rate × yuan)."""
    if not principal:
        return None
    return Decimal(rate_sum).scaleb(-10) / principal


def latest_note(day: date) -> str:
    return _g("数据截至 %(day)s 日终（取自日终的多维汇总；之后录入的交易在下一次日终后计入）。") % {
        "day": day.isoformat()}
