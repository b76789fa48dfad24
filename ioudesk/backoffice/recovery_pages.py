"""Collections pages of the recovery app: 催收报表 (one page, a tab per report, the same filters,
a chart and an .xlsx each) and 回收报告 (the recovery plans of a month or quarter with their
progress and forecast, and what was recovered). Each page parses its filters, calls one selector
of ioudesk.recovery.selectors and renders."""

from __future__ import annotations

import json
from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.collections.models import Nature, Term
from ioudesk.core import clock
from ioudesk.core.models import Branch
from ioudesk.core.scope import scope_queryset
from ioudesk.core.xlsx import build_workbook, workbook_response
from ioudesk.customers.models import Category
from ioudesk.recovery import selectors
from ioudesk.recovery.models import PlanScope

PALETTE = ["#7c3aed", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#6366f1", "#ec4899", "#84cc16", "#64748b",
           "#14b8a6", "#a855f7"]
TABS = [("activity", _("催收活动")), ("kept", _("承诺兑现率")), ("recovered", _("回收金额")),
        ("roll", _("账龄迁徙率")), ("cure", _("治愈率")), ("cost", _("委外成本"))]
BUCKET_LABELS = {"M0": _("M0 未逾期"), "M1": _("M1（1–30天）"), "M2": _("M2（31–60天）"), "M3": _("M3（61–90天）"),
                 "M4": _("M4（91–120天）"), "M5": _("M5（121–150天）"), "M6": _("M6（151–180天）"),
                 "M7+": _("M7+（180天以上）"), "settled": _("已结清"), "written_off": _("已核销"),
                 "closed": _("已终止")}
CHART_TOP = 20  # collectors drawn in a chart (the table lists every one)


def periods(today: date) -> list[tuple[str, str]]:
    """The last 12 months and the last 4 quarters, newest first."""
    result = []
    year, month = today.year, today.month
    for _n in range(12):
        result.append((f"{year}-{month:02d}", _t("%(y)s年%(m)s月") % {"y": year, "m": month}))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _n in range(4):
        result.append((f"{year}-Q{quarter}", _t("%(y)s年第%(q)s季度") % {"y": year, "q": quarter}))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return result


def collectors_for(user):
    """The people a report may be filtered by: active staff of the user's branches who collect."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).filter(
        Q(collector_profile__isnull=False) | Q(groups__name__in=["催收员", "催收主管"])).distinct()
    return scope_queryset(user, users).order_by("last_name", "first_name", "username")


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("期间"), required=False)
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    branch = forms.ModelChoiceField(label=_("网点"), queryset=Branch.objects.none(), required=False,
                                    empty_label=_("全部网点"))
    collector = forms.ModelChoiceField(label=_("催收员"), queryset=get_user_model().objects.none(), required=False,
                                       empty_label=_("全部催收员"))
    bucket = forms.ChoiceField(label=_("账龄"), required=False)
    term = forms.ChoiceField(label=_("长短期"), required=False, choices=[("", _("全部")), *Term.choices])
    nature = forms.ChoiceField(label=_("欠款性质"), required=False, choices=[("", _("全部")), *Nature.choices])
    category = forms.ChoiceField(label=_("客户分类"), required=False, choices=[("", _("全部")), *Category.choices])

    def __init__(self, data, *, user, today):
        super().__init__(data)
        self.user, self.today = user, today
        self.fields["period"].choices = periods(today)
        self.fields["branch"].queryset = Branch.objects.filter(pk__in=_visible_branches(user)).order_by("path")
        self.fields["bucket"].choices = [("", _("全部")), *((b, BUCKET_LABELS[b]) for b in selectors.BUCKETS)]
        if selectors.sees_team(user):
            self.fields["collector"].queryset = collectors_for(user)
        else:
            del self.fields["collector"]

    def filters(self) -> selectors.ReportFilters:
        data = self.cleaned_data if self.is_valid() else {}
        start, end, _code = selectors.period_bounds(data.get("period") or "", today=self.today)
        if data.get("start") and data.get("end") and data["start"] <= data["end"]:
            start, end = data["start"], data["end"]
        collector = data.get("collector")
        branch = data.get("branch")
        return selectors.ReportFilters(
            start=start, end=end, branch_id=branch.pk if branch else None,
            collector_id=collector.pk if collector else None, bucket=data.get("bucket") or None,
            term=data.get("term") or None, nature=data.get("nature") or None, category=data.get("category") or None)

    def describe(self, filters: selectors.ReportFilters) -> list[tuple[str, str]]:
        """The conditions, for the .xlsx's notes."""
        notes = [(_t("期间"), f"{filters.start:%Y-%m-%d} — {filters.end:%Y-%m-%d}")]
        data = self.cleaned_data if self.is_valid() else {}
        for name in ("branch", "collector", "bucket", "term", "nature", "category"):
            value = data.get(name)
            if not value or name not in self.fields:
                continue
            field = self.fields[name]
            label = str(value) if isinstance(field, forms.ModelChoiceField) else str(dict(field.choices).get(value))
            if name == "collector":
                label = value.get_full_name() or value.username
            notes.append((str(field.label), label))
        return notes


def _visible_branches(user):
    from ioudesk.core.scope import visible_branch_ids

    ids = visible_branch_ids(user)
    return list(Branch.objects.values_list("pk", flat=True)) if ids is None else ids


def chart(labels, datasets, *, stacked=False, percent=False, kind="bar") -> dict:
    data = {"labels": [str(label) for label in labels], "datasets": [
        {"label": str(label), "data": [str(v) if v is not None else None for v in values],
         "backgroundColor": PALETTE[n % len(PALETTE)], "borderColor": PALETTE[n % len(PALETTE)],
         **({"stack": "a"} if stacked else {})}
        for n, (label, values) in enumerate(datasets)]}
    options = {"plugins": {"legend": {"display": True}}, "maintainAspectRatio": False}
    if stacked:
        options["scales"] = {"x": {"stacked": True}, "y": {"stacked": True}}
    if percent:
        options["scales"] = {"y": {"min": 0, "max": 100}}
    if all(isinstance(v, int) for _label, values in datasets for v in values if v is not None):
        # counts: whole-number ticks (no 0.1 contacts on the axis)
        options.setdefault("scales", {}).setdefault("y", {})["ticks"] = {"precision": 0}
    return {"data": json.dumps(data), "options": json.dumps(options), "kind": kind}


def labelled(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["label"] = BUCKET_LABELS.get(row["bucket"], row["bucket"])
    return rows


class CollectionReportsPage(BackofficePage):
    template_name = "backoffice/recovery/reports.html"
    title = _("催收报表")
    permission_required = ("collections.view_case",)

    def get(self, request, *args, **kwargs):
        today = clock.today()
        form = ReportFilterForm(request.GET or None, user=request.user, today=today)
        filters = form.filters()
        tab = request.GET.get("tab") if request.GET.get("tab") in dict(TABS) else "activity"
        report = getattr(self, f"report_{tab}")(filters)
        if request.GET.get("export") == "xlsx":
            title, headers, rows = report["sheet"]
            workbook = build_workbook(title=title, headers=headers, rows=rows, notes=form.describe(filters),
                                      sheet_name=title)
            return workbook_response(workbook, f"{title}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx")
        query = request.GET.copy()
        query.pop("tab", None)
        query.pop("export", None)
        return self.render_to_response(self.get_context_data(
            form=form, filters=filters, tab=tab, tabs=TABS, report=report, query=query.urlencode(),
            sees_team=selectors.sees_team(request.user)))

    # each report: the selector's answer, a chart, and its sheet (title, headers, rows)

    def report_activity(self, filters):
        data = selectors.activity(self.request.user, filters)
        methods, outcomes = data["methods"], data["outcomes"]
        top = data["rows"][:CHART_TOP]
        headers = [_t("催收员"), _t("联系次数"), _t("在办案件"), *(str(label) for _v, label in methods),
                   *(str(label) for _v, label in outcomes)]
        rows = [(r.name or _t("（无）"), r.total, r.cases, *(r.by_method.get(v, 0) for v, _l in methods),
                 *(r.by_outcome.get(v, 0) for v, _l in outcomes)) for r in data["rows"]]
        return {**data, "chart": chart([r.name for r in top], [
            (label, [r.by_method.get(value, 0) for r in top]) for value, label in methods], stacked=True),
            "sheet": (_t("催收活动"), headers, rows),
            "method_labels": [label for _v, label in methods], "outcome_labels": [label for _v, label in outcomes],
            "table": [(r, [r.by_method.get(v, 0) for v, _l in methods], [r.by_outcome.get(v, 0) for v, _l in outcomes])
                      for r in data["rows"]],
            "total_methods": [data["totals"].by_method.get(v, 0) for v, _l in methods],
            "total_outcomes": [data["totals"].by_outcome.get(v, 0) for v, _l in outcomes]}

    def report_kept(self, filters):
        data = selectors.kept_rates(self.request.user, filters)
        top = [r for r in data["rows"] if r.decided][:CHART_TOP]
        headers = [_t("催收员"), _t("到期承诺"), _t("兑现"), _t("部分兑现"), _t("未兑现"), _t("待核对"),
                   _t("兑现率（%）"), _t("承诺金额"), _t("已还金额"), _t("金额兑现率（%）")]
        rows = [(r.name, r.promises, r.kept, r.partly_kept, r.broken, r.pending, r.kept_rate, r.amount, r.paid,
                 r.amount_rate) for r in data["rows"]]
        return {**data, "chart": chart([r.name for r in top], [
            (_t("兑现率（%）"), [r.kept_rate for r in top]), (_t("金额兑现率（%）"), [r.amount_rate for r in top])],
            percent=True), "sheet": (_t("承诺兑现率"), headers, rows)}

    def report_recovered(self, filters):
        data = selectors.recovered(self.request.user, filters)
        labelled(data["by_bucket"])
        buckets = [b for b in selectors.ALL_BUCKETS if any(b in m["by_bucket"] for m in data["by_month"])]
        headers = [_t("催收员/委外机构"), _t("笔数"), _t("回收金额"), _t("占比（%）")]
        rows = [(r["name"] or _t("（未分派）"), r["count"], r["amount"], r["share"]) for r in data["by_owner"]]
        return {**data, "chart": chart([f"{m['month']:%Y-%m}" for m in data["by_month"]], [
            (BUCKET_LABELS[b], [m["by_bucket"].get(b, 0) for m in data["by_month"]]) for b in buckets], stacked=True),
            "bucket_chart": chart([BUCKET_LABELS.get(r["bucket"], r["bucket"]) for r in data["by_bucket"]],
                                  [(_t("回收金额"), [r["amount"] for r in data["by_bucket"]])]),
            "bucket_labels": BUCKET_LABELS, "sheet": (_t("回收金额"), headers, rows)}

    def report_roll(self, filters):
        data = selectors.roll_rates(self.request.user, filters)
        months = data["months"]
        for month in months:
            labelled(month["rows"])
        buckets = [b for b in selectors.ALL_BUCKETS if any(r["bucket"] == b for m in months for r in m["rows"])]
        series = []
        for bucket in buckets:
            values = []
            for month in months:
                row = next((r for r in month["rows"] if r["bucket"] == bucket), None)
                values.append(row["roll_forward"] if row else None)
            series.append((BUCKET_LABELS[bucket], values))
        headers = [_t("月末"), _t("上月末账龄"), _t("借据数"), _t("上月末余额"),
                   *(str(BUCKET_LABELS[c]) for c in data["columns"]), _t("迁徙率（%）"), _t("金额迁徙率（%）")]
        rows = [(m["month_end"], str(BUCKET_LABELS[r["bucket"]]), r["count"], r["amount"],
                 *(c["count"] for c in r["cells"]), r["roll_forward"], r["roll_forward_amount"])
                for m in months for r in m["rows"]]
        return {**data, "chart": chart([f"{m['month_end']:%Y-%m}" for m in months], series, percent=True,
                                       kind="line" if len(months) > 1 else "bar"),
                "column_labels": [BUCKET_LABELS[c] for c in data["columns"]], "bucket_labels": BUCKET_LABELS,
                "sheet": (_t("账龄迁徙率"), headers, rows)}

    def report_cure(self, filters):
        data = selectors.cure_rate(self.request.user, filters)
        labelled(data["by_bucket"])
        latest = [b for b in data["by_bucket"] if data["months"] and b["month_end"] == data["months"][-1]]
        headers = [_t("月末"), _t("上月末账龄"), _t("借据数"), _t("治愈率（%）"), _t("金额治愈率（%）")]
        rows = [(b["month_end"], str(BUCKET_LABELS[b["bucket"]]), b["count"], b["cure"], b["cure_amount"])
                for b in data["by_bucket"]]
        return {**data, "chart": chart([BUCKET_LABELS[b["bucket"]] for b in latest], [
            (_t("治愈率（%）"), [b["cure"] for b in latest]), (_t("金额治愈率（%）"), [b["cure_amount"] for b in latest])],
            percent=True), "bucket_labels": BUCKET_LABELS, "sheet": (_t("治愈率"), headers, rows)}

    def report_cost(self, filters):
        data = selectors.agency_cost(self.request.user, filters)
        headers = [_t("委外机构"), _t("佣金比例"), _t("案件数"), _t("回收笔数"), _t("回收金额"), _t("佣金"),
                   _t("成本率（%）")]
        rows = [(r["name"], f"{r['rate'] * 100:.2f}%" if r.get("rate") is not None else "", r["cases"], r["count"],
                 r["amount"], r["commission"], r["cost_rate"]) for r in data["rows"]]
        if data["in_house"]:
            h = data["in_house"]
            rows.append((_t("本机构自催"), "", h["cases"], h["count"], h["amount"], h["commission"], h["cost_rate"]))
        for legal in data["legal_rows"]:
            rows.append((f"{_t('诉讼费用')}：{legal['label']}", "", "", legal["count"], "", legal["amount"], ""))
        return {**data, "chart": chart([r["name"] for r in data["rows"]], [
            (_t("回收金额"), [r["amount"] for r in data["rows"]]), (_t("佣金"), [r["commission"] for r in data["rows"]])]),
            "sheet": (_t("委外成本"), headers, rows)}


class RecoveryReportPage(BackofficePage):
    template_name = "backoffice/recovery/report.html"
    title = _("回收报告")
    permission_required = ("recovery.view_recoveryplan",)

    def get(self, request, *args, **kwargs):
        today = clock.today()
        start, end, code = selectors.period_bounds(request.GET.get("period", ""), today=today)
        report = selectors.recovery_report(request.user, start=start, end=end, day=today)
        if request.GET.get("export") == "xlsx":
            return self.export(report, start, end, code)
        plans = report["plans"][:CHART_TOP]
        return self.render_to_response(self.get_context_data(
            report=report, rows=[(p, plan_subject(p.plan)) for p in report["plans"]], start=start, end=end, period=code, periods=periods(today), today=today,
            buckets=labelled(report["recovered"]["by_bucket"]),
            chart=chart([p.plan.name for p in plans], [
                (_t("目标"), [p.plan.target for p in plans]), (_t("已回收"), [p.recovered for p in plans]),
                (_t("预测"), [p.forecast for p in plans])]),
            achieved=selectors.ratio(report["plans_recovered"], report["target"]),
            can_add=request.user.has_perm("recovery.add_recoveryplan")))

    def export(self, report, start, end, code):
        headers = [_t("计划名称"), _t("范围"), _t("对象"), _t("开始日期"), _t("截止日期"), _t("目标"), _t("已回收"),
                   _t("达成率（%）"), _t("日均回收"), _t("按日均推算至截止日"), _t("未决承诺"), _t("预测"),
                   _t("预测达成率（%）")]
        scopes = dict(PlanScope.choices)
        rows = [(p.plan.name, str(scopes[p.plan.scope]), plan_subject(p.plan), p.plan.period_start, p.plan.deadline,
                 p.plan.target, p.recovered, p.achieved, p.daily_rate, p.run_rate_to_deadline, p.pending_promises,
                 p.forecast, p.forecast_rate) for p in report["plans"]]
        rows.append(())
        rows.append((_t("催收员/委外机构"), _t("笔数"), _t("回收金额")))
        rows += [(r["name"] or _t("（未分派）"), r["count"], r["amount"]) for r in report["recovered"]["by_owner"]]
        rows.append(())
        rows.append((_t("账龄"), _t("笔数"), _t("回收金额")))
        rows += [(str(BUCKET_LABELS.get(r["bucket"], r["bucket"])), r["count"], r["amount"])
                 for r in report["recovered"]["by_bucket"]]
        workbook = build_workbook(title=_t("回收报告"), headers=headers, rows=rows, notes=[
            (_t("期间"), f"{start:%Y-%m-%d} — {end:%Y-%m-%d}"), (_t("本期回收合计"), report["recovered"]["total"])],
            sheet_name=_t("回收报告"))
        return workbook_response(workbook, f"{_t('回收报告')}-{code}.xlsx")


def plan_subject(plan) -> str:
    if plan.scope == PlanScope.COLLECTOR and plan.collector_id:
        return plan.collector.get_full_name() or plan.collector.username
    if plan.scope == PlanScope.TEAM:
        return str(plan.branch)
    return _t("全部资产")


urlpatterns = [
    path("collections/reports/", CollectionReportsPage.as_view(), name="collection_reports"),
    path("collections/recovery-report/", RecoveryReportPage.as_view(), name="recovery_report"),
]
