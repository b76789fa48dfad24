"""银行流水导入 in the admin: the saved column mappings (流水列对应: one field per column, saved and
deleted through ioudesk.receivables.bankimport) and the imported batches, read only (a batch is made
only by an import; its page is backoffice:receivables_statement_import)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextInputWidget

from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin
from ioudesk.receivables import bankimport
from ioudesk.receivables.bankfiles.mapping import FIELDS
from ioudesk.receivables.models import BankStatement, ColumnMapping


class _MappingFormBase(forms.ModelForm):
    """The mapping's columns as one text box per field (the header text of the file's column)."""

    class Meta:
        model = ColumnMapping
        fields = ["name", "header_row", "date_format"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        columns = (self.instance.columns or {}) if self.instance else {}
        for key, _label, _required in FIELDS:
            self.fields[f"col_{key}"].initial = columns.get(key, "")

    def columns(self) -> dict:
        return {key: self.cleaned_data.get(f"col_{key}", "") for key, _label, _required in FIELDS}


ColumnMappingForm = type("ColumnMappingForm", (_MappingFormBase,), {
    f"col_{key}": forms.CharField(
        label=label, required=required, max_length=100, widget=UnfoldAdminTextInputWidget,
        help_text=_("可填多列，用“|”分隔，如 摘要|用途|附言") if key == "memo" else _("文件表头中这一列的名称（原样填写）"))
    for key, label, required in FIELDS})


@admin.register(ColumnMapping)
class ColumnMappingAdmin(ServiceAdminMixin, ModelAdmin):
    form = ColumnMappingForm
    list_display = ["name", "header_row", "summary", "created_by"]
    search_fields = ["name"]

    def get_fields(self, request, obj=None):
        return ["name", "header_row", "date_format"] + [f"col_{key}" for key, _label, _required in FIELDS]

    @display(description=_("列对应"))
    def summary(self, obj):
        labels = {key: str(label) for key, label, _required in FIELDS}
        return "；".join(f"{labels[k]}＝{v}" for k, v in (obj.columns or {}).items() if v and k in labels) or "—"

    def save_model(self, request, obj, form, change):
        saved = bankimport.column_mapping_save(
            name=form.cleaned_data["name"], columns=form.columns(), header_row=form.cleaned_data["header_row"],
            date_format=form.cleaned_data.get("date_format", ""), user=request.user, mapping=obj if change else None)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # no relations: column_mapping_save wrote the mapping and its audit event

    def delete_model(self, request, obj):
        bankimport.column_mapping_delete(mapping=obj, user=request.user)

    def has_add_permission(self, request):
        return request.user.has_perm("receivables.import_bankstatement") and super().has_add_permission(request)


@admin.register(BankStatement)
class BankStatementAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["number", "bank", "original_name", "period_from", "period_to", "lines_total", "lines_new",
                    "lines_duplicate", "lines_matched", "status", "uploaded_by", "uploaded_at", "page_link"]
    list_filter = ["bank", "status", "uploaded_at"]
    search_fields = ["number", "original_name", "=sha256", "account_number_last4"]
    date_hierarchy = "uploaded_at"
    fields = ["number", "bank", "mapping", "account_code", "account_number_last4", "branch", "original_name", "sha256",
              "period_from", "period_to", "status", "lines_total", "lines_new", "lines_duplicate", "lines_matched",
              "error", "uploaded_by", "uploaded_at", "page_link"]
    readonly_fields = fields
    list_select_related = ["uploaded_by", "branch"]

    @display(description=_("批次页面"))
    def page_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:receivables_statement_import", args=[obj.pk]), _("查看流水与核销"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
