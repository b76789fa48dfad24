"""往来单位设置 (CounterpartyProfile: credit limit, default payment terms, customer/supplier),
付款条件 (PaymentTerms) and 往来设置 (ReceivablesSettings: tax rates, long-overdue days …), saved
through ioudesk.receivables.credit (counterparty_profile_save, payment_terms_save,
receivables_settings_save), each checked and audited."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin, UnfoldWidgetsMixin
from ioudesk.calc.money import format_yuan
from ioudesk.receivables import credit
from ioudesk.receivables.models import CounterpartyProfile, PaymentTerms, ReceivablesSettings
from ioudesk.receivables.terms_text import terms_display


@admin.register(CounterpartyProfile)
class CounterpartyProfileAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    scope_branch_field = "customer__branch"
    list_display = ["customer", "is_customer", "is_supplier", "limit_display", "payment_terms", "available_display",
                    "tax_id"]
    list_filter = ["is_customer", "is_supplier", "payment_terms"]
    search_fields = ["customer__name", "customer__number", "tax_id"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "payment_terms"]
    fields = ["customer", "is_customer", "is_supplier", "credit_limit", "payment_terms", "tax_id", "notes"]

    def get_readonly_fields(self, request, obj=None):
        return ["customer"] if obj is not None else []

    @display(description=_("信用额度"), ordering="credit_limit")
    def limit_display(self, obj):
        return format_yuan(obj.credit_limit) if obj.credit_limit is not None else _("不限额")

    @display(description=_("可用额度"))
    def available_display(self, obj):
        if obj.credit_limit is None:
            return "—"
        verdict = credit.credit_check(obj.customer, 0)
        return format_yuan(verdict.available)

    def save_model(self, request, obj, form, change):
        credit.counterparty_profile_save(profile=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the service recorded the audit event


PLAN_PART = re.compile(r"(\d+)\s*(天|个月|月)\s*[:：付]?\s*(\d+(?:\.\d+)?)\s*[%％]")


def plan_text(plan) -> str:
    """[{"days": 30, "percent": "30"}, …] → "30天 30%；60天 70%"."""
    parts = []
    for part in plan or []:
        if part.get("months") not in (None, ""):
            parts.append(f"{part['months']}个月 {part.get('percent')}%")
        else:
            parts.append(f"{part.get('days')}天 {part.get('percent')}%")
    return "；".join(parts)


def parse_plan(text: str) -> list[dict]:
    text = (text or "").strip()
    if not text:
        return []
    found = PLAN_PART.findall(text)
    leftover = PLAN_PART.sub("", text)
    if not found or leftover.strip(" ，,；;、\n"):
        raise forms.ValidationError(_("分期计划的写法：每期“天数 比例”，用分号隔开，例如 30天 30%；60天 70%（按月写 1个月 50%）"))
    return [{"days" if unit == "天" else "months": int(number), "percent": percent} for number, unit, percent in found]


class PaymentTermsForm(forms.ModelForm):
    plan = forms.CharField(label=_("分期计划"), required=False, max_length=400,
                                 help_text=_("仅“分期”使用：每期“天数 比例”，用分号隔开，例如 30天 30%；60天 70%；"
                                             "按月写 1个月 50%（月末规则：1月31日加1个月为2月末）"))

    class Meta:
        model = PaymentTerms
        fields = ["name", "kind", "days", "plan", "shift_holidays", "is_active", "sort"]
        help_texts = {"days": _("票到N天、月结N天的 N；其他类型填 0")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["plan"] = plan_text(self.instance.plan)

    def clean_plan(self):
        return parse_plan(self.cleaned_data.get("plan", ""))


@admin.register(PaymentTerms)
class PaymentTermsAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    form = PaymentTermsForm
    list_display = ["name", "kind", "days", "rule_display", "shift_holidays", "is_active", "sort"]
    list_filter = ["kind", "is_active", "shift_holidays"]
    search_fields = ["name"]
    ordering = ["sort", "id"]

    @display(description=_("到期规则"))
    def rule_display(self, obj):
        return terms_display(obj)  # in the reader's language (a bill keeps the Chinese words)

    def has_delete_permission(self, request, obj=None):
        return False  # bills keep their terms: switch them off instead

    def save_model(self, request, obj, form, change):
        credit.payment_terms_save(terms=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass


class ReceivablesSettingsForm(forms.ModelForm):
    class Meta:
        model = ReceivablesSettings
        fields = ["tax_rates", "long_overdue_days", "case_after_days", "match_tolerance", "default_terms", "dso_days"]
        labels = {"dso_days": _("应收账款周转天数的计算期（天）")}
        help_texts = {"dso_days": _("周转天数 = 期末应收余额 ÷ 最近这些天的销售额 × 天数")}


@admin.register(ReceivablesSettings)
class ReceivablesSettingsAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    form = ReceivablesSettingsForm
    list_display = ["__str__", "tax_rates", "long_overdue_days", "case_after_days", "default_terms"]
    fields = ["tax_rates", "long_overdue_days", "case_after_days", "match_tolerance", "default_terms", "dso_days"]

    def get_queryset(self, request):
        credit.receivables_settings()  # the row exists once the page is opened
        return super().get_queryset(request)

    def changelist_view(self, request, extra_context=None):
        from django.shortcuts import redirect

        row = credit.receivables_settings()
        if request.user.has_perm("receivables.change_receivablessettings") or request.user.has_perm(
                "receivables.view_receivablessettings"):
            return redirect(reverse("admin:receivables_receivablessettings_change", args=[row.pk]))
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        credit.receivables_settings_save(settings=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass



