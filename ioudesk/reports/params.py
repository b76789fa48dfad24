"""A report's parameters: parsed once from the page's GET, the API's query or 报告管理's saved JSON,
checked against the user's data scope, every problem named by its field. Reports take a
`ReportParams` and apply the filters they declare (`ReportSpec.filters`) with `iou_filter`.

FILTERS (the names a spec may declare):
    period          date_from, date_to   (default: the first of the business date's month … the business date)
    as_of           as_of                (default: the business date; a day before it reads the close's figures of that day)
    month           month (the month end; typed "2026-11")  (default: the last month end before the business date)
    months          months               (how many months a trend shows; default 12, 1 … 36)
    branch          branch (a Branch the user sees; its sub-branches included)
    product         product
    officer         officer (a staff user)
    category        category (customer category: normal / important / blacklist)
    customer_kind   customer_kind (individual / enterprise)
    classification  classification (a five-tier code)
    bucket          bucket (M0 … M7+)
    channel         channel (an application channel)
    customer        customer (id)
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from ioudesk.core import clock, scope
from ioudesk.core.errors import ValidationFailed

FILTERS = ("period", "as_of", "month", "months", "branch", "product", "officer", "category", "customer_kind",
           "classification", "bucket", "channel", "customer")
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: date) -> date:
    """The last month end strictly before `day`'s month: for 2026-12-01 … 2026-12-31, 2026-11-30."""
    return day.replace(day=1) - timedelta(days=1)


def month_ends(last: date, count: int) -> list[date]:
    """`count` month ends up to and including `last`'s month, oldest first."""
    ends, current = [], month_end(last)
    for _i in range(count):
        ends.append(current)
        current = current.replace(day=1) - timedelta(days=1)
    return ends[::-1]


@dataclass(frozen=True)
class ReportParams:
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None
    month: date | None = None  # a month end
    months: int = 12
    branch_id: int | None = None
    product_id: int | None = None
    officer_id: int | None = None
    category: str = ""
    customer_kind: str = ""
    classification: str = ""
    bucket: str = ""
    channel: str = ""
    customer_id: int | None = None
    page: int = 1
    extra: dict = field(default_factory=dict)  # a report's own options (e.g. {"dimension": "product"})

    def to_json(self) -> dict:
        """The parameters under the names `params_parse` reads (the report page's GET names: date_from,
        branch, product …, a report's own options at the top level), dates as ISO text, a month as
        2026-11, blanks and defaults left out: what 报告管理, schedules and saved pivots store and read
        back through the same parser."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, "", {}) or (key == "months" and value == 12) or (key == "page" and value == 1):
                continue
            if key == "extra":
                out.update({name: option for name, option in value.items() if option not in (None, "")})
                continue
            name = key[:-3] if key in ID_KEYS else key
            if key == "month":
                out[name] = value.strftime("%Y-%m")
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out


# ReportParams fields stored under the form's name without "_id" (branch_id → branch).
ID_KEYS = ("branch_id", "product_id", "officer_id", "customer_id")


def _date(raw, field_name, label, problems):
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if not raw:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append({"field": field_name, "message": _("%(label)s应为日期，如 2026-11-28。") % {"label": label}})
        return None


def _int(raw, field_name, label, problems):
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        problems.append({"field": field_name, "message": _("%(label)s无效，请重新选择。") % {"label": label}})
        return None


def params_parse(data, *, user, filters=FILTERS, extra_keys=()) -> ReportParams:
    """Parse a mapping of strings (request.GET, a JSON dict) into ReportParams for the filters a report
    declares; unknown keys are ignored. Raises ValidationFailed naming every bad field."""
    from ioudesk.core.models import Branch
    from ioudesk.customers.models import Category, CustomerKind
    from ioudesk.ious.models import Classification

    problems: list[dict] = []
    today = clock.today()
    values: dict = {}
    get = data.get
    if "period" in filters:
        start = _date(get("date_from"), "date_from", _("开始日期"), problems)
        end = _date(get("date_to"), "date_to", _("结束日期"), problems)
        end = end or today
        start = start or end.replace(day=1)
        if start > end:
            problems.append({"field": "date_from", "message": _("开始日期不能晚于结束日期。")})
        elif (end - start).days > 3660:
            problems.append({"field": "date_from", "message": _("期间最长十年，请缩短。")})
        values.update(date_from=start, date_to=end)
    if "as_of" in filters:
        as_of = _date(get("as_of"), "as_of", _("数据日期"), problems) or today
        if as_of > today:
            problems.append({"field": "as_of", "message": _("数据日期不能晚于营业日 %(day)s。") % {"day": today}})
        values["as_of"] = as_of
    if "month" in filters:
        raw = (get("month") or "").strip()
        if raw:
            try:
                year, mon = raw[:7].split("-")
                values["month"] = month_end(date(int(year), int(mon), 1))
            except ValueError:
                problems.append({"field": "month", "message": _("月份应写成 2026-11。")})
        else:
            values["month"] = previous_month_end(today)
        if values.get("month") and values["month"].replace(day=1) > today:
            problems.append({"field": "month", "message": _("月份不能晚于营业日所在月份。")})
    if "months" in filters:
        months = _int(get("months"), "months", _("月数"), problems)
        if months is not None and not 1 <= months <= 36:
            problems.append({"field": "months", "message": _("月数应在 1 到 36 之间。")})
        values["months"] = months or 12
    if "branch" in filters:
        branch_id = _int(get("branch"), "branch", _("网点"), problems)
        if branch_id is not None:
            if not Branch.objects.filter(pk=branch_id).exists() or not scope.can_see_branch(user, branch_id):
                problems.append({"field": "branch", "message": _("所选网点不存在或不在您的权限范围内。")})
            values["branch_id"] = branch_id
    for name, label in (("product", _("产品")), ("officer", _("客户经理")), ("customer", _("客户"))):
        if name in filters:
            values[f"{name}_id"] = _int(get(name), name, label, problems)
    choices = {
        "category": (Category.values, _("客户分类")),
        "customer_kind": (CustomerKind.values, _("客户类型")),
        "classification": (Classification.values, _("五级分类")),
        "bucket": (list(BUCKETS), _("账龄")),
    }
    for name, (allowed, label) in choices.items():
        if name in filters:
            raw = (get(name) or "").strip()
            if raw and raw not in allowed:
                problems.append({"field": name, "message": _("%(label)s无效，请重新选择。") % {"label": label}})
            values[name] = raw
    if "channel" in filters:
        values["channel"] = (get("channel") or "").strip()
    page = _int(get("page"), "page", _("页码"), problems)
    values["page"] = max(page or 1, 1)
    values["extra"] = {key: get(key) for key in extra_keys if get(key) not in (None, "")}
    if problems:
        raise ValidationFailed("；".join(p["message"] for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    return ReportParams(**values)


def iou_filter(params: ReportParams, prefix: str = "") -> Q:
    """The dimension filters as a Q over an IOU-shaped model (Iou, MonthEndIou, PortfolioDay, FlowDay:
    pass prefix="iou__" for a model that reaches the IOU through `iou`). Branch includes sub-branches.
    Filters a model lacks must not be declared by the report."""
    from ioudesk.core.models import Branch

    q = Q()
    if params.branch_id:
        path = Branch.objects.filter(pk=params.branch_id).values_list("path", flat=True).first() or ""
        q &= Q(**{f"{prefix}branch__path__startswith": path})
    if params.product_id:
        q &= Q(**{f"{prefix}product_id": params.product_id})
    if params.officer_id:
        q &= Q(**{f"{prefix}officer_id": params.officer_id})
    if params.classification:
        q &= Q(**{f"{prefix}classification": params.classification})
    if params.bucket:
        q &= Q(**{f"{prefix}bucket": params.bucket})
    if params.category:
        q &= Q(**{f"{prefix}customer__category": params.category})
    if params.customer_kind:
        q &= Q(**{f"{prefix}customer__kind": params.customer_kind})
    if params.customer_id:
        q &= Q(**{f"{prefix}customer_id": params.customer_id})
    return q
