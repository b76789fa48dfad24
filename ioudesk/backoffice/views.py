from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.services import submit_or_run
from ioudesk.backoffice.approval_outcome import submitted_message
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.closing.selectors import closed_through
from ioudesk.core import clock, services
from ioudesk.core.errors import ApplicationError

AREAS = {
    "customers": (_("客户管理"), _("客户档案、资料、标签分类、跟进记录、查询与统计。")),
    "applications": (_("贷款申请"), _("线上与柜面申请、申请材料、初审与建议额度利率。")),
    "approvals": (_("审批任务"), _("可配置的审批流程、审批人组、双人复核与审批记录。")),
    "ious": (_("借据管理"), _("放款、还款计划、还款、减免、冲正、展期、结清与核销，每一分钱记入复式账。")),
    "receivables": (_("往来账款"), _("销售单与应付单、收付款与自动核销、银行流水导入、对账单与询证函、账龄与信用额度。")),
    "collections": (_("催收管理"), _("日终处理、逾期与五级分类、还款提醒、催收记录、承诺还款、诉讼与诉讼时效。")),
    "reports": (_("统计报表"), _("申请、审批、放款、还款、账龄、逾期率、催收与效率报表，图表、导出与打印。")),
}


class AreaPage(BackofficePage):
    """An area of the product that has not been built yet says so, instead of a dead link."""

    template_name = "backoffice/area.html"

    def get_context_data(self, **kwargs):
        area = self.kwargs["area"]
        if area not in AREAS:
            raise Http404
        self.title, description = AREAS[area]
        return super().get_context_data(**kwargs, description=description)


class BusinessDateForm(forms.Form):
    business_date = forms.DateField(
        label=_("营业日"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空表示使用当天日期。"),
    )
    reason = forms.CharField(label=_("原因"), max_length=200,
                             help_text=_("例如：演示环境固定营业日。补录以前的业务请在该业务的表单中填写业务日期。"))


class BusinessDatePage(BackofficePage):
    template_name = "backoffice/business_date.html"
    title = _("营业日")
    permission_required = ("core.set_business_date",)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", BusinessDateForm(initial={"business_date": services.organisation_current().business_date}))
        return super().get_context_data(**kwargs, today=clock.today())

    def post(self, request, *args, **kwargs):
        form = BusinessDateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        new_date, reason = form.cleaned_data["business_date"], form.cleaned_data["reason"]
        try:
            if (new_date or timezone.localdate()) < clock.today():
                # moving the date back: through its approval flow (business_date_back) when one applies
                organisation = services.organisation_current()
                outcome = submit_or_run(
                    kind=services.BUSINESS_DATE_BACK, target=organisation, user=request.user,
                    payload={"new_date": new_date.isoformat() if new_date else None, "reason": reason},
                    reason=reason, summary=_("营业日回退：%(before)s → %(after)s") % {
                        "before": clock.today().isoformat(),
                        "after": (new_date or timezone.localdate()).isoformat()})
                if outcome.request is not None:
                    messages.success(request, submitted_message(outcome.request))
                    return redirect("backoffice:business_date")
            else:
                services.business_date_set(new_date=new_date, reason=reason, actor=request.user)
        except ApplicationError as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(form=form))
        day = clock.today()
        messages.success(request, _("营业日已设置为 %(day)s。") % {"day": day.isoformat()})
        closed = closed_through()
        if closed is not None and closed < day - timedelta(days=1):
            # The scheduler's catch-up closes the days in between at once (closing/periodic.py).
            messages.info(request, _("%(first)s 至 %(last)s 尚未日终：后台正在按日期顺序补做日终，可在“日终”页查看进度。") % {
                "first": (closed + timedelta(days=1)).isoformat(), "last": (day - timedelta(days=1)).isoformat()})
            return redirect("backoffice:close_runs")
        return redirect("backoffice:business_date")
