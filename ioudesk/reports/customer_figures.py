"""CustomerFigure (C, docs/domain.md §27.8): each customer's figures at the latest closed day, so that
客户贷款分析 reads 200,000 grouped rows by an index instead of grouping a million IOUs per request.

- ``customer_grouped(ious)`` is THE one definition of a customer's figures (IOUs, live IOUs, principal,
  balance, interest, penalty, fee, longest days past due, write-offs): a GROUP BY customer over the
  IOUs given. The close writes it whole (``customer_figures_write``: one INSERT … SELECT of that query,
  latest closed day only); the report computes it from the IOUs with the same query when no close
  wrote figures, or for the customers the figures cannot answer (below);
- ``customer_figures_read(params, user, ious, offset, size)``: the report's page, top ten, count and
  balance total from the latest figures. Customers whose IOUs had a transaction entered after the
  figures were written (the id watermark in CustomerFigureDay), and, when the user's scope or a
  branch / product / officer filter restricts the IOUs, customers whose IOUs differ in that dimension
  (``one_branch`` … False), are computed from their IOUs (in scope and filtered) and merged in order;
  when they are more than PATCH_LIMIT the whole report is computed from the IOUs (returns None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, Max, Min, Q, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO
from ioudesk.core import scope
from ioudesk.core.fields import MoneySum
from ioudesk.ious.models import LIVE_STATUSES, Iou, Status, Transaction
from ioudesk.reports.model_customer import CustomerFigure, CustomerFigureDay

# IOUs a customer's figures count: every one that was ever lent (not a draft, one waiting for or past
# approval but not paid out, or a cancelled one).
NOT_COUNTED = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.CANCELLED)
FIGURES = ("customer_id", "ious", "live", "principal", "balance", "interest", "penalty", "fee", "max_dpd",
           "written_off")
# the dimensions a customer's IOUs may share (the figures answer a filter on them when they do)
SHARED = (("branch_id", "cf_branch", "cf_one_branch"), ("officer_id", "cf_officer", "cf_one_officer"),
          ("product_id", "cf_product", "cf_one_product"))
PATCH_LIMIT = 1000
TRANSACTION_LIMIT = 10000  # transactions entered since the figures beyond which the report computes them all


def counted_ious():
    return Iou.objects.exclude(status__in=[str(s) for s in NOT_COUNTED])


def _one(field: str) -> Q:
    """Every IOU of the group has the same value of `field` (all NULL counts as one value)."""
    return Q(Exact(Count(field), Count("id")) & Exact(Min(field), Max(field))) | Q(Exact(Count(field), 0))


def customer_grouped(ious):
    """The figures per customer of `ious` (a queryset of IOUs, scoped and filtered as the caller
    wants): the one SELECT the close writes and the report computes with."""
    live_q = Q(status__in=[str(s) for s in LIVE_STATUSES])
    shared = {}
    for field, value, one in SHARED:
        shared[one] = Case(When(_one(field), then=Value(True)), default=Value(False))
        shared[value] = Case(When(_one(field), then=Min(field)), default=None)
    return ious.values("customer_id").annotate(
        ious=Count("id"), live=Count("id", filter=live_q), principal=MoneySum("principal"),
        balance=MoneySum("principal_outstanding", filter=live_q),
        interest=MoneySum("interest_outstanding", filter=live_q), penalty=MoneySum("penalty_outstanding", filter=live_q),
        fee=MoneySum("fee_outstanding", filter=live_q), max_dpd=Max("days_past_due", filter=live_q),
        written_off=Count("id", filter=Q(status=str(Status.WRITTEN_OFF))), **shared).order_by()


# --- the close -----------------------------------------------------------------------------------------


def customer_figures_write(day: date, *, latest: bool = True, previous=None) -> int:
    """Rewrite CustomerFigure for `day` from the IOUs as they stand (only when `day` is the latest
    closed day: the figures are a state). The rows of any other day are deleted: only the latest is
    kept. Returns the rows written."""
    if not latest:
        return 0
    q = connection.ops.quote_name
    select, params = customer_grouped(counted_ious()).query.sql_with_params()
    columns = ("day", *FIGURES, "branch_id", "officer_id", "product_id", "one_branch", "one_officer", "one_product")
    picked = [*FIGURES, *(value for _f, value, _o in SHARED), *(one for _f, _v, one in SHARED)]
    table = q(CustomerFigure._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "
           f"SELECT %s, {', '.join(f'g.{q(c)}' for c in picked)} FROM ({select}) g")
    with transaction.atomic(), connection.cursor() as cursor:
        mark = Transaction.objects.order_by("-id").values_list("id", flat=True).first() or 0
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(sql, [day, *params])
        rows = cursor.rowcount
        CustomerFigureDay.objects.all().delete()
        CustomerFigureDay.objects.create(day=day, transaction_max=mark, rows=rows)
    return rows


def customer_figures_backfill(first: date, last: date) -> int:
    """History: the figures are a state, so only `last` (the latest closed day) is written."""
    return customer_figures_write(last, latest=True)


def register() -> None:
    from ioudesk.reports import snapshots

    snapshots.register_day_writer(snapshots.DayWriter(
        name="customer_figures", label=_("客户汇总行"), write=customer_figures_write,
        backfill=customer_figures_backfill))


# --- the report's read ----------------------------------------------------------------------------------


@dataclass
class CustomerRows:
    count: int
    page: list[dict]
    top: list[dict]
    whole: Decimal
    day: date | None  # the closed day the figures are of; None: computed from the IOUs
    patched: int = 0  # customers computed from their IOUs on top of the figures


def _key(row: dict):
    return (-row["balance"], row["customer_id"])


def _merge(ordered, extra: list[dict], offset: int, size: int) -> list[dict]:
    """Rows offset … offset + size of the figure rows `ordered` (a queryset, no row of `extra`'s
    customers) merged with `extra` in the report's order (balance descending, then customer)."""
    extra = sorted(extra, key=_key)
    n = len(extra)
    if not n:
        return list(ordered[offset:offset + size])
    if offset < n:
        return sorted([*ordered[:offset + size], *extra], key=_key)[offset:offset + size]
    start = offset - n  # no more than n extra rows can come before the page
    chunk = list(ordered[start:start + size + n])
    if not chunk:
        return []
    after = [r for r in extra if _key(r) > _key(chunk[0])]
    before = n - len(after)  # extra rows ahead of chunk[0], which stands at start + before
    return sorted([*chunk, *after], key=_key)[n - before:n - before + size]


def latest_figures_day() -> CustomerFigureDay | None:
    return CustomerFigureDay.objects.order_by("-day").first()


def customer_figures_read(params, user, ious, offset: int, size: int) -> CustomerRows | None:
    """The report's rows from the latest figures (see the module's docstring); `ious`: the IOUs the
    report counts, scoped and filtered (the customers computed from their IOUs are computed from
    these). None when no close wrote figures or too many customers need computing."""
    from ioudesk.core.models import Branch

    mark = latest_figures_day()
    if mark is None:
        return None
    base = CustomerFigure.objects.filter(day=mark.day)
    if params.customer_id:
        base = base.filter(customer_id=params.customer_id)
    if params.category:
        base = base.filter(customer__category=params.category)
    if params.customer_kind:
        base = base.filter(customer__kind=params.customer_kind)
    rows = base
    mixed = Q()
    visible = scope.visible_branch_ids(user)
    if visible is not None:
        rows, mixed = rows.filter(branch_id__in=visible), mixed | Q(one_branch=False)
    if params.branch_id:
        path = Branch.objects.filter(pk=params.branch_id).values_list("path", flat=True).first() or ""
        rows, mixed = rows.filter(branch__path__startswith=path), mixed | Q(one_branch=False)
    if params.product_id:
        rows, mixed = rows.filter(product_id=params.product_id), mixed | Q(one_product=False)
    if params.officer_id:
        rows, mixed = rows.filter(officer_id=params.officer_id), mixed | Q(one_officer=False)
    # the customers of the transactions entered since (their primary-key range, then their IOUs)
    touched = set(Transaction.objects.filter(id__gt=mark.transaction_max).order_by("id")
                  .values_list("iou_id", flat=True)[:TRANSACTION_LIMIT + 1])
    if len(touched) > TRANSACTION_LIMIT:
        return None
    changed = Iou.objects.filter(pk__in=touched).order_by().values_list("customer_id", flat=True).distinct()
    if params.customer_id:
        changed = changed.filter(customer_id=params.customer_id)
    patch = set(changed) if touched else set()
    if mixed and len(patch) <= PATCH_LIMIT:
        patch |= set(base.filter(mixed).values_list("customer_id", flat=True)[:PATCH_LIMIT + 1])
    if len(patch) > PATCH_LIMIT:
        return None
    extra = []
    if patch:
        rows = rows.exclude(customer_id__in=patch)
        extra = list(customer_grouped(ious.filter(customer_id__in=patch)))
    ordered = rows.order_by("-balance", "customer_id").values(*FIGURES)
    page = _merge(ordered, extra, offset, size)
    first = page if offset == 0 else _merge(ordered, extra, 0, 10)
    top = [r for r in first[:10] if r["balance"] > 0]
    sums = rows.aggregate(n=Count("id"), v=MoneySum("balance"))  # one pass (a customer filter joins each row)
    whole = sums["v"] + sum((r["balance"] for r in extra), ZERO)
    return CustomerRows(count=sums["n"] + len(extra), page=page, top=top, whole=whole, day=mark.day,
                        patched=len(extra))
