"""法律诉讼 and 失信/黑名单 in the back office. Every save goes through ioudesk.legal.services
(checked, scoped, audited; a filing date records the limitation interruption): the admin only
parses the form. Events and costs of a case are added inline and never edited or deleted; a
defaulter is taken off the list with a reason, never deleted."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.ious.services.limitation import limitation_clock
from ioudesk.legal import predicates, selectors, services
from ioudesk.legal.models import Defaulter, LegalCase, LegalCost, LegalEvent, LegalStatus

CHANGE_FIELDS = ["status", "lawyer", "law_firm", "lawyer_letter_on", "filed_on", "court", "court_case_number",
                 "claim_amount", "judgment_on", "judgment_amount", "enforcement_case_number", "recovered_amount",
                 "closed_on", "notes"]


class LegalEventInline(TabularInline):
    model = LegalEvent
    fields = ["kind", "on", "text", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("诉讼进程（开庭、调解、保全……）")

    def has_change_permission(self, request, obj=None):
        return False  # rows once added stay as they are; the add form still shows

    def has_add_permission(self, request, obj=None):
        return obj is not None and predicates.can_change_legal_case(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class LegalCostInline(TabularInline):
    model = LegalCost
    fields = ["kind", "amount", "paid_on", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("诉讼费用")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and predicates.can_change_legal_case(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class LegalCaseAddForm(forms.ModelForm):
    class Meta:
        model = LegalCase
        fields = ["iou", "customer", "lawyer", "law_firm", "claim_amount", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].required = False
        self.fields["customer"].help_text = _("选择借据时自动取借据的债务人；按客户起诉多笔借据时只选客户")
        self.fields["claim_amount"].required = False
        self.fields["claim_amount"].help_text = _("留空则按借据当前欠款")


@admin.register(LegalCase)
class LegalCaseAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    list_display = ["number", "customer_name", "iou_link", "status_label", "court", "court_case_number",
                    "claim_label", "recovered_label", "filed_on", "judgment_on"]
    list_filter = ["status", "branch"]
    search_fields = ["number", "court_case_number", "enforcement_case_number", "customer__name", "iou__number"]
    list_select_related = ["customer", "iou", "branch"]
    autocomplete_fields = ["iou", "customer"]
    inlines = [LegalEventInline, LegalCostInline]
    ordering = ["-opened_on", "-id"]

    def get_queryset(self, request):
        return selectors.legal_cases_for(request.user)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = LegalCaseAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["iou", "customer", "lawyer", "law_firm", "claim_amount", "notes"]})]
        return [
            (None, {"fields": ["number", "customer", "iou", "collection_case_link", "branch", "opened_on", "opened_by",
                               "status"]}),
            (_("律师与法院"), {"fields": ["lawyer", "law_firm", "lawyer_letter_on", "filed_on", "court",
                                    "court_case_number"]}),
            (_("判决与执行"), {"fields": ["claim_amount", "judgment_on", "judgment_amount", "enforcement_case_number",
                                    "recovered_amount", "costs_total", "closed_on", "notes"]}),
            (_("诉讼时效"), {"fields": ["limitation"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["number", "customer", "iou", "collection_case_link", "branch", "opened_on", "opened_by",
                 "costs_total", "limitation"]
        if not predicates.can_change_legal_case(obj, request.user):
            return fixed + CHANGE_FIELDS
        return fixed

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return predicates.can_change_legal_case(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.legal_case_create(
                by=request.user, iou=form.cleaned_data.get("iou"), customer=form.cleaned_data.get("customer"),
                lawyer=form.cleaned_data.get("lawyer", ""), law_firm=form.cleaned_data.get("law_firm", ""),
                claim_amount=form.cleaned_data.get("claim_amount") if "claim_amount" in form.changed_data else None,
                notes=form.cleaned_data.get("notes", ""))
            obj.pk, obj.number = created.pk, created.number
            obj._state.adding = False
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in CHANGE_FIELDS}
        if changes:
            services.legal_case_update(obj, by=request.user, **changes)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        legal_case = LegalCase.objects.get(pk=form.instance.pk)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # the change message
        for inline_form in formset.forms:
            if inline_form.instance.pk is not None or not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            if formset.model is LegalEvent:
                services.legal_event_add(legal_case, kind=data["kind"], on=data["on"], text=data.get("text", ""),
                                         by=request.user)
            else:
                services.legal_cost_add(legal_case, kind=data["kind"], amount=data["amount"], paid_on=data["paid_on"],
                                        note=data.get("note", ""), by=request.user)

    @display(description=_("被告（债务人）"), ordering="customer__name")
    def customer_name(self, obj):
        return obj.customer.name

    @display(description=_("借据"), ordering="iou__number")
    def iou_link(self, obj):
        if obj.iou_id is None:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:iou_detail", args=[obj.iou_id]), obj.iou.number)

    @display(description=_("催收案件"))
    def collection_case_link(self, obj):
        if obj.collection_case_id is None:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:collections_case", args=[obj.collection_case_id]),
                           obj.collection_case.number)

    @display(description=_("状态"), ordering="status", label={
        LegalStatus.PREPARING: "info", LegalStatus.FILED: "warning", LegalStatus.HEARING: "warning",
        LegalStatus.JUDGED: "primary", LegalStatus.ENFORCING: "danger", LegalStatus.CLOSED: "success"})
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("诉讼请求金额"), ordering="claim_amount")
    def claim_label(self, obj):
        return format_yuan(obj.claim_amount)

    @display(description=_("已回收金额"), ordering="recovered_amount")
    def recovered_label(self, obj):
        return format_yuan(obj.recovered_amount)

    @display(description=_("费用合计"))
    def costs_total(self, obj):
        return format_yuan(obj.total_costs)

    @display(description=_("诉讼时效"))
    def limitation(self, obj):
        if obj.iou_id is None:
            return _("按客户起诉：见各借据页面")
        reading = limitation_clock(obj.iou, day=clock.today())
        expires = reading.expires_on.isoformat() if reading.expires_on else "—"
        events = format_html_join("", "<li>{} {}{}</li>", (
            (e.on.isoformat(), e.label, "" if e.counted else _("（不计入）")) for e in reading.events))
        return format_html("<p><strong>{}</strong></p><p class=\"text-sm\">{}</p><ul class=\"text-sm\">{}</ul>",
                           expires, reading.basis, events)


# ---------------------------------------------------------------- defaulters


class DefaulterAddForm(forms.ModelForm):
    id_number = forms.CharField(label=_("身份证号/统一社会信用代码"), required=False, max_length=30,
                                help_text=_("只保存其盲索引和后四位；选择客户时可留空（取客户的证件号）"))
    evidence = forms.FileField(label=_("证据文件"), help_text=_("PDF或图片：法院失信被执行人查询页面、内部决定等"))

    class Meta:
        model = Defaulter
        fields = ["customer", "name", "id_number", "source", "court_case_number", "reason", "listed_on", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("选择客户时可留空")
        self.fields["listed_on"].required = False
        self.fields["listed_on"].help_text = _("留空为营业日")


class DefaulterRemoveForm(forms.ModelForm):
    class Meta:
        model = Defaulter
        fields = ["removal_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "removal_reason" in self.fields:  # absent when the user may only view (a read-only field)
            self.fields["removal_reason"].help_text = _("填写原因并保存，即将其移出名单（记录保留）")


@admin.register(Defaulter)
class DefaulterAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    list_display = ["name", "id_label", "source", "reason_short", "listed_on", "listed_label", "branch"]
    list_filter = ["source", ("removed_on", admin.EmptyFieldListFilter), "branch"]
    search_fields = ["name", "id_last4", "court_case_number"]
    list_select_related = ["customer", "branch"]
    autocomplete_fields = ["customer"]
    ordering = ["-listed_on", "-id"]

    def get_queryset(self, request):
        return selectors.defaulters_for(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DefaulterAddForm if obj is None else DefaulterRemoveForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["customer", "name", "id_number", "source", "court_case_number", "reason",
                                       "listed_on", "evidence"]})]
        fields = ["name", "customer", "id_label", "source", "court_case_number", "reason", "listed_on", "listed_by",
                  "evidence_link", "evidence_sha256", "branch", "removed_on", "removed_by", "removal_reason"]
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["name", "customer", "id_label", "source", "court_case_number", "reason", "listed_on", "listed_by",
                 "evidence_link", "evidence_sha256", "branch", "removed_on", "removed_by"]
        return fixed if predicates.can_remove_defaulter(obj, request.user) else [*fixed, "removal_reason"]

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return predicates.can_remove_defaulter(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.defaulter_list(
                by=request.user, customer=data.get("customer"), name=data.get("name", ""),
                id_number=data.get("id_number", ""), source=data["source"],
                court_case_number=data.get("court_case_number", ""), reason=data.get("reason", ""),
                listed_on=data.get("listed_on"), evidence=data.get("evidence"))
            obj.pk = created.pk
            obj._state.adding = False
            return
        if (data.get("removal_reason") or "").strip():
            services.defaulter_remove(Defaulter.objects.get(pk=obj.pk), by=request.user, reason=data["removal_reason"])

    def save_related(self, request, form, formsets, change):
        pass

    def get_urls(self):
        return [path("<int:pk>/evidence/", self.admin_site.admin_view(self.evidence_view),
                     name="legal_defaulter_evidence"), *super().get_urls()]

    def evidence_view(self, request, pk):
        try:
            row, handle = services.defaulter_evidence_open(user=request.user, pk=pk)
        except services.NotFound as error:
            raise Http404(str(error.message)) from error
        return FileResponse(handle, as_attachment=True, filename=row.evidence_name,
                            content_type=row.evidence_content_type or "application/octet-stream")

    @display(description=_("证件号"))
    def id_label(self, obj):
        return f"****{obj.id_last4}" if obj.id_last4 else "—"

    @display(description=_("列入原因"))
    def reason_short(self, obj):
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:40] + "…"

    @display(description=_("状态"), label={"listed": "danger", "removed": "info"})
    def listed_label(self, obj):
        return ("listed", _("在名单中")) if obj.removed_on is None else ("removed", _("已移出"))

    @display(description=_("证据文件"))
    def evidence_link(self, obj):
        if not obj.evidence:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("admin:legal_defaulter_evidence", args=[obj.pk]), obj.evidence_name)
