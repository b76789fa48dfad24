"""贷款申请 in the back office (Unfold): the list of applications (read only: an application changes
through its page, backoffice/application_pages.py, and the public pages), the materials checklist
(申请材料清单) and which products may be applied for online (产品申请设置)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from ioudesk.applications.models import Application, ApplicationProduct, MaterialRequirement
from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, readonly_admin
from ioudesk.calc.money import format_yuan
from ioudesk.customers import sniff


@admin.register(Application)
@readonly_admin
class ApplicationAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["number_link", "applicant_name", "product", "amount_label", "term", "channel", "status",
                    "score", "branch", "account_manager", "created_at"]
    list_display_links = None
    list_filter = ["status", "channel", ("product", admin.RelatedOnlyFieldListFilter),
                   ("branch", admin.RelatedOnlyFieldListFilter)]
    list_filter_submit = True
    search_fields = ["number", "applicant_name", "phone_last4", "id_last4"]
    list_select_related = ["product", "branch", "account_manager"]
    date_hierarchy = None
    ordering = ["-created_at", "-pk"]
    fields = ["number", "applicant_name", "product", "amount", "term", "status", "channel", "branch"]

    @admin.display(description=_("申请编号"), ordering="number")
    def number_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:application_detail", args=[obj.pk]), obj.number)

    @admin.display(description=_("申请金额"), ordering="amount")
    def amount_label(self, obj):
        return format_yuan(obj.amount)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("applications.view_application")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from django.shortcuts import redirect

        return redirect("backoffice:application_detail", pk=object_id) if str(object_id).isdigit() else \
            super().change_view(request, object_id, form_url, extra_context)


class MaterialRequirementForm(forms.ModelForm):
    class Meta:
        model = MaterialRequirement
        fields = ["product", "code", "name", "description", "required", "allowed_kinds", "max_size_mb", "order",
                  "is_active"]

    def clean_allowed_kinds(self):
        keys = [k.strip().lower() for k in (self.cleaned_data.get("allowed_kinds") or "").split(",") if k.strip()]
        allowed = {key for key, kind in sniff.KINDS.items() if kind.group}
        unknown = [k for k in keys if k not in allowed]
        if not keys:
            raise forms.ValidationError(_("请至少填写一种文件类型，如 jpeg,png,pdf。"))
        if unknown:
            raise forms.ValidationError(_("不支持的文件类型：%(kinds)s。可选：%(allowed)s。") % {
                "kinds": "、".join(unknown), "allowed": "、".join(sorted(allowed))})
        return ",".join(keys)

    def clean_max_size_mb(self):
        size = self.cleaned_data.get("max_size_mb")
        if size is not None and not 1 <= size <= 50:
            raise forms.ValidationError(_("大小上限应在 1 到 50 MB 之间。"))
        return size


@admin.register(MaterialRequirement)
class MaterialRequirementAdmin(AuditedAdminMixin, ModelAdmin):
    form = MaterialRequirementForm
    list_display = ["name", "code", "product_label", "required", "allowed_kinds", "max_size_mb", "order", "is_active"]
    list_filter = ["is_active", "required", ("product", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code"]
    ordering = ["order", "pk"]

    @admin.display(description=_("适用产品"), ordering="product")
    def product_label(self, obj):
        return obj.product.name if obj.product_id else _("所有产品")

    def has_delete_permission(self, request, obj=None):
        return False  # materials point at their item: switch it off (启用) instead


@admin.register(ApplicationProduct)
class ApplicationProductAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ["product", "online", "intro"]
    list_filter = ["online"]
    autocomplete_fields = []
