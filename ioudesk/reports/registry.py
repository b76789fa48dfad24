"""The reports: each is a `ReportSpec` registered at start-up by the module that computes it; the
pages, the exports, the API and 报告管理 render any of them the same way from its `ReportResult`.

    register_report(ReportSpec(code="loan-balance-detail", title=_("贷款余额明细"), group="quality",
                               run=loan_balance_detail, filters=("as_of", "branch", "product", "officer")))

`run(params: ReportParams, user) -> ReportResult` reads through the data scope (the user's branches)
and never writes. Values in rows: Decimal yuan for money (2 places), int for counts, Decimal for
percentages (12.34 means 12.34 %), date, or text; a cell's drill-down URL is in row["_links"][key].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# The report index's sections, in order.
GROUPS: dict[str, object] = {
    "business": _("业务：申请、审批与发放"),
    "servicing": _("还款与回收"),
    "quality": _("资产质量"),
    "income": _("收入与客户"),
    "receivables": _("往来账款"),
    "regulatory": _("监管与财务报表"),
}

KINDS = ("text", "money", "int", "percent", "rate", "date")


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy or str
    kind: str = "text"  # one of KINDS; "rate" is an annual rate as a Decimal fraction (0.1200 = 12 %)
    total: bool = False  # summed in the totals row (money and int)


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict]
    totals: dict | None = None  # the totals row (key → value), None when a total makes no sense
    title: object = ""  # a section title when the report has several tables


@dataclass
class Chart:
    kind: str  # "bar" | "line"
    labels: list[str]
    series: list[tuple[str, list]]  # (series label, values as Decimal/int, one per label)
    title: object = ""


@dataclass
class Figure:
    """A headline figure shown above the tables (余额 ¥…, 逾期率 3.21 %)."""

    label: object
    value: object
    kind: str = "money"
    link: str = ""


@dataclass
class ReportResult:
    title: str
    tables: list[Table]
    figures: list[Figure] = field(default_factory=list)
    chart: Chart | None = None
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # under the tables: definitions, sources
    as_of: date | None = None
    period: tuple[date, date] | None = None
    source: str = "live"  # "live" (maintained figures now) or "snapshot" (a frozen month end)
    snapshot_month: date | None = None
    differences: int = 0  # back-dated changes after that snapshot (listed, not applied)
    rows_total: int | None = None  # when `tables[0].rows` is one page of a longer list

    def money_total(self, table: int, key: str) -> Decimal:
        return sum((row[key] for row in self.tables[table].rows), Decimal("0.00"))


@dataclass(frozen=True)
class ReportSpec:
    code: str  # the URL slug, kebab-case ASCII
    title: object
    group: str  # a key of GROUPS
    run: Callable  # (params, user) -> ReportResult
    filters: tuple[str, ...] = ()  # names from ioudesk.reports.params.FILTERS
    permission: str = "reports.view_reports"
    description: object = ""
    order: int = 100  # within its group
    landscape: bool = False  # PDF orientation
    xlsx: Callable | None = None  # (result, params, user) -> bytes: a layout of its own (the 月报 form)
    paginated: bool = False  # its first table is a long list (detail): the page shows page_size rows


_REPORTS: dict[str, ReportSpec] = {}


def register_report(spec: ReportSpec) -> None:
    if spec.group not in GROUPS:
        raise ValueError(f"unknown report group {spec.group!r}")
    _REPORTS[spec.code] = spec


def unregister_report(code: str) -> None:
    """For tests."""
    _REPORTS.pop(code, None)


def report_get(code: str) -> ReportSpec | None:
    return _REPORTS.get(code)


def reports_all() -> list[ReportSpec]:
    groups = list(GROUPS)
    return sorted(_REPORTS.values(), key=lambda s: (groups.index(s.group), s.order, s.code))


def reports_for(user) -> list[ReportSpec]:
    return [spec for spec in reports_all() if user.has_perm(spec.permission)]


# --- hooks beside a spec (added by E; ReportSpec itself stays as it is) ----------------------------------


@dataclass(frozen=True)
class ReportOption:
    """A report's own choice on its filter form, passed in `params.extra[key]` (e.g. 汇总维度)."""

    key: str
    label: object
    choices: tuple[tuple[str, object], ...]  # (value, label); the first is the default
    default: str = ""  # "" means the first choice


@dataclass(frozen=True)
class ReportAction:
    """A button on a report's page (B's 计提/冲回准备): a POST that calls `run(params, user) -> str` (the
    message shown afterwards; raise an ApplicationError to refuse, its message is shown)."""

    key: str  # unique within the report, ASCII
    label: object
    permission: str
    run: Callable
    confirm: object = ""  # the question asked before it runs (empty: none)


OPTIONS: dict[str, tuple[ReportOption, ...]] = {}
ACTIONS: dict[str, tuple[ReportAction, ...]] = {}
# A paginated report's every row for the .xlsx export, streamed: (params, user) -> iterable of row dicts with
# the first table's column keys (iterate a queryset with .iterator(chunk_size=...); never a list of 1M rows).
EXPORT_ROWS: dict[str, Callable] = {}


def register_options(code: str, *options: ReportOption) -> None:
    OPTIONS[code] = tuple(options)


def register_action(code: str, action: ReportAction) -> None:
    ACTIONS[code] = (*(a for a in ACTIONS.get(code, ()) if a.key != action.key), action)


def register_export_rows(code: str, rows: Callable) -> None:
    EXPORT_ROWS[code] = rows
