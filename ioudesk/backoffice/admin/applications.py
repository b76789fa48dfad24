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
from ioudesk.customers.files import DEFAULT_ALLOWED_TYPES


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


def _kind_choices():
    """The document types a customer file may be (the same list: no BMP or TIFF scans)."""
    return [(key, str(sniff.KINDS[key].label)) for key in DEFAULT_ALLOWED_TYPES if key in sniff.KINDS]


class MaterialRequirementForm(forms.ModelForm):
    allowed_kinds = forms.MultipleChoiceField(label=_("允许的文件类型"), choices=_kind_choices,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": _("请至少选择一种文件类型。")})

    class Meta:
        model = MaterialRequirement
        fields = ["product", "code", "name", "description", "required", "allowed_kinds", "max_size_mb", "order",
                  "is_active"]
        help_texts = {"code": _("材料项的英文代码（字母、数字、下划线），同一产品内不重复")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_kinds"] = self.instance.kind_keys()

    def clean_allowed_kinds(self):
        return ",".join(self.cleaned_data.get("allowed_kinds") or [])

    def clean_max_size_mb(self):
        size = self.cleaned_data.get("max_size_mb")
        if size is not None and not 1 <= size <= 50:
            raise forms.ValidationError(_("大小上限应在 1 到 50 MB 之间。"))
        return size


@admin.register(MaterialRequirement)
class MaterialRequirementAdmin(AuditedAdminMixin, ModelAdmin):
    form = MaterialRequirementForm
    list_display = ["name", "product_label", "required", "kinds_label", "max_size_mb", "order", "is_active"]
    list_filter = ["is_active", "required", ("product", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code"]
    ordering = ["order", "pk"]

    @admin.display(description=_("适用产品"), ordering="product")
    def product_label(self, obj):
        return obj.product.name if obj.product_id else _("所有产品")

    @admin.display(description=_("允许的文件类型"))
    def kinds_label(self, obj):
        return "、".join(str(sniff.KINDS.get(k).label) for k in obj.kind_keys() if sniff.KINDS.get(k))

    def has_delete_permission(self, request, obj=None):
        return False  # materials point at their item: switch it off (启用) instead


@admin.register(ApplicationProduct)
class ApplicationProductAdmin(AuditedAdminMixin, ModelAdmin):
    list_display = ["product", "online", "intro"]
    list_filter = ["online"]
    autocomplete_fields = []
