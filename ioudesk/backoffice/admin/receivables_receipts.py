"""核销规则 (MatchRule: order, on/off, automatic or suggestion only, IOUs too) and 付款人对应 (PayerAlias:
a payer name or account known to belong to a customer, entered or learned from matches). Saved
through ioudesk.receivables.matching.match_rule_save and payers.payer_alias_save/delete."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin
from ioudesk.receivables import matching, payers
from ioudesk.receivables.models import MatchRule, PayerAlias, PayerAliasKind


@admin.register(MatchRule)
class MatchRuleAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    list_display = ["order", "code", "is_active", "automatic", "include_ious"]
    list_display_links = ["code"]
    list_editable = []
    ordering = ["order", "id"]
    fields = ["code", "order", "is_active", "automatic", "include_ious"]
    readonly_fields = ["code"]

    def get_queryset(self, request):
        return MatchRule.objects.all()

    def has_add_permission(self, request):
        return False  # the four rules are seeded by ioudesk setup

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off instead

    def save_model(self, request, obj, form, change):
        matching.match_rule_save(rule=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the service recorded the audit event


class PayerAliasForm(forms.ModelForm):
    text = forms.CharField(label=_("户名或账号"), max_length=100,
                           help_text=_("对方户名照银行回单填写；账号只保存不可还原的索引和末四位"))

    class Meta:
        model = PayerAlias
        fields = ["customer", "kind"]


@admin.register(PayerAlias)
class PayerAliasAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    form = PayerAliasForm
    scope_branch_field = "customer__branch"
    list_display = ["label", "kind", "customer", "learned", "uses", "created_at"]
    list_filter = ["kind", "learned"]
    search_fields = ["label", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]

    def get_fields(self, request, obj=None):
        return ["customer", "kind", "text"] if obj is None else ["customer", "kind", "label", "learned", "uses"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["customer", "kind", "label", "learned", "uses"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) if obj is None else False

    def save_model(self, request, obj, form, change):
        alias = payers.payer_alias_save(customer=form.cleaned_data["customer"], kind=form.cleaned_data["kind"],
                                        text=form.cleaned_data["text"], user=request.user)
        obj.pk = alias.pk

    def save_related(self, request, form, formsets, change):
        pass

    def delete_model(self, request, obj):
        payers.payer_alias_delete(alias=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for alias in queryset.select_related("customer"):
            payers.payer_alias_delete(alias=alias, user=request.user)


__all__ = ["MatchRuleAdmin", "PayerAliasAdmin", "PayerAliasKind"]
