"""审批统计: approval and rejection rates, rejection reasons, time to decision per step and per
approver, the backlog by age, conversion application → approval → disbursement, by month; charts
and an .xlsx. The page parses its filters, calls ioudesk.applications.stats.approval_stats and
renders (docs/domain.md §24)."""

from __future__ import annotations

from django import forms
from django.urls import path
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.applications import stats
from ioudesk.approvals.registry import kind_choices
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.recovery_pages import _visible_branches, chart, periods
from ioudesk.core import clock
from ioudesk.core.models import Branch
from ioudesk.core.xlsx import build_workbook, workbook_response
from ioudesk.recovery.selectors import period_bounds

BACKLOG_LABELS = {"lt1": _("1天内"), "1to3": _("1–3天"), "3to7": _("3–7天"), "gt7": _("7天以上")}


class StatsFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("期间"), required=False)
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    branch = forms.ModelChoiceField(label=_("网点"), queryset=Branch.objects.none(), required=False,
                                    empty_label=_("全部网点"))
    kind = forms.ChoiceField(label=_("审批事项"), required=False)

    def __init__(self, data, *, user, today):
        super().__init__(data)
        self.today = today
        self.fields["period"].choices = periods(today)
        self.fields["branch"].queryset = Branch.objects.filter(pk__in=_visible_branches(user)).order_by("path")
        self.fields["kind"].choices = [("", _("全部事项")), *sorted(
            ((code, str(label)) for code, label in kind_choices()), key=lambda item: item[1])]

    def filters(self) -> stats.StatsFilters:
        data = self.cleaned_data if self.is_valid() else {}
        start, end, _code = period_bounds(data.get("period") or "", today=self.today)
        if data.get("start") and data.get("end") and data["start"] <= data["end"]:
            start, end = data["start"], data["end"]
        branch = data.get("branch")
        return stats.StatsFilters(start=start, end=end, branch_id=branch.pk if branch else None,
                                  kind=data.get("kind") or None)

    def describe(self, filters: stats.StatsFilters) -> list[tuple[str, str]]:
        notes = [(_t("期间"), f"{filters.start:%Y-%m-%d} — {filters.end:%Y-%m-%d}")]
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("branch"):
            notes.append((_t("网点"), str(data["branch"])))
        if data.get("kind"):
            notes.append((_t("审批事项"), stats.kind_label(data["kind"])))
        return notes


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


class ApprovalStatsPage(BackofficePage):
    template_name = "backoffice/approval_stats.html"
    title = _("审批统计")
    permission_required = ("approvals.view_approvalrequest",)

    def get(self, request, *args, **kwargs):
        form = StatsFilterForm(request.GET or None, user=request.user, today=clock.today())
        filters = form.filters()
        data = stats.approval_stats(request.user, filters)
        if request.GET.get("export") == "xlsx":
            return self.export(data, form, filters)
        query = request.GET.copy()
        query.pop("export", None)
        return self.render_to_response(self.get_context_data(
            form=form, filters=filters, data=data, query=query.urlencode(), charts=self.charts(data),
            backlog_rows=[(BACKLOG_LABELS[code], n) for code, n in data["backlog"]["buckets"].items()]))

    def charts(self, data: dict) -> dict:
        months = data["months"]
        labels = [f"{m['month']:%Y-%m}" for m in months]
        outcome_rows = data["outcomes"]["rows"]
        conversion = data["conversion"]
        steps = data["times"]["steps"]
        return {
            "months": chart(labels, [
                (_t("提交申请"), [m["submitted"] for m in months]), (_t("批准"), [m["approved"] for m in months]),
                (_t("拒绝"), [m["rejected"] for m in months]), (_t("放款"), [m["disbursed"] for m in months])]),
            "requests": chart(labels, [
                (_t("提交审批"), [m["requests"] for m in months]),
                (_t("审批通过"), [m["requests_approved"] for m in months]),
                (_t("审批驳回"), [m["requests_rejected"] for m in months])]),
            "outcomes": chart([r.label for r in outcome_rows], [
                (_t("通过"), [r.approved for r in outcome_rows]), (_t("驳回"), [r.rejected for r in outcome_rows]),
                (_t("撤回"), [r.cancelled for r in outcome_rows]), (_t("审批中"), [r.open for r in outcome_rows])],
                stacked=True),
            "conversion": chart([_t("提交申请"), _t("批准"), _t("放款")], [
                (_t("笔数"), [conversion["submitted"], conversion["approved"], conversion["disbursed"]])]),
            "steps": chart([f"{s.kind_label} {s.label}" for s in steps], [
                (_t("平均用时（小时）"), [s.average_hours for s in steps]),
                (_t("中位用时（小时）"), [s.median_hours for s in steps])]),
            "backlog": chart([str(label) for label in BACKLOG_LABELS.values()], [
                (_t("待审批任务"), list(data["backlog"]["buckets"].values()))]),
        }

    def export(self, data: dict, form: StatsFilterForm, filters: stats.StatsFilters):
        outcome, conversion, backlog = data["outcomes"], data["conversion"], data["backlog"]
        headers = [_t("审批事项"), _t("提交"), _t("通过"), _t("驳回"), _t("撤回"), _t("审批中"), _t("通过率（%）"),
                   _t("驳回率（%）"), _t("改条件同意"), _t("退回补充"), _t("平均办结用时（小时）")]
        rows = [(r.label, r.submitted, r.approved, r.rejected, r.cancelled, r.open, r.approval_rate,
                 r.rejection_rate, r.counter_offers, r.returned, r.average_hours) for r in outcome["rows"]]
        t = outcome["total"]
        rows.append((_t("合计"), t.submitted, t.approved, t.rejected, t.cancelled, t.open, t.approval_rate,
                     t.rejection_rate, t.counter_offers, t.returned, t.average_hours))
        rows += [(), (_t("拒绝原因"), _t("笔数"), _t("占比（%）"), _t("示例"))]
        rows += [(r["reason"], r["count"], r["share"], "；".join(r["examples"])) for r in data["reasons"]["rows"]]
        rows += [(), (_t("审批事项"), _t("审批步骤"), _t("处理笔数"), _t("同意"), _t("驳回"), _t("退回"),
                      _t("平均用时（小时）"), _t("中位用时（小时）"), _t("最长用时（小时）"), _t("超时"))]
        rows += [(s.kind_label, s.label, s.count, s.approved, s.rejected, s.returned, s.average_hours,
                  s.median_hours, s.longest_hours, s.late) for s in data["times"]["steps"]]
        rows += [(), (_t("审批人"), _t("处理笔数"), _t("同意"), _t("驳回"), _t("退回"), _t("平均用时（小时）"),
                      _t("中位用时（小时）"), _t("最长用时（小时）"), _t("超时"))]
        rows += [(p.label, p.count, p.approved, p.rejected, p.returned, p.average_hours, p.median_hours,
                  p.longest_hours, p.late) for p in data["times"]["approvers"]]
        rows += [(), (_t("积压（等待时长）"), _t("待审批任务"))]
        rows += [(str(BACKLOG_LABELS[code]), n) for code, n in backlog["buckets"].items()]
        rows += [(_t("合计"), backlog["total"]), (_t("已超时"), backlog["late"])]
        rows += [(), (_t("申请转化"), _t("笔数"), _t("金额"), _t("转化率（%）")),
                 (_t("新建申请"), conversion["created"]),
                 (_t("提交申请"), conversion["submitted"], conversion["submitted_amount"]),
                 (_t("初筛拒绝"), conversion["knocked_out"]), (_t("拒绝（合计）"), conversion["rejected"]),
                 (_t("批准"), conversion["approved"], conversion["approved_amount"], conversion["approval_rate"]),
                 (_t("放款"), conversion["disbursed"], conversion["disbursed_amount"],
                  conversion["disbursement_rate"]),
                 (_t("提交→放款"), "", "", conversion["overall_rate"])]
        rows += [(), (_t("月份"), _t("提交申请"), _t("批准"), _t("拒绝"), _t("放款"), _t("提交审批"), _t("审批通过"),
                      _t("审批驳回"))]
        rows += [(f"{m['month']:%Y-%m}", m["submitted"], m["approved"], m["rejected"], m["disbursed"], m["requests"],
                  m["requests_approved"], m["requests_rejected"]) for m in data["months"]]
        workbook = build_workbook(title=_t("审批统计"), headers=headers, rows=rows, notes=form.describe(filters),
                                  sheet_name=_t("审批统计"))
        return workbook_response(workbook, f"{_t('审批统计')}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx")


urlpatterns = [
    path("approvals/stats/", ApprovalStatsPage.as_view(), name="approval_stats"),
]
