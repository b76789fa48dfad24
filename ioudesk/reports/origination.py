"""业务 reports (issue 14, docs/domain.md §27): 贷款申请与发放, 审批, 流程与效率.

Where the figures come from:
- applications (ioudesk.applications.Application): submitted (``submitted_at`` in the period), approved
  (decided in the period as 已批准/待确认新条件/已接受/已放款), rejected (decided in the period as 已拒绝);
  grouped in SQL by month, product, branch and channel (the application table is small next to the IOUs);
- disbursements: the close's daily money flows (FlowDay, kind 放款, to the last closed day), by month,
  product and branch — every loan paid out, whether or not it came through an application; by channel
  (and whenever the 渠道 filter is set) from the applications whose IOU was paid out in the period;
- approvals: ioudesk.applications.stats (the 审批统计 page's selectors: outcomes, time per step and per
  approver) plus the IOU approval records (ious.Approval) of IOUs approved without a flow;
- process times: per application, 受理 (created) → 提交 → 审批决定 → 放款 (the IOU's disbursement day),
  in hours (to the decision) and days (to the payout).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, Q, Sum
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ioudesk.applications import stats
from ioudesk.applications.models import Application, Channel
from ioudesk.applications.models import Status as AppStatus
from ioudesk.approvals.models import ApprovalTask, RequestStatus, TaskState
from ioudesk.calc.money import ZERO, round_places
from ioudesk.calc.reporting import share
from ioudesk.core import scope
from ioudesk.core.fields import MoneySum
from ioudesk.core.models import Branch
from ioudesk.ious.models import Approval as IouApproval
from ioudesk.ious.models import TransactionKind
from ioudesk.products.models import Product
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.models import FlowDay
from ioudesk.reports.params import ReportParams, iou_filter
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table, register_report

APPROVED_LIKE = tuple(str(s) for s in stats.APPROVED_LIKE)


# --- shared helpers ------------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in the local time zone (Beijing)."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tzinfo=zone), datetime.combine(end + timedelta(days=1), time.min,
                                                                             tzinfo=zone))


def _month_key(value) -> str:
    """'2026-11' from a date, an aware datetime (its local date) or a 'YYYY-MM…' text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m}" if timezone.is_aware(value) else f"{value:%Y-%m}"
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)[:7]


def _months(start: date, end: date) -> list[str]:
    keys, day = [], start.replace(day=1)
    while day <= end:
        keys.append(f"{day:%Y-%m}")
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def _names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i}
    return {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)}


def _branch_ids(branch_id: int | None) -> list[int] | None:
    """The branch and its sub-branches (what a report's 网点 filter means), or None for no filter."""
    if not branch_id:
        return None
    path = Branch.objects.filter(pk=branch_id).values_list("path", flat=True).first() or "/-/"
    return list(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))


def _applications(user, params: ReportParams):
    """The applications the user sees, with the report's branch, product, officer and channel filters."""
    qs = scope.scope_queryset(user, Application.objects.all(), "branch")
    branches = _branch_ids(params.branch_id)
    if branches is not None:
        qs = qs.filter(branch_id__in=branches)
    if params.product_id:
        qs = qs.filter(product_id=params.product_id)
    if params.officer_id:
        qs = qs.filter(account_manager_id=params.officer_id)
    if params.channel:
        qs = qs.filter(channel=params.channel)
    return qs


def _hours(seconds: list[float]) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(average, median, longest) of durations in seconds, as hours to 0.1."""
    if not seconds:
        return None, None, None
    return (stats.hours(statistics.fmean(seconds)), stats.hours(statistics.median(seconds)),
            stats.hours(max(seconds)))


def _days(values: list[int | float]) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    if not values:
        return None, None, None
    return (round_places(Decimal(str(statistics.fmean(values))), 1),
            round_places(Decimal(str(statistics.median(values))), 1), round_places(Decimal(max(values)), 1))


def _sum_totals(rows: list[dict], columns: list[Column]) -> dict:
    totals = {}
    for column in columns:
        if column.total:
            zero = ZERO if column.kind == "money" else 0
            totals[column.key] = sum((row.get(column.key) or zero for row in rows), zero)
    return totals


# --- 贷款申请与发放 ----------------------------------------------------------------------------------


def _application_counts(user, params: ReportParams) -> dict[tuple, dict]:
    """{(month, product, branch, channel): {submitted, submitted_amount, approved, rejected}} in SQL."""
    low, high = _bounds(params.date_from, params.date_to)
    qs = _applications(user, params)
    counts: dict[tuple, dict] = defaultdict(lambda: {"submitted": 0, "submitted_amount": ZERO, "approved": 0,
                                                     "rejected": 0})
    for row in (qs.filter(submitted_at__gte=low, submitted_at__lt=high)
                .annotate(m=TruncMonth("submitted_at")).values("m", "product_id", "branch_id", "channel")
                .annotate(n=Count("id"), amount=MoneySum("amount")).order_by()):
        cell = counts[(_month_key(row["m"]), row["product_id"], row["branch_id"], row["channel"])]
        cell["submitted"] += row["n"]
        cell["submitted_amount"] += row["amount"] or ZERO
    decided = qs.filter(decided_at__gte=low, decided_at__lt=high).filter(
        Q(status__in=APPROVED_LIKE) | Q(status=AppStatus.REJECTED))
    for row in (decided.annotate(m=TruncMonth("decided_at")).values("m", "product_id", "branch_id", "channel")
                .annotate(approved=Count("id", filter=Q(status__in=APPROVED_LIKE)),
                          rejected=Count("id", filter=Q(status=AppStatus.REJECTED))).order_by()):
        cell = counts[(_month_key(row["m"]), row["product_id"], row["branch_id"], row["channel"])]
        cell["approved"] += row["approved"]
        cell["rejected"] += row["rejected"]
    return counts


def _disbursements(user, params: ReportParams) -> dict[tuple, dict]:
    """{(month, product, branch, channel): {disbursed, disbursed_amount}}: from FlowDay (channel None)
    unless the 渠道 filter is set, else from the channel's applications whose IOU was paid out."""
    out: dict[tuple, dict] = defaultdict(lambda: {"disbursed": 0, "disbursed_amount": ZERO})
    if params.channel:
        for row in (_applications(user, params).filter(iou__disbursed_on__gte=params.date_from,
                                                       iou__disbursed_on__lte=params.date_to)
                    .annotate(m=Substr(Cast("iou__disbursed_on", CharField()), 1, 7))
                    .values("m", "iou__product_id", "iou__branch_id", "channel")
                    .annotate(n=Count("id"), amount=MoneySum("iou__principal")).order_by()):
            cell = out[(row["m"], row["iou__product_id"], row["iou__branch_id"], row["channel"])]
            cell["disbursed"] += row["n"]
            cell["disbursed_amount"] += row["amount"] or ZERO
        return out
    flows = scope.scope_queryset(user, FlowDay.objects.filter(
        kind=TransactionKind.DISBURSEMENT, day__gte=params.date_from, day__lte=params.date_to), "branch")
    flows = flows.filter(iou_filter(params))
    for row in (flows.annotate(m=Substr(Cast("day", CharField()), 1, 7)).values("m", "product_id", "branch_id")
                .annotate(n=Sum("count"), amount=MoneySum("amount")).order_by()):
        cell = out[(row["m"], row["product_id"], row["branch_id"], None)]
        cell["disbursed"] += row["n"] or 0
        cell["disbursed_amount"] += row["amount"] or ZERO
    return out


def _channel_disbursements(user, params: ReportParams) -> dict[str, dict]:
    """Paid out in the period per application channel; IOUs without an application under 直接录入借据."""
    out: dict[str, dict] = {}
    for row in (_applications(user, params).filter(iou__disbursed_on__gte=params.date_from,
                                                   iou__disbursed_on__lte=params.date_to)
                .values("channel").annotate(n=Count("id"), amount=MoneySum("iou__principal")).order_by()):
        out[row["channel"]] = {"disbursed": row["n"], "disbursed_amount": row["amount"] or ZERO}
    return out


APPLICATION_COLUMNS = [
    Column("submitted", _("申请笔数"), "int", total=True),
    Column("submitted_amount", _("申请金额"), "money", total=True),
    Column("approved", _("批准笔数"), "int", total=True),
    Column("rejected", _("拒绝笔数"), "int", total=True),
    Column("approval_rate", _("批准率"), "percent"),
    Column("disbursed", _("放款笔数"), "int", total=True),
    Column("disbursed_amount", _("放款金额"), "money", total=True),
]


def _fill(row: dict) -> dict:
    for key in ("submitted", "approved", "rejected", "disbursed"):
        row.setdefault(key, 0)
    for key in ("submitted_amount", "disbursed_amount"):
        row.setdefault(key, ZERO)
    row["approval_rate"] = share(row["approved"], row["approved"] + row["rejected"])
    return row


def _add(target: dict, source: dict) -> None:
    for key, value in source.items():
        target[key] = target.get(key, 0 if isinstance(value, int) else ZERO) + value


def applications(params: ReportParams, user) -> ReportResult:
    counts = _application_counts(user, params)
    flows = _disbursements(user, params)
    by_month: dict[str, dict] = {m: {} for m in _months(params.date_from, params.date_to)}
    by_product: dict = {}
    by_branch: dict = {}
    for source in (counts, flows):
        for (month, product, branch, _channel), cell in source.items():
            _add(by_month.setdefault(month, {}), cell)
            _add(by_product.setdefault(product, {}), cell)
            _add(by_branch.setdefault(branch, {}), cell)
    by_channel: dict = {}
    for (_m, _p, _b, channel), cell in counts.items():
        _add(by_channel.setdefault(channel, {}), cell)
    if params.channel:  # the flows are the channel's applications' already
        for (_m, _p, _b, channel), cell in flows.items():
            _add(by_channel.setdefault(channel, {}), cell)
    else:
        for channel, cell in _channel_disbursements(user, params).items():
            _add(by_channel.setdefault(channel, {}), cell)

    after = params.date_to + timedelta(days=1)
    disbursed_link = {"disbursed_on__gte": params.date_from, "disbursed_on__lt": after}
    month_rows = []
    for month, cell in sorted(by_month.items()):
        row = _fill({"month": month, **cell})
        first = date(int(month[:4]), int(month[5:7]), 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        row["_links"] = {"disbursed": iou_list_url(params, disbursed_on__gte=max(first, params.date_from),
                                                   disbursed_on__lt=min(last, after))} if row["disbursed"] else {}
        month_rows.append(row)
    products = dict(Product.objects.filter(pk__in=[p for p in by_product if p]).values_list("pk", "name"))
    product_rows = [dict(_fill({"name": products.get(pk) or _g("（无产品）"), **cell}),
                         _links={"disbursed": iou_list_url(params, product__id__exact=pk, **disbursed_link)}
                         if pk and cell.get("disbursed") else {})
                    for pk, cell in sorted(by_product.items(), key=lambda item: products.get(item[0]) or "")]
    branches = dict(Branch.objects.filter(pk__in=[b for b in by_branch if b]).values_list("pk", "name"))
    branch_rows = [dict(_fill({"name": branches.get(pk, ""), **cell}),
                        _links={"disbursed": iou_list_url(params, branch__id__exact=pk, **disbursed_link)}
                        if cell.get("disbursed") else {})
                   for pk, cell in sorted(by_branch.items(), key=lambda item: branches.get(item[0]) or "")]
    labels = {**dict(Channel.choices)}
    channel_rows = [_fill({"name": str(labels.get(code, code)), **cell}) for code, cell in sorted(
        by_channel.items(), key=lambda item: str(item[0]))]

    month_columns = [Column("month", _("月份")), *APPLICATION_COLUMNS]
    named = [Column("name", _("名称")), *APPLICATION_COLUMNS]
    totals = _fill(_sum_totals(month_rows, month_columns))
    totals["month"] = _g("合计")
    tables = [
        Table(month_columns, month_rows, totals=totals, title=_g("按月")),
        Table([Column("name", _("产品")), *APPLICATION_COLUMNS], product_rows,
              totals=_fill(_sum_totals(product_rows, named)), title=_g("按产品")),
        Table([Column("name", _("网点")), *APPLICATION_COLUMNS], branch_rows,
              totals=_fill(_sum_totals(branch_rows, named)), title=_g("按网点")),
        Table([Column("name", _("申请渠道")), *APPLICATION_COLUMNS], channel_rows,
              totals=_fill(_sum_totals(channel_rows, named)), title=_g("按申请渠道")),
    ]
    figures = [
        Figure(_g("申请笔数"), totals["submitted"], "int"),
        Figure(_g("批准率"), totals["approval_rate"], "percent"),
        Figure(_g("放款笔数"), totals["disbursed"], "int", link=iou_list_url(params, **disbursed_link)),
        Figure(_g("放款金额"), totals["disbursed_amount"], "money", link=iou_list_url(params, **disbursed_link)),
    ]
    chart = Chart("bar", [r["month"] for r in month_rows], [
        (_g("申请笔数"), [r["submitted"] for r in month_rows]), (_g("批准笔数"), [r["approved"] for r in month_rows]),
        (_g("拒绝笔数"), [r["rejected"] for r in month_rows]), (_g("放款笔数"), [r["disbursed"] for r in month_rows])],
        title=_g("逐月申请、审批与放款"))
    notes = [
        _g("申请笔数：期间内提交的贷款申请（按提交时间）；批准、拒绝：期间内作出决定的申请（按决定时间，"
           "改条件同意计入批准）；批准率 = 批准 ÷（批准 + 拒绝）。"),
        _g("放款：日终资金流汇总中的放款交易（截至最近一个已完成日终的营业日），包括未经申请直接录入的借据；"
           "按渠道的放款取期间内放款的申请所对应借据，直接录入的借据不计入任何渠道。"),
    ]
    if params.channel:
        notes.append(_g("已选申请渠道：放款只计该渠道申请对应的借据。"))
    return ReportResult(title=_g("贷款申请与发放"), tables=tables, figures=figures, chart=chart, notes=notes,
                        period=(params.date_from, params.date_to))


# --- 审批 ------------------------------------------------------------------------------------------


def approvals(params: ReportParams, user) -> ReportResult:
    filters = stats.StatsFilters(start=params.date_from, end=params.date_to, branch_id=params.branch_id)
    outcome = stats.outcomes(user, filters)
    times = stats.decision_times(user, filters)

    def outcome_row(row) -> dict:
        return {"name": row.label, "submitted": row.submitted, "approved": row.approved, "rejected": row.rejected,
                "cancelled": row.cancelled, "open": row.open, "counter_offers": row.counter_offers,
                "returned": row.returned, "approval_rate": row.approval_rate, "average_hours": row.average_hours}

    kind_columns = [
        Column("name", _("审批事项")), Column("submitted", _("提交"), "int", total=True),
        Column("approved", _("通过"), "int", total=True), Column("rejected", _("驳回"), "int", total=True),
        Column("cancelled", _("撤回"), "int", total=True), Column("open", _("审批中"), "int", total=True),
        Column("counter_offers", _("改条件同意"), "int", total=True), Column("returned", _("退回补充"), "int", total=True),
        Column("approval_rate", _("通过率"), "percent"), Column("average_hours", _("平均办结（小时）")),
    ]
    total = outcome_row(outcome["total"])
    total["name"] = _g("合计")
    kind_rows = [outcome_row(r) for r in outcome["rows"]]

    def time_row(row) -> dict:
        average, median, longest = row.average_hours, row.median_hours, row.longest_hours
        return {"kind": row.kind_label, "name": row.label, "count": row.count, "approved": row.approved,
                "rejected": row.rejected, "returned": row.returned, "late": row.late, "average_hours": average,
                "median_hours": median, "longest_hours": longest}

    time_columns = [
        Column("count", _("处理笔数"), "int", total=True), Column("approved", _("同意"), "int", total=True),
        Column("rejected", _("驳回"), "int", total=True), Column("returned", _("退回"), "int", total=True),
        Column("late", _("超时"), "int", total=True), Column("average_hours", _("平均（小时）")),
        Column("median_hours", _("中位数（小时）")), Column("longest_hours", _("最长（小时）")),
    ]
    step_rows = [time_row(r) for r in times["steps"]]
    approver_rows = [time_row(r) for r in times["approvers"]]
    step_columns = [Column("kind", _("审批事项")), Column("name", _("步骤")), *time_columns]
    approver_columns = [Column("name", _("审批人")), *time_columns]

    low, high = _bounds(params.date_from, params.date_to)
    direct = scope.scope_queryset(user, IouApproval.objects.filter(decided_at__gte=low, decided_at__lt=high),
                                  "iou__branch")
    branches = _branch_ids(params.branch_id)
    if branches is not None:
        direct = direct.filter(iou__branch_id__in=branches)
    grouped = list(direct.values("decided_by_id").annotate(
        approved=Count("id", filter=Q(decision=IouApproval.Decision.APPROVED)),
        rejected=Count("id", filter=Q(decision=IouApproval.Decision.REJECTED))).order_by())
    names = _names(r["decided_by_id"] for r in grouped)
    direct_rows = sorted(({"name": names.get(r["decided_by_id"], ""), "approved": r["approved"],
                           "rejected": r["rejected"], "approval_rate": share(r["approved"], r["approved"] + r["rejected"])}
                          for r in grouped), key=lambda r: (-(r["approved"] + r["rejected"]), r["name"]))
    direct_columns = [Column("name", _("审批人")), Column("approved", _("同意"), "int", total=True),
                      Column("rejected", _("驳回"), "int", total=True), Column("approval_rate", _("同意率"), "percent")]
    direct_totals = _sum_totals(direct_rows, direct_columns)
    direct_totals["approval_rate"] = share(direct_totals["approved"], direct_totals["approved"] + direct_totals["rejected"])

    tables = [
        Table(kind_columns, kind_rows, totals=total, title=_g("审批结果（按事项）")),
        Table(step_columns, step_rows, totals=_sum_totals(step_rows, step_columns), title=_g("各步骤用时")),
        Table(approver_columns, approver_rows, totals=_sum_totals(approver_rows, approver_columns),
              title=_g("各审批人用时")),
        Table(direct_columns, direct_rows, totals=direct_totals, title=_g("借据审批记录（按审批人）")),
    ]
    figures = [
        Figure(_g("提交审批"), total["submitted"], "int"),
        Figure(_g("通过率"), total["approval_rate"], "percent"),
        Figure(_g("平均办结（小时）"), total["average_hours"], "text"),
    ]
    chart = Chart("bar", [r["name"] for r in kind_rows], [
        (_g("通过"), [r["approved"] for r in kind_rows]), (_g("驳回"), [r["rejected"] for r in kind_rows]),
        (_g("审批中"), [r["open"] for r in kind_rows])], title=_g("各审批事项的结果"))
    notes = [
        _g("审批结果：期间内提交的审批单（按提交时间），按当前状态计数；通过率 = 通过 ÷（通过 + 驳回），"
           "撤回和审批中的不计入分母；平均办结 = 从提交到最终决定的平均小时数。"),
        _g("各步骤、各审批人用时：期间内处理的审批任务（按处理时间），从任务生成到处理的小时数；"
           "超时 = 处理时已过该步骤的时限。"),
        _g("借据审批记录：未配置审批流时借据的直接审批（同意、驳回），按审批时间。"),
        _g("网点筛选包括下级网点的借据审批记录；审批单只按所选网点本身。"),
    ]
    return ReportResult(title=_g("审批"), tables=tables, figures=figures, chart=chart, notes=notes,
                        period=(params.date_from, params.date_to))


# --- 流程与效率 ------------------------------------------------------------------------------------


STEPS = (
    ("intake", _("受理 → 提交")),
    ("decision", _("提交 → 审批决定")),
    ("payout", _("审批决定 → 放款")),
    ("overall", _("受理 → 放款")),
)


def _process_rows(user, params: ReportParams) -> list[dict]:
    """The applications made in the period, each with its moments (one query; applications are few)."""
    low, high = _bounds(params.date_from, params.date_to)
    return list(_applications(user, params).filter(created_at__gte=low, created_at__lt=high).values(
        "branch_id", "account_manager_id", "created_by_id", "created_at", "submitted_at", "decided_at", "status",
        "iou__disbursed_on"))


def _durations(row: dict) -> dict:
    """Seconds (intake, decision) and days (payout, overall) of one application, where both ends exist."""
    out = {}
    if row["submitted_at"]:
        out["intake"] = (row["submitted_at"] - row["created_at"]).total_seconds()
        if row["decided_at"]:
            out["decision"] = (row["decided_at"] - row["submitted_at"]).total_seconds()
    disbursed = row["iou__disbursed_on"]
    if disbursed:
        if row["decided_at"]:
            out["payout"] = (disbursed - timezone.localtime(row["decided_at"]).date()).days
        out["overall"] = (disbursed - timezone.localtime(row["created_at"]).date()).days
    # moments recorded within the same instant can be out of order by microseconds: never negative
    return {key: max(value, 0) for key, value in out.items()}


def efficiency(params: ReportParams, user) -> ReportResult:
    rows = _process_rows(user, params)
    per_step: dict[str, list] = defaultdict(list)
    per_branch: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    per_staff: dict[int | None, dict] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        spans = _durations(row)
        staff = row["account_manager_id"] or row["created_by_id"]
        for target in (per_branch[row["branch_id"]], per_staff[staff]):
            target["count"].append(1)
            if row["iou__disbursed_on"]:
                target["disbursed"].append(1)
        for key, value in spans.items():
            per_step[key].append(value)
            per_branch[row["branch_id"]][key].append(value)
            per_staff[staff][key].append(value)

    step_rows = []
    for key, label in STEPS:
        values = per_step.get(key, [])
        average, median, longest = _hours(values) if key in ("intake", "decision") else _days(values)
        unit = _g("小时") if key in ("intake", "decision") else _g("天")
        step_rows.append({"name": str(label), "unit": unit, "count": len(values), "average": average,
                          "median": median, "longest": longest})
    # "单位" alone is the catalogue's 单位 (employer): here the unit of a duration (小时 / 天)
    step_columns = [Column("name", _("环节")), Column("unit", pgettext_lazy("耗时", "单位")),
                    Column("count", _("笔数"), "int"),
                    Column("average", _("平均")), Column("median", _("中位数")), Column("longest", _("最长"))]

    def group_row(name: str, cell: dict) -> dict:
        return {"name": name, "count": len(cell["count"]), "disbursed": len(cell["disbursed"]),
                "decision_hours": _hours(cell["decision"])[0], "payout_days": _days(cell["payout"])[0],
                "overall_days": _days(cell["overall"])[0]}

    group_columns = [Column("count", _("申请笔数"), "int", total=True), Column("disbursed", _("已放款"), "int", total=True),
                     Column("decision_hours", _("提交到决定（平均小时）")),
                     Column("payout_days", _("决定到放款（平均天）")), Column("overall_days", _("受理到放款（平均天）"))]
    branches = dict(Branch.objects.filter(pk__in=list(per_branch)).values_list("pk", "name"))
    branch_rows = sorted((group_row(branches.get(pk, ""), cell) for pk, cell in per_branch.items()),
                         key=lambda r: r["name"])
    names = _names(per_staff)
    staff_rows = sorted((group_row(names.get(pk, "") if pk else _g("（未指定）"), cell)
                         for pk, cell in per_staff.items()), key=lambda r: (-r["count"], r["name"]))

    # workload of the approvers: tasks acted on in the period (stats) and waiting now
    filters = stats.StatsFilters(start=params.date_from, end=params.date_to, branch_id=params.branch_id)
    acted = {r.key[0]: r for r in stats.decision_times(user, filters)["approvers"]}
    waiting = dict(ApprovalTask.objects.filter(
        request__in=stats._requests(user, filters), state=TaskState.PENDING, request__status=RequestStatus.PENDING)
        .values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n").order_by())
    people = _names({*acted, *waiting})
    load_rows = sorted(({"name": people.get(pk, ""), "acted": acted[pk].count if pk in acted else 0,
                         "average_hours": acted[pk].average_hours if pk in acted else None,
                         "late": acted[pk].late if pk in acted else 0, "waiting": waiting.get(pk, 0)}
                        for pk in {*acted, *waiting}), key=lambda r: (-(r["acted"] + r["waiting"]), r["name"]))
    load_columns = [Column("name", _("审批人")), Column("acted", _("期间处理"), "int", total=True),
                    Column("average_hours", _("平均用时（小时）")), Column("late", _("超时"), "int", total=True),
                    Column("waiting", _("当前待办"), "int", total=True)]

    tables = [
        Table(step_columns, step_rows, title=_g("各环节用时")),
        Table([Column("name", _("网点")), *group_columns], branch_rows,
              totals=_sum_totals(branch_rows, group_columns), title=_g("按网点")),
        Table([Column("name", _("客户经理")), *group_columns], staff_rows,
              totals=_sum_totals(staff_rows, group_columns), title=_g("按客户经理")),
        Table(load_columns, load_rows, totals=_sum_totals(load_rows, load_columns), title=_g("审批人工作量")),
    ]
    overall = next(r for r in step_rows if r["name"] == str(STEPS[3][1]))
    decision = next(r for r in step_rows if r["name"] == str(STEPS[1][1]))
    figures = [Figure(_g("申请笔数"), len(rows), "int"),
               Figure(_g("提交到决定（平均小时）"), decision["average"], "text"),
               Figure(_g("受理到放款（平均天）"), overall["average"], "text")]
    chart = Chart("bar", [r["name"] for r in branch_rows], [
        (_g("提交到决定（平均小时）"), [r["decision_hours"] or 0 for r in branch_rows]),
        (_g("受理到放款（平均天）"), [r["overall_days"] or 0 for r in branch_rows])], title=_g("各网点的办理时间"))
    notes = [
        _g("口径：期间内受理（录入或线上提交表单）的贷款申请。受理 → 提交：录入到提交审批；提交 → 审批决定："
           "提交到批准、改条件同意或拒绝（小时）；审批决定 → 放款、受理 → 放款：按放款日计的天数。"
           "只统计两端都已发生的申请；平均、中位数保留一位小数。"),
        _g("客户经理：申请的客户经理，未指定时为录入人。审批人工作量：期间内处理的审批任务数与平均用时，"
           "以及当前待审批的任务数（不受期间限制）。"),
    ]
    return ReportResult(title=_g("流程与效率"), tables=tables, figures=figures, chart=chart, notes=notes,
                        period=(params.date_from, params.date_to))


def register() -> None:
    register_report(ReportSpec(
        code="applications", title=_("贷款申请与发放"), group="business", run=applications,
        filters=("period", "branch", "product", "officer", "channel"), order=10, landscape=True,
        description=_("按期间、产品、网点、申请渠道统计申请、批准、拒绝与放款。")))
    register_report(ReportSpec(
        code="approvals", title=_("审批"), group="business", run=approvals,
        filters=("period", "branch"), order=20, landscape=True, permission="approvals.view_approvalrequest",
        description=_("审批单的结果与通过率，各步骤、各审批人的用时，借据直接审批记录。")))
    register_report(ReportSpec(
        code="efficiency", title=_("流程与效率"), group="business", run=efficiency,
        filters=("period", "branch", "product", "officer", "channel"), order=30, landscape=True,
        description=_("从申请到审批到放款的各环节用时，按网点与客户经理；审批人工作量。")))
