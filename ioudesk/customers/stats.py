"""Customer statistics (客户统计): how many customers by category, risk grade, source channel,
branch and month of acquisition, always inside the user's data scope.

Each breakdown is one GROUP BY query (``values().annotate(Count)``); nothing loops over customers
in Python, so the page costs the same at a thousand customers as at a million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.rates import percent
from ioudesk.core import clock, scope
from ioudesk.core.errors import NotFound
from ioudesk.core.models import Branch
from ioudesk.customers.models import Category, Customer, RiskGrade

MONTHS = 12


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    share: Decimal  # percent of the total, one decimal


@dataclass(frozen=True)
class CustomerStatistics:
    total: int
    by_category: list[Bucket]
    by_risk_grade: list[Bucket]
    by_source: list[Bucket]
    by_branch: list[Bucket]
    by_month: list[Bucket]  # the last MONTHS months, oldest first, months without customers included
    months_from: date
    months_to: date


def month_starts(end: date, months: int = MONTHS) -> list[date]:
    """The first days of the ``months`` months ending with the month of ``end``, oldest first.

    >>> [d.isoformat() for d in month_starts(date(2026, 2, 10), 3)]
    ['2025-12-01', '2026-01-01', '2026-02-01']
    """
    index = end.year * 12 + end.month - 1
    return [date((i // 12), i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def statistics_branches(user) -> QuerySet[Branch]:
    """The branches the user may filter the statistics by (their data scope)."""
    return scope.scope_queryset(user, Branch.objects.all(), "pk")


def customers_in_scope(*, user, branch_id: int | None = None, acquired_from: date | None = None,
                       acquired_to: date | None = None) -> QuerySet[Customer]:
    """The customers the statistics count: the user's scope, optionally one branch (with the
    branches under it) and a range of 建档日期."""
    customers = scope.scope_queryset(user, Customer.objects.all())
    if branch_id is not None:
        branch = statistics_branches(user).filter(pk=branch_id).only("path").first()
        if branch is None:
            raise NotFound(_("网点不存在，或不在您的数据范围内。"))
        customers = customers.filter(branch__path__startswith=branch.path)
    if acquired_from:
        customers = customers.filter(acquired_on__gte=acquired_from)
    if acquired_to:
        customers = customers.filter(acquired_on__lte=acquired_to)
    return customers


def _share(count: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.0")
    return percent(Decimal(count) / total, 1)


def _counts(customers: QuerySet, field: str) -> dict:
    return {row[field]: row["n"] for row in customers.order_by().values(field).annotate(n=Count("pk"))}


def customer_statistics(*, user, branch_id: int | None = None, acquired_from: date | None = None,
                        acquired_to: date | None = None) -> CustomerStatistics:
    customers = customers_in_scope(user=user, branch_id=branch_id, acquired_from=acquired_from,
                                   acquired_to=acquired_to)
    total = customers.count()

    def buckets(pairs) -> list[Bucket]:
        return [Bucket(str(key), str(label), count, _share(count, total)) for key, label, count in pairs]

    categories = _counts(customers, "category")
    grades = _counts(customers, "risk_grade")
    sources = sorted(customers.order_by().values("source_id", "source__name", "source__sort_order")
                     .annotate(n=Count("pk")),
                     key=lambda row: (row["source_id"] is None, row["source__sort_order"] or 0, row["source__name"] or ""))
    branches = (customers.order_by().values("branch_id", "branch__name", "branch__path")
                .annotate(n=Count("pk")).order_by("branch__path"))

    end = min(acquired_to, clock.today()) if acquired_to else clock.today()
    starts = month_starts(end)
    monthly = customers.filter(acquired_on__gte=starts[0], acquired_on__lte=end)
    per_month = {(row["month"].year, row["month"].month): row["n"]
                 for row in monthly.order_by().annotate(month=TruncMonth("acquired_on")).values("month")
                 .annotate(n=Count("pk"))}
    return CustomerStatistics(
        total=total,
        by_category=buckets((c.value, c.label, categories.get(c.value, 0)) for c in Category),
        by_risk_grade=buckets((g.value, g.label, grades.get(g.value, 0)) for g in RiskGrade),
        by_source=buckets((row["source_id"] or "", row["source__name"] or _g("未填写"), row["n"]) for row in sources),
        by_branch=buckets((row["branch_id"], row["branch__name"], row["n"]) for row in branches),
        by_month=buckets((start.isoformat(), f"{start:%Y-%m}", per_month.get((start.year, start.month), 0)) for start in starts),
        months_from=starts[0],
        months_to=end,
    )

