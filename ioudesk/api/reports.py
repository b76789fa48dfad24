"""/api/v1/reports: the reports (报表) the caller may see, and each report's figures as JSON with the same
filters as its page (`/admin/reports/view/<code>/`): the same parse, checks, data scope and run
(ioudesk.reports.running), so the JSON and the page show the same figures. Money and percentages are
decimal strings ("12345.67", "12.34" meaning 12.34 %), a rate its fraction ("0.1200"), counts numbers,
dates ISO. A bad filter answers 400 with the field named; the .xlsx / PDF of a report needs
`reports.export_reports` and is recorded in the audit trail.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from ioudesk.api.errors import READ_ERRORS
from ioudesk.api.permissions import require_perm
from ioudesk.reports import render, running
from ioudesk.reports.registry import GROUPS, OPTIONS, reports_for

router = Router(tags=["报表"])

VIEW, EXPORT = "reports.view_reports", "reports.export_reports"


class ReportChoiceOut(Schema):
    value: str
    label: str


class ReportOptionOut(Schema):
    key: str = Field(description="查询参数名，如 `dimension`")
    label: str
    choices: list[ReportChoiceOut] = Field(description="可选值；第一项为默认值")


class ReportListItem(Schema):
    code: str = Field(description="报表代码，如 `loan-balance-detail`")
    title: str
    group: str = Field(description="分组：`business` `servicing` `quality` `income` `receivables` `regulatory`")
    group_label: str
    description: str
    filters: list[str] = Field(description="可用的筛选（见 `GET /reports/{code}` 的查询参数）：`period` 为 "
                                           "`date_from`/`date_to`，其余同名")
    options: list[ReportOptionOut]
    paginated: bool = Field(description="明细表：第一张表按页返回（`page`），`rows_total` 为总行数")


class ReportQuery(Schema):
    """Every report filter; a report reads those it declares (`filters`) and ignores the rest."""

    date_from: str | None = Field(None, description="期间开始日，如 2026-11-01（`period`）")
    date_to: str | None = Field(None, description="期间结束日（`period`；默认营业日）")
    as_of: str | None = Field(None, description="数据日期（`as_of`；默认营业日）")
    month: str | None = Field(None, description="月份，如 2026-11（`month`；默认上一个月末）")
    months: str | None = Field(None, description="趋势的月数 1–36（`months`；默认 12）")
    branch: str | None = Field(None, description="网点 id（含下级网点）")
    product: str | None = Field(None, description="产品 id")
    officer: str | None = Field(None, description="客户经理（员工）id")
    category: str | None = Field(None, description="客户分类：`normal` `important` `blacklist`")
    customer_kind: str | None = Field(None, description="客户类型：`individual` `enterprise`")
    classification: str | None = Field(None, description="五级分类代码")
    bucket: str | None = Field(None, description="账龄：M0 … M7+")
    channel: str | None = Field(None, description="申请渠道")
    customer: str | None = Field(None, description="客户 id")
    dimension: str | None = Field(None, description="汇总维度等报表自有选项（见报表列表的 `options`）")
    page: str | None = Field(None, description="明细表的页码（每页 50 行）")


class ReportColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(description="`text` `money` `int` `percent` `rate` `date`")
    total: bool


class ReportTableOut(Schema):
    title: str
    columns: list[ReportColumnOut]
    rows: list[dict[str, Any]] = Field(description="每行按列的 `key` 取值")
    links: list[dict[str, str]] = Field(description="与 `rows` 一一对应：列的 `key` → 钻取到的列表地址")
    totals: dict[str, Any] | None


class ReportFigureOut(Schema):
    label: str
    value: Any
    kind: str
    link: str


class ReportSeriesOut(Schema):
    label: str
    values: list[Any]


class ReportChartOut(Schema):
    kind: str = Field(description="`bar` 或 `line`")
    title: str
    labels: list[str]
    series: list[ReportSeriesOut]


class ReportOut(Schema):
    code: str
    title: str
    group: str
    params: dict[str, Any] = Field(description="实际使用的参数（默认值已填入）")
    as_of: str | None
    period: list[str] | None
    source: str = Field(description="`live` 当前数据；`snapshot` 已结月份的月末快照")
    snapshot_month: str | None
    differences: int = Field(description="快照之后的追溯调整项数（未改写快照）")
    rows_total: int | None
    page: int | None
    page_size: int | None
    figures: list[ReportFigureOut]
    tables: list[ReportTableOut]
    charts: list[ReportChartOut]
    notes: list[str]


def _data(request, query: ReportQuery) -> dict:
    data = {key: value for key, value in query.dict().items() if value is not None}
    for key, value in request.GET.items():  # a report's own options beyond `dimension`
        data.setdefault(key, value)
    return data


@router.get("", response={200: list[ReportListItem], **READ_ERRORS}, summary="报表列表（按分组，含筛选与选项）")
def report_list(request):
    require_perm(request, VIEW)
    return [{"code": spec.code, "title": str(spec.title), "group": spec.group, "group_label": str(GROUPS[spec.group]),
             "description": str(spec.description or ""), "filters": list(spec.filters),
             "options": [{"key": o.key, "label": str(o.label),
                          "choices": [{"value": str(v), "label": str(label)} for v, label in o.choices]}
                         for o in OPTIONS.get(spec.code, ())],
             "paginated": spec.paginated} for spec in reports_for(request.user)]


@router.get("/{code}", response={200: ReportOut, **READ_ERRORS}, summary="一张报表的数据（与报表页相同的筛选与数字）")
def report_detail(request, code: str, query: Query[ReportQuery]):
    require_perm(request, VIEW)
    spec, params, result = running.report_run_code(code, _data(request, query), request.user)
    return running.result_json(spec, params, result)


@router.get("/{code}/export", response={200: None, **READ_ERRORS},
            summary="下载报表 Excel（`format=xlsx`）或 PDF（`format=pdf`）；记入审计日志")
def report_export(request, code: str, query: Query[ReportQuery], format: Literal["xlsx", "pdf"] = "xlsx"):  # noqa: A002
    require_perm(request, VIEW, EXPORT)
    spec, params, result = running.report_run_code(code, _data(request, query), request.user)
    if format == "xlsx":
        content, mime = render.render_xlsx(result, spec, params, user=request.user), render.XLSX_TYPE
    else:
        content, mime = render.render_pdf(result, spec, params, user=request.user), "application/pdf"
    name = render.file_name(spec, params, format)
    render.export_audit(spec, params, format, request.user, file_name=name)
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
