"""贷款计算器: the schedule, its chart, the annualised rate and the legal-cap verdict; export to
.xlsx and a print view. Everything is computed by ioudesk.calc; this page only parses and renders."""

from __future__ import annotations

import json

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.calc.errors import CalcError
from ioudesk.calc.inputs import cap_verdict, loan_terms
from ioudesk.calc.rates import percent_text
from ioudesk.calc.schedule import generate_schedule
from ioudesk.core import clock, services
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.xlsx import build_workbook, workbook_response

METHODS = [
    ("equal_installment", _("等额本息")), ("equal_principal", _("等额本金")), ("interest_only", _("先息后本")),
    ("bullet", _("到期一次还本付息")), ("flat", _("等本等息")),
]
FREQUENCIES = [("monthly", _("按月")), ("quarterly", _("按季")), ("weekly", _("按周")), ("biweekly", _("双周")),
               ("daily", _("按日"))]
DAY_COUNTS = [("30/360", "30/360"), ("ACT/360", "ACT/360"), ("ACT/365", "ACT/365")]
BUSINESS_DAYS = [("none", _("不调整")), ("following", _("遇节假日顺延")), ("preceding", _("遇节假日提前"))]
LAST_INSTALLMENTS = [("settle_balance", _("末期结清余额")), ("equal_payment", _("末期与其他期相同，差额计入利息"))]


class CalculatorForm(forms.Form):
    principal = forms.CharField(label=_("借款本金（元）"), max_length=20, initial="100000")
    rate = forms.CharField(label=_("利率"), max_length=30, initial="12%",
                           help_text=_("如 12%、年化12%、月息1分、月息8厘、日息万五"))
    term = forms.CharField(label=_("期数"), max_length=6, initial="12")
    method = forms.ChoiceField(label=_("还款方式"), choices=METHODS, initial="equal_installment")
    frequency = forms.ChoiceField(label=_("还款周期"), choices=FREQUENCIES, initial="monthly")
    day_count = forms.ChoiceField(label=_("计息基准"), choices=DAY_COUNTS, initial="30/360")
    start = forms.CharField(label=_("放款日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    first_due = forms.CharField(label=_("首期还款日"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("首期不是整月时填写"))
    deducted_interest = forms.CharField(label=_("预扣利息（砍头息）"), max_length=20, required=False, initial="0")
    upfront_fee = forms.CharField(label=_("放款时扣除的手续费"), max_length=20, required=False, initial="0")
    fee = forms.CharField(label=_("每期手续费"), max_length=20, required=False, initial="0")
    business_day = forms.ChoiceField(label=_("节假日调整"), choices=BUSINESS_DAYS, initial="none")
    last_installment = forms.ChoiceField(label=_("末期处理"), choices=LAST_INSTALLMENTS, initial="settle_balance")


class CalculatorPage(BackofficePage):
    template_name = "backoffice/calculator.html"
    title = _("贷款计算器")

    def get(self, request, *args, **kwargs):
        submitted = "principal" in request.GET
        initial = {name: field.initial for name, field in CalculatorForm.base_fields.items()}
        form = CalculatorForm(request.GET if submitted else None, initial={**initial, "start": clock.today().isoformat()})
        result = None
        if submitted and form.is_valid():
            try:
                result = self.calculate(form.cleaned_data)
            except CalcError as error:
                form.add_error(None, calc_error_message(error))
        if result and request.GET.get("export") == "xlsx":
            return self.export(result)
        if result and request.GET.get("print"):
            return render(request, "backoffice/calculator_print.html", {"result": result, "title": self.title})
        return self.render_to_response(self.get_context_data(form=form, result=result))

    def calculate(self, data: dict) -> dict:
        terms = loan_terms(**data, today=clock.today())
        schedule = generate_schedule(terms)
        result = {"terms": terms, "schedule": schedule, "cap": None}
        if services.organisation_current().interest_cap_applies:
            nominal = cap_verdict(contract_date=terms.start, annual_rate=terms.rate.annual)
            actual = cap_verdict(contract_date=terms.start, annual_rate=schedule.annualised_rate)
            result["cap"] = {"nominal": nominal, "actual": actual,
                             "cap_rate": percent_text(nominal.cap.cap_rate), "rule": nominal.cap.rule}
        result["rate_text"] = percent_text(terms.rate.annual)
        result["annualised_text"] = percent_text(schedule.annualised_rate)
        result["chart"] = json.dumps({
            "labels": [str(row.number) for row in schedule.installments],
            "datasets": [
                {"label": _t("本金"), "data": [str(row.principal) for row in schedule.installments],
                 "backgroundColor": "var(--color-primary-600)", "stack": "a"},
                {"label": _t("利息"), "data": [str(row.interest) for row in schedule.installments],
                 "backgroundColor": "var(--color-primary-300)", "stack": "a"},
            ],
        })
        result["chart_options"] = json.dumps(
            {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}, "plugins": {"legend": {"display": True}}}
        )
        return result

    def export(self, result: dict):
        terms, schedule = result["terms"], result["schedule"]
        workbook = build_workbook(
            title=_t("还款计划"),
            notes=[
                (_t("借款本金"), terms.principal), (_t("利率"), terms.rate.describe()),
                (_t("期数"), terms.term), (_t("还款方式"), str(dict(METHODS)[terms.method.value])),
                (_t("放款日"), terms.start), (_t("利息合计"), schedule.total_interest),
                (_t("实际年化利率（IRR）"), f"{result['annualised_text']}%"),
            ],
            headers=[_t("期次"), _t("还款日"), _t("本金"), _t("利息"), _t("费用"), _t("合计"), _t("剩余本金")],
            rows=[(r.number, r.due_date, r.principal, r.interest, r.fee, r.total, r.balance)
                  for r in schedule.installments],
            sheet_name=_t("还款计划"),
        )
        return workbook_response(workbook, f"{_t('还款计划')}-{terms.start.isoformat()}.xlsx")
