"""单据模板 in the back office: the administrator edits the wording of the 借条, 欠条, 还款凭证 and
结清证明. Saving goes through ioudesk.documents.services.template_save, which checks the template
(syntax, allowed tags, known placeholders) and writes the audit trail; a preview prints the template
with sample data."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.backoffice.document_views import pdf_response
from ioudesk.backoffice.mixins import AuditedAdminMixin
from ioudesk.core.errors import ApplicationError, ValidationFailed
from ioudesk.documents import services
from ioudesk.documents.models import DocumentKind, DocumentTemplate
from ioudesk.documents.placeholders import allowed


class DocumentTemplateForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["kind", "title", "body", "closing", "is_active"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 16}),
            "closing": forms.Textarea(attrs={"rows": 7}),
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = DocumentTemplate(kind=cleaned.get("kind"), title=cleaned.get("title", ""),
                                     body=cleaned.get("body", ""), closing=cleaned.get("closing", ""))
        try:
            services.template_validate(template=candidate)
        except ValidationFailed as error:
            field = error.extra.get("field")
            self.add_error(field if field in self.fields else None, str(error.message))
        return cleaned


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(AuditedAdminMixin, ModelAdmin):
    form = DocumentTemplateForm
    list_display = ["title", "kind", "is_active", "updated_by", "updated_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["title", "body"]
    readonly_fields = ["placeholder_help", "updated_by", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "is_active"]}),
        (_("内容"), {"fields": ["body", "closing"]}),
        (_("可用占位符"), {"fields": ["placeholder_help"]}),
        (_("修改记录"), {"fields": ["updated_by", "updated_at"]}),
    ]
    actions_detail = ["preview_pdf", "open_audit_trail"]

    def changelist_view(self, request, extra_context=None):
        services.templates_ensure()  # the defaults appear the first time anyone looks
        return super().changelist_view(request, extra_context)

    @display(description=_("占位符说明"))
    def placeholder_help(self, obj):
        kinds = [obj.kind] if obj and obj.kind else DocumentKind.values
        parts = []
        for kind in kinds:
            rows = format_html_join(
                "", "<tr><td class=\"pr-4 font-mono whitespace-nowrap\">{{{{ {} }}}}</td><td>{}</td></tr>",
                ((name, meaning) for name, (meaning, _sample) in allowed(kind).items()))
            parts.append(format_html("<p class=\"font-semibold mt-2\">{}</p><table>{}</table>",
                                     DocumentKind(kind).label, rows))
        intro = format_html("<p>{}</p>", _("金额占位符不含“人民币”和“¥”，请在模板里写：人民币（大写）{{ amount_words }}"
                                          "（¥{{ amount_figures }}）。除 {% if %}…{% endif %} 外不能使用其他标签。"))
        return format_html("{}{}", intro, format_html_join("", "{}", ((p,) for p in parts)))

    def save_model(self, request, obj, form, change):
        services.template_save(template=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the service saved and audited the template; it has no relations

    def has_delete_permission(self, request, obj=None):
        # The template in use is never deleted: make another one active first.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_active)

    @action(description=_("预览PDF"), url_path="preview", icon="picture_as_pdf")
    def preview_pdf(self, request, object_id):
        template = self.get_object(request, object_id)
        if template is None:
            return redirect("admin:documents_documenttemplate_changelist")
        try:
            content = services.template_preview_pdf(template=template, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("admin:documents_documenttemplate_change", object_id)
        return pdf_response(content, f"{template.title}-示例.pdf")
