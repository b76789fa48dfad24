"""Running a registered report for an interface (the page, the API, 报告管理): parse and check its
parameters, check its permission, run it, and turn its result into display text or JSON. The page,
the exports and the API all go through here, so they show the same figures.

    spec = report_get("aging")
    params = report_params(spec, request.GET, user)   # ValidationFailed naming every bad field
    result = report_run(spec, params, user)            # PermissionDenied without spec.permission
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from ioudesk.calc.rates import percent_text
from ioudesk.core import scope
from ioudesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from ioudesk.reports.params import ReportParams, params_parse
from ioudesk.reports.registry import OPTIONS, ReportResult, ReportSpec, report_get

PAGE_SIZE = 50  # a paginated report's rows per page (params.extra["page_size"] may ask for up to EXPORT_PAGE)
EXPORT_PAGE = 5000
MAX_PAGE = 1_000_000
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)  # dates a report is asked about (no overflow downstream)


def spec_get(code: str, user) -> ReportSpec:
    """The report `code` if the user may see it: NotFound for an unknown code, PermissionDenied without
    its permission."""
    spec = report_get(code)
    if spec is None:
        raise NotFound(_("没有这个报表：%(code)s。") % {"code": code})
    if not user.has_perm(spec.permission):
        raise PermissionDenied(_("您没有查看“%(title)s”的权限。") % {"title": spec.title})
    return spec


def page_size(params: ReportParams) -> int:
    """The rows a paginated report puts in its first table for these params (PAGE_SIZE on the page)."""
    try:
        size = int(params.extra.get("page_size") or PAGE_SIZE)
    except (TypeError, ValueError):
        size = PAGE_SIZE
    return min(max(size, 1), EXPORT_PAGE)


def report_params(spec: ReportSpec, data, user) -> ReportParams:
    """`data` (request.GET, an API query, 报告管理's stored JSON) as the report's parameters: its declared
    filters (ioudesk.reports.params) and its own options (registry.OPTIONS, default the first choice),
    each value checked (an option among its choices; product, officer and customer existing and, for a
    customer, in the user's scope). Raises ValidationFailed with every problem by field."""
    options = OPTIONS.get(spec.code, ())
    problems: list[dict] = []
    params = None
    try:
        params = params_parse(data, user=user, filters=spec.filters, extra_keys=tuple(o.key for o in options))
    except ValidationFailed as error:
        problems += error.extra.get("details") or [{"field": error.extra.get("field"), "message": str(error.message)}]
    extra = {}
    for option in options:
        raw = data.get(option.key)
        raw = str(raw).strip() if raw not in (None, "") else ""
        allowed = [str(value) for value, _label in option.choices]
        if raw and raw not in allowed:
            problems.append({"field": option.key, "message": _("%(label)s无效，请从列表中选择。") % {
                "label": option.label}})
        extra[option.key] = raw or option.default or (allowed[0] if allowed else "")
    if params is not None:
        problems += _check_values(params, user)
    if problems:
        raise ValidationFailed(_join(p["message"] for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    return replace(params, extra={**params.extra, **extra})


def _join(messages) -> str:
    """Several sentences as one: 甲。 乙。 → 甲；乙。 (in English "A; B.", through the catalogue's list msgid)."""
    text = ""
    for message in map(str, messages):
        text = _("%(list)s；%(item)s") % {"list": text.rstrip("。."), "item": message} if text else message
    return text


def _check_values(params: ReportParams, user) -> list[dict]:
    from django.contrib.auth import get_user_model

    from ioudesk.customers.models import Customer
    from ioudesk.products.models import Product

    problems = []
    labels = {"date_from": _("开始日期"), "date_to": _("结束日期"), "as_of": _("数据日期"), "month": _("月份")}
    for name, label in labels.items():
        value = getattr(params, name)
        if value is not None and not EARLIEST <= value <= LATEST:
            problems.append({"field": name, "message": _("%(label)s应在 %(start)s 至 %(end)s 之间。") % {
                "label": label, "start": EARLIEST.isoformat(), "end": LATEST.isoformat()}})
    if params.page > MAX_PAGE:
        problems.append({"field": "page", "message": _("页码不能超过 %(max)d。") % {"max": MAX_PAGE}})
    if params.product_id is not None and not Product.objects.filter(pk=params.product_id).exists():
        problems.append({"field": "product", "message": _("所选产品不存在。")})
    if params.officer_id is not None and not get_user_model().objects.filter(pk=params.officer_id,
                                                                              is_staff=True).exists():
        problems.append({"field": "officer", "message": _("所选客户经理不存在。")})
    if params.customer_id is not None and not scope.scope_queryset(
            user, Customer.objects.filter(pk=params.customer_id)).exists():
        problems.append({"field": "customer", "message": _("所选客户不存在或不在您的权限范围内。")})
    return problems


def report_run(spec: ReportSpec, params: ReportParams, user) -> ReportResult:
    if not user.has_perm(spec.permission):
        raise PermissionDenied(_("您没有查看“%(title)s”的权限。") % {"title": spec.title})
    return spec.run(params, user)


def report_run_code(code: str, data, user) -> tuple[ReportSpec, ReportParams, ReportResult]:
    """Everything at once, for 报告管理 and schedules: (spec, params, result)."""
    spec = spec_get(code, user)
    params = report_params(spec, data, user)
    return spec, params, report_run(spec, params, user)


# --- describing the parameters (headers of exports, print and the page) -------------------------------


def params_describe(spec: ReportSpec, params: ReportParams) -> list[tuple[str, str]]:
    """The report's conditions as (label, text) pairs, in the order of its filters."""
    from django.contrib.auth import get_user_model

    from ioudesk.applications.models import Channel
    from ioudesk.core.models import Branch
    from ioudesk.core.names import staff_name
    from ioudesk.customers.models import Category, Customer, CustomerKind
    from ioudesk.ious.models import Classification
    from ioudesk.products.models import Product

    out: list[tuple[str, str]] = []
    filters = spec.filters
    if "period" in filters and params.date_from and params.date_to:
        out.append((_("期间"), _("%(start)s 至 %(end)s") % {"start": params.date_from.isoformat(),
                                                        "end": params.date_to.isoformat()}))
    if "as_of" in filters and params.as_of:
        out.append((_("数据日期"), params.as_of.isoformat()))
    if "month" in filters and params.month:
        out.append((_("月份"), params.month.strftime("%Y-%m")))
    if "months" in filters:
        out.append((_("月数"), str(params.months)))
    if params.branch_id:
        out.append((_("网点"), Branch.objects.filter(pk=params.branch_id).values_list("name", flat=True).first() or ""))
    if params.product_id:
        out.append((_("产品"), Product.objects.filter(pk=params.product_id).values_list("name", flat=True).first() or ""))
    if params.officer_id:
        officer = get_user_model().objects.filter(pk=params.officer_id).first()
        out.append((_("客户经理"), staff_name(officer) if officer else ""))
    if params.customer_id:
        out.append((_("客户"), Customer.objects.filter(pk=params.customer_id).values_list("name", flat=True).first()
                    or ""))
    labels = {"category": (_("客户分类"), dict(Category.choices)), "customer_kind": (_("客户类型"), dict(CustomerKind.choices)),
              "classification": (_("五级分类"), dict(Classification.choices)), "bucket": (_("账龄"), {}),
              "channel": (_("申请渠道"), dict(Channel.choices))}
    for name, (label, choices) in labels.items():
        value = getattr(params, name)
        if value:
            out.append((str(label), str(choices.get(value, value))))
    for option in OPTIONS.get(spec.code, ()):
        value = params.extra.get(option.key)
        if value:
            out.append((str(option.label), str(dict((str(k), v) for k, v in option.choices).get(value, value))))
    return [(str(label), str(text)) for label, text in out]


# --- values as text (page, PDF) and as JSON (API) -----------------------------------------------------


def column_label(column) -> str:
    """A column's header; a money column says its unit (金额（元）), as its cells show figures without ¥."""
    label = str(column.label)
    if column.kind == "money" and "元" not in label and "¥" not in label:
        return _("%(label)s（元）") % {"label": label}
    return label


def cell_text(value, kind: str) -> str:
    """A cell as the page and the PDF show it: money 12,345.67, counts 1,234, percent 12.34%, a rate
    fraction 0.1200 as 12.00%, dates 2026-11-28, None as —."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "money" and isinstance(value, (Decimal, int)):
        return f"{Decimal(value):,.2f}"
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    if kind == "percent" and isinstance(value, (Decimal, int)):
        return f"{Decimal(value):,.2f}%"
    if kind == "rate" and isinstance(value, (Decimal, int)):
        return f"{percent_text(Decimal(value))}%"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def figure_text(value, kind: str) -> str:
    if kind == "money" and isinstance(value, (Decimal, int)):
        text = cell_text(value, kind)
        return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"
    return cell_text(value, kind)


def json_value(value, kind: str):
    """A cell in the API's JSON: money and percentages as decimal strings ("12345.67", "12.34"), a rate
    as its fraction ("0.1200"), counts as numbers, dates ISO, text as text."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def result_json(spec: ReportSpec, params: ReportParams, result: ReportResult) -> dict:
    """The whole result as JSON: the same figures the page shows, unformatted."""
    tables = []
    for table in result.tables:
        kinds = {column.key: column.kind for column in table.columns}
        rows = [{key: json_value(row.get(key), kinds[key]) for key in kinds} for row in table.rows]
        links = [dict(row.get("_links") or {}) for row in table.rows]
        tables.append({
            "title": str(table.title or ""),
            "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind, "total": c.total} for c in table.columns],
            "rows": rows, "links": links,
            "totals": None if table.totals is None else {key: json_value(value, kinds.get(key, "text"))
                                                        for key, value in table.totals.items() if not key.startswith("_")},
        })
    charts = [result.chart, *result.charts] if result.chart else list(result.charts)
    return {
        "code": spec.code, "title": str(result.title or spec.title), "group": spec.group,
        "params": params.to_json(), "as_of": json_value(result.as_of, "date"),
        "period": [result.period[0].isoformat(), result.period[1].isoformat()] if result.period else None,
        "source": result.source, "snapshot_month": result.snapshot_month.strftime("%Y-%m") if result.snapshot_month else None,
        "differences": result.differences, "rows_total": result.rows_total,
        "page": params.page if spec.paginated else None, "page_size": page_size(params) if spec.paginated else None,
        "figures": [{"label": str(f.label), "value": json_value(f.value, f.kind), "kind": f.kind, "link": f.link}
                    for f in result.figures],
        "tables": tables,
        "charts": [{"kind": c.kind, "title": str(c.title or ""), "labels": [str(label) for label in c.labels],
                    "series": [{"label": str(label), "values": [json_value(v, "money") for v in values]}
                               for label, values in c.series]} for c in charts],
        "notes": [str(note) for note in result.notes],
    }


def source_text(result: ReportResult) -> str:
    """What the figures are read from, one sentence for the page, exports and print."""
    if result.source == "snapshot" and result.snapshot_month:
        text = _("本报表读取 %(month)s 月末快照（月末结账时冻结的数字）。") % {"month": result.snapshot_month.strftime("%Y-%m")}
        if result.differences:
            text += _("快照之后有 %(n)d 项追溯调整，列于月末快照的差异中，未改写本报表。") % {"n": result.differences}
        return text
    if result.as_of:
        return _("数据截至 %(day)s。") % {"day": result.as_of.isoformat()}
    return ""
