"""自定义报表 (the custom report): a pivot over the figures the close maintains, from a fixed set of
dimensions and measures, grouped in SQL; saved per user (SavedPivot).

Dimensions: branch 网点, product 产品, officer 客户经理, month 月份, classification 五级分类, bucket 账龄,
channel 申请渠道, kind 借据类型, guarantee 担保方式. Measures: count 笔数, principal 合同本金, balance 本金余额,
overdue 逾期本息 (unpaid principal and interest of installments due before the day), income 实收利息
(interest, penalty and fees collected in the period).

Where each measure is read:
- the stock measures (count, principal, balance, overdue) from PortfolioDay: the latest closed day on
  or before the period's end, or with the month dimension the latest closed day of every month in the
  period (the month end for a closed month); PortfolioDay keeps the application channel too (直接录入
  for an IOU without an application);
- income from FlowDay (kinds repayment, repayment_credit and recovery; reversals are negative rows
  under the original kind, so the sum is net) over the period, by any dimension: FlowDay keeps the
  IOU's kind, guarantee type, tier, bucket and application channel as they stood at the close that
  wrote the day.

`pivot_parse(data, user)` checks a request (a Chinese message naming the field), `pivot_run(query,
user)` returns a registry.ReportResult (rendered, exported and printed like any report), `pivot_save`
/ `pivot_delete` keep a user's own pivots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.errors import NotFound, ValidationFailed
from ioudesk.core.fields import MoneySum
from ioudesk.reports.models import FlowDay, PortfolioDay, SavedPivot
from ioudesk.reports.params import ReportParams, iou_filter, params_parse
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table

DIMENSIONS: dict[str, object] = {
    "branch": _("网点"), "product": _("产品"), "officer": _("客户经理"), "month": _("月份"),
    "classification": _("五级分类"), "bucket": _("账龄"), "channel": _("申请渠道"), "kind": _("借据类型"),
    "guarantee": _("担保方式"),
}
MEASURES: dict[str, tuple[object, str]] = {
    "count": (_("笔数"), "int"), "principal": (_("合同本金"), "money"), "balance": (_("本金余额"), "money"),
    "overdue": (_("逾期本息"), "money"), "income": (_("实收利息"), "money"),
}
STOCK = ("count", "principal", "balance", "overdue")
INCOME_KINDS = ("repayment", "repayment_credit", "recovery")
MAX_ROWS_DIMENSIONS = 3
FILTERS = ("period", "branch", "product", "officer")
CHARTS = ("", "bar", "line")
# The spec the custom report is rendered, exported and printed with (not in the report index).
SPEC = ReportSpec(code="custom", title=_("自定义报表"), group="business", run=lambda params, user: None,
                  filters=FILTERS, landscape=True)


@dataclass(frozen=True)
class PivotQuery:
    rows: tuple[str, ...]
    measures: tuple[str, ...]
    columns: str = ""  # a dimension across (its values become columns of the first measure)
    chart: str = "bar"
    params: ReportParams = field(default_factory=ReportParams)

    def to_filters(self) -> dict:
        return self.params.to_json()


def _listed(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part for part in raw.replace("，", ",").split(",") if part.strip()]
    return [str(part) for part in raw if str(part).strip()]


def pivot_parse(data, user) -> PivotQuery:
    """A pivot request from the page's GET (rows, columns, measures as lists or comma-separated,
    chart, the period and dimension filters) or a SavedPivot. ValidationFailed names each bad field."""
    getlist = getattr(data, "getlist", None)
    rows = _listed(getlist("rows") if getlist else data.get("rows"))
    measures = _listed(getlist("measures") if getlist else data.get("measures"))
    columns = str(data.get("columns") or "").strip()
    chart = str(data.get("chart") if data.get("chart") is not None else "bar").strip()
    problems: list[dict] = []

    def problem(name, message):
        problems.append({"field": name, "message": message})

    rows = list(dict.fromkeys(rows))
    measures = list(dict.fromkeys(measures))
    if not rows:
        problem("rows", _g("行维度：请至少选择一个。"))
    if len(rows) > MAX_ROWS_DIMENSIONS:
        problem("rows", _g("行维度：最多选择 %(n)d 个。") % {"n": MAX_ROWS_DIMENSIONS})
    unknown = [r for r in rows if r not in DIMENSIONS]
    if unknown:
        problem("rows", _g("行维度：没有“%(name)s”这个维度。") % {"name": "、".join(unknown)})
    if columns and columns not in DIMENSIONS:
        problem("columns", _g("列维度：没有“%(name)s”这个维度。") % {"name": columns})
    elif columns and columns in rows:
        problem("columns", _g("列维度：不能与行维度相同。"))
    if not measures:
        problem("measures", _g("指标：请至少选择一个。"))
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        problem("measures", _g("指标：没有“%(name)s”这个指标。") % {"name": "、".join(unknown)})
    if chart not in CHARTS:
        problem("chart", _g("图表：请选择柱状图、折线图或不显示。"))
    params = None
    try:
        params = params_parse(data, user=user, filters=FILTERS)
    except ValidationFailed as error:
        problems += error.extra.get("details") or [{"field": error.extra.get("field"), "message": error.message}]
    if problems:
        raise ValidationFailed("；".join(str(p["message"]) for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    return PivotQuery(rows=tuple(rows), measures=tuple(measures), columns=columns, chart=chart, params=params)


# --- reading ------------------------------------------------------------------------------------------

_FIELDS = {"branch": "branch_id", "product": "product_id", "officer": "officer_id", "classification": "classification",
           "bucket": "bucket", "kind": "kind", "guarantee": "guarantee"}


def _stock_days(user, params: ReportParams, by_month: bool) -> list[date]:
    """The closed days the stock measures are read at."""
    days = scope.scope_queryset(user, PortfolioDay.objects.filter(day__lte=params.date_to))
    if by_month:
        days = days.filter(day__gte=params.date_from.replace(day=1))
        return sorted(days.annotate(m=TruncMonth("day")).values("m").annotate(last=Max("day"))
                      .values_list("last", flat=True))
    last = days.aggregate(last=Max("day"))["last"]
    return [last] if last else []


def _stock(user, query: PivotQuery, dims: list[str]) -> tuple[dict, dict]:
    """{key: {measure: value}} of the stock measures, and what they were read at (for the notes)."""
    params = query.params
    by_month = "month" in dims
    days = _stock_days(user, params, by_month)
    queryset = scope.scope_queryset(user, PortfolioDay.objects.filter(day__in=days)).filter(iou_filter(params))
    fields = {**_FIELDS, "month": "day", "channel": "channel"}
    rows = queryset.values(*[fields[d] for d in dims]).annotate(
        count=Sum("count"), principal=MoneySum("principal"), balance=MoneySum("principal_outstanding"),
        overdue=MoneySum(F("overdue_principal") + F("overdue_interest")))
    read_at = {"days": days}
    out: dict = {}
    for row in rows:
        key = tuple(_key_value(d, row[fields[d]]) for d in dims)
        target = out.setdefault(key, {m: (0 if m == "count" else Decimal("0.00")) for m in STOCK})
        for measure in STOCK:
            target[measure] += row[measure] or 0
    return out, read_at


def _key_value(dim: str, value):
    if dim == "month" and value is not None:
        return value.strftime("%Y-%m")
    return value


def _income(user, query: PivotQuery, dims: list[str]) -> dict:
    params = query.params
    queryset = scope.scope_queryset(user, FlowDay.objects.filter(
        day__gte=params.date_from, day__lte=params.date_to, kind__in=INCOME_KINDS)).filter(iou_filter(params))
    fields = {**_FIELDS, "month": "m", "kind": "iou_kind", "channel": "channel"}
    if "month" in dims:
        queryset = queryset.annotate(m=TruncMonth("day"))
    rows = queryset.values(*[fields[d] for d in dims]).annotate(income=MoneySum(F("interest") + F("penalty") + F("fee")))
    out: dict = {}
    for row in rows:
        key = tuple(_key_value(d, row[fields[d]]) for d in dims)
        out[key] = out.get(key, Decimal("0.00")) + (row["income"] or Decimal("0.00"))
    return out


def _labels(dim: str, values: set) -> dict:
    from ioudesk.applications.models import Channel
    from ioudesk.core.models import Branch
    from ioudesk.core.names import staff_name
    from ioudesk.ious.models import Classification, GuaranteeType, IouKind
    from ioudesk.products.models import Product

    ids = [v for v in values if v is not None]
    if dim == "branch":
        names = dict(Branch.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dim == "product":
        names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dim == "officer":
        names = {u.pk: staff_name(u) for u in get_user_model().objects.filter(pk__in=ids)}
    elif dim == "classification":
        names = dict(Classification.choices)
    elif dim == "kind":
        names = dict(IouKind.choices)
    elif dim == "guarantee":
        names = dict(GuaranteeType.choices)
    elif dim == "channel":
        names = {**dict(Channel.choices), "": _g("直接录入")}
    else:
        names = {}
    empty = {"product": _g("（无产品）"), "officer": _g("（未指定）")}.get(dim, "—")
    return {v: str(names.get(v, v)) if v not in (None, "") or dim == "channel" else empty for v in values}


def pivot_run(query: PivotQuery, user) -> ReportResult:
    """The pivot as a report result: one row per combination of the row dimensions (sorted by their
    labels), the measures (or, with a column dimension, the first measure per column value) and a
    totals row; a chart of the first measure by the first row dimension."""
    dims = [*query.rows, *([query.columns] if query.columns else [])]
    stock_wanted = [m for m in query.measures if m in STOCK]
    values: dict = {}
    notes: list[str] = []
    if stock_wanted:
        stock, read_at = _stock(user, query, dims)
        for key, measures in stock.items():
            values.setdefault(key, {}).update(measures)
        days = read_at["days"]
        notes.append(_g("存量指标读取日终汇总（每日组合汇总）：%(days)s。") % {
            "days": "、".join(d.isoformat() for d in days) if days else _g("所选期间内还没有日终数据")})
    if "income" in query.measures:
        for key, amount in _income(user, query, dims).items():
            values.setdefault(key, {})["income"] = amount
        notes.append(_g("实收利息：期间 %(start)s 至 %(end)s 收回的利息、罚息和费用（冲正已扣除）。") % {
            "start": query.params.date_from.isoformat(), "end": query.params.date_to.isoformat()})
    labels = {d: _labels(d, {key[i] for key in values}) for i, d in enumerate(dims)}
    zero = {m: (0 if MEASURES[m][1] == "int" else Decimal("0.00")) for m in query.measures}

    row_dims = list(query.rows)
    columns = [Column(f"d{i}", DIMENSIONS[d]) for i, d in enumerate(row_dims)]
    grouped: dict[tuple, dict] = {}
    across_values: list = []
    if query.columns:
        measure = query.measures[0]
        kind = MEASURES[measure][1]
        position = len(row_dims)
        across_values = sorted({key[position] for key in values}, key=lambda v: labels[query.columns][v])
        for key, measures in values.items():
            row_key = key[:position]
            target = grouped.setdefault(row_key, {f"c{i}": zero[measure] for i in range(len(across_values))})
            target[f"c{across_values.index(key[position])}"] += measures.get(measure, zero[measure])
        for i, value in enumerate(across_values):
            columns.append(Column(f"c{i}", labels[query.columns][value], kind, total=True))
        columns.append(Column("total", _g("合计"), kind, total=True))
        for target in grouped.values():
            target["total"] = sum((target[f"c{i}"] for i in range(len(across_values))), zero[measure])
    else:
        for key, measures in values.items():
            grouped[key] = {m: measures.get(m, zero[m]) for m in query.measures}
        columns += [Column(m, MEASURES[m][0], MEASURES[m][1], total=True) for m in query.measures]
    ordered = sorted(grouped.items(), key=lambda item: tuple(labels[d][item[0][i]] for i, d in enumerate(row_dims)))
    rows = []
    for key, figures in ordered:
        row = {f"d{i}": labels[d][key[i]] for i, d in enumerate(row_dims)}
        row.update(figures)
        link = _link(query, dict(zip(row_dims, key, strict=True)))
        if link:
            row["_links"] = {"d0": link}
        rows.append(row)
    totals = {c.key: sum((r[c.key] for r in rows), 0 if c.kind == "int" else Decimal("0.00"))
              for c in columns if c.total}
    totals["d0"] = _g("合计")
    chart = None
    if query.chart and rows:
        labels_ = [" / ".join(str(r[f"d{i}"]) for i in range(len(row_dims))) for r in rows]
        measure_label = MEASURES[query.measures[0]][0]
        if query.columns:  # one series per column value (at most 8), the measure spread across them
            spread = [c for c in columns[len(row_dims):] if c.key != "total"][:8]
            series = [(str(c.label), [r[c.key] for r in rows]) for c in spread]
            title = _g("%(measure)s（按%(dim)s、%(across)s）") % {
                "measure": measure_label, "dim": DIMENSIONS[row_dims[0]], "across": DIMENSIONS[query.columns]}
        else:
            series = [(str(measure_label), [r[query.measures[0]] for r in rows])]
            title = _g("%(measure)s（按%(dim)s）") % {"measure": measure_label, "dim": DIMENSIONS[row_dims[0]]}
        chart = Chart(kind=query.chart, labels=labels_, series=series, title=title)
    figures = [Figure(MEASURES[m][0], totals.get(m), MEASURES[m][1]) for m in query.measures if m in totals]
    return ReportResult(title=_g("自定义报表"), tables=[Table(columns=columns, rows=rows, totals=totals)],
                        figures=figures, chart=chart, notes=notes, as_of=query.params.date_to,
                        period=(query.params.date_from, query.params.date_to))


def _link(query: PivotQuery, key: dict) -> str:
    """The IOU list behind a row: only for the live figures (no month, channel, kind or guarantee
    dimension: the IOU list filters by the others)."""
    if set(key) & {"month", "channel", "kind", "guarantee"}:
        return ""
    from ioudesk.reports.links import iou_list_url

    names = {"branch": "branch__id__exact", "product": "product__id__exact", "officer": "officer__id__exact",
             "classification": "classification__exact", "bucket": "bucket"}
    filters = {names[d]: value for d, value in key.items() if value not in (None, "")}
    try:
        return iou_list_url(query.params, live=True, **filters)
    except Exception:  # the IOU list's URL is not there (a test without the back office)
        return ""


# --- saved pivots ---------------------------------------------------------------------------------------

def pivots_for(user):
    return SavedPivot.objects.filter(owner=user).order_by("name")


def pivot_get(*, user, pk) -> SavedPivot:
    found = pivots_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_g("自定义报表不存在，或不是您保存的。"))
    return found


def pivot_as_data(pivot: SavedPivot) -> dict:
    """A saved pivot as the page's GET parameters."""
    return {**pivot.filters, "rows": list(pivot.rows), "measures": list(pivot.measures), "columns": pivot.columns,
            "chart": pivot.chart}


@transaction.atomic
def pivot_save(*, user, name: str, query: PivotQuery) -> SavedPivot:
    """Save (or replace, by name) one of the user's own pivots."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_g("名称：请填写自定义报表的名称。"), extra={"field": "name"})
    if len(name) > 100:
        raise ValidationFailed(_g("名称：最长 100 个字。"), extra={"field": "name"})
    filters = query.params.to_json()
    filters.pop("page", None)
    existing = SavedPivot.objects.filter(owner=user, name=name).first()
    before = audit.snapshot(existing) if existing else None
    pivot = existing or SavedPivot(owner=user, name=name)
    pivot.rows, pivot.measures, pivot.columns = list(query.rows), list(query.measures), query.columns
    pivot.filters, pivot.chart = filters, query.chart
    try:
        with transaction.atomic():
            pivot.save()
    except IntegrityError as error:  # saved twice at once under the same name
        raise ValidationFailed(_g("名称：已有同名的自定义报表。"), extra={"field": "name"}) from error
    audit.record_change(obj=pivot, before=before, after=audit.snapshot(pivot), verb=_g("保存自定义报表"),
                        branch_id=getattr(user, "branch_id", None))
    return pivot


@transaction.atomic
def pivot_delete(*, user, pk) -> None:
    pivot = pivot_get(user=user, pk=pk)
    audit.record_change(obj=pivot, before=audit.snapshot(pivot), after=None, verb=_g("删除自定义报表"),
                        branch_id=getattr(user, "branch_id", None))
    pivot.delete()


def pivot_export(query: PivotQuery, user, fmt: str) -> tuple[bytes, str]:
    """The pivot as an .xlsx or PDF file (E's render, like every report) and its file name; audited.
    Needs reports.export_reports."""
    from ioudesk.core.errors import PermissionDenied
    from ioudesk.reports import render

    if not user.has_perm("reports.export_reports"):
        raise PermissionDenied(_g("您没有导出报表的权限。"))
    if fmt not in ("xlsx", "pdf"):
        raise ValidationFailed(_g("格式：请选择 PDF 或 Excel（.xlsx）。"), extra={"field": "format"})
    result = pivot_run(query, user)
    data = (render.render_xlsx if fmt == "xlsx" else render.render_pdf)(result, SPEC, query.params, user=user)
    name = render.file_name(SPEC, query.params, fmt)
    render.export_audit(SPEC, query.params, fmt, user, file_name=name)
    return data, name
