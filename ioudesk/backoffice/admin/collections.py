"""催收 in the back office (Unfold): the cases (read only: they change through the case page's
assignment, recall and contact pages and the daily close), contact records and promises (read only:
contact records are append-only, a correction is a new record), and the administrator's settings —
strategies with their steps, assignment rules, outside agencies (委外机构), collector profiles and
the collection settings.

Lists are filtered by who may see which case (ioudesk.collections.selectors.cases_for: a collector
their own cases, a manager their branches'); the settings save through ioudesk.collections.services
where it has a service for them, else through the audited admin save."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin, readonly_admin
from ioudesk.calc.money import format_yuan
from ioudesk.collections import predicates, selectors
from ioudesk.collections.models import (
    BUCKETS,
    Agency,
    AssignmentRule,
    Case,
    CaseStatus,
    CollectionSettings,
    CollectorProfile,
    ContactAttachment,
    ContactRecord,
    Promise,
    PromiseStatus,
    Strategy,
    StrategyStep,
    Term,
)
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.masking import mask_phone

STATUS_COLOURS = {PromiseStatus.PENDING: "info", PromiseStatus.KEPT: "success",
                  PromiseStatus.PARTLY_KEPT: "warning", PromiseStatus.BROKEN: "danger"}


def _service(name):
    from ioudesk.collections import services

    return getattr(services, name)


def long_overdue_days() -> int:
    return selectors.collection_settings().long_overdue_days


def _tag(colour, text):
    return format_html('<span class="ioudesk-tag ioudesk-tag-{}">{}</span>', colour, text)


# ---------------------------------------------------------------- filters


class BucketFilter(admin.SimpleListFilter):
    title = _("账龄")
    parameter_name = "bucket"
    field = "bucket"

    def lookups(self, request, model_admin):
        return [(b, b) for b in BUCKETS]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() in BUCKETS else queryset


class TermFilter(admin.SimpleListFilter):
    """短期/长期逾期, by the days set in 催收设置."""

    title = _("长短期")
    parameter_name = "term"
    field = "days_past_due"

    def lookups(self, request, model_admin):
        return Term.choices

    def queryset(self, request, queryset):
        days = long_overdue_days()
        if self.value() == Term.SHORT:
            return queryset.filter(**{f"{self.field}__lte": days})
        if self.value() == Term.LONG:
            return queryset.filter(**{f"{self.field}__gt": days})
        return queryset


class CaseBucketFilter(BucketFilter):
    parameter_name = "case_bucket"
    field = "case__bucket"


class CaseTermFilter(TermFilter):
    parameter_name = "case_term"
    field = "case__days_past_due"


class CasesScopedMixin(ScopedAdminMixin):
    """Only the cases the user may see (and the records of those cases)."""

    case_path = "case"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        cases = selectors.cases_for(request.user)
        if self.case_path is None:
            return queryset.filter(pk__in=cases.values("pk"))
        return queryset.filter(**{f"{self.case_path}__in": cases.values("pk")})


# ---------------------------------------------------------------- cases


@admin.register(Case)
@readonly_admin
class CaseAdmin(CasesScopedMixin, ModelAdmin):
    case_path = None
    list_display = ["case_link", "customer_name", "debt", "arrears_label", "overdue_label", "classification",
                    "category", "holder", "next_action_label", "status"]
    list_display_links = None
    list_filter = ["status", BucketFilter, "iou__classification", TermFilter, "nature", "customer__category",
                   ("owner", admin.RelatedOnlyFieldListFilter), ("agency", admin.RelatedOnlyFieldListFilter),
                   "legal"]
    list_filter_submit = True
    search_fields = ["number", "iou__number", "bill__number", "customer__name", "customer__number"]
    list_select_related = ["customer", "iou", "bill", "owner", "agency"]
    actions = ["bulk_assign"]
    actions_detail = ["open_case"]
    fieldsets = [
        (_("案件"), {"fields": ["number", "iou", "bill", "customer", "branch", "nature", "status", "close_reason", "opened_on",
                               "closed_on", "legal"]}),
        (_("逾期"), {"fields": ["bucket", "days_past_due", "arrears", "priority"]}),
        (_("策略与分案"), {"fields": ["stage", "stage_since", "escalation_level", "owner", "agency", "next_action",
                                     "next_action_due", "promise_due_on"]}),
    ]

    _long_days = 90

    def changelist_view(self, request, extra_context=None):
        self._long_days = long_overdue_days()  # once per list, not per row
        return super().changelist_view(request, extra_context)

    @display(description=_("案件编号"), ordering="number")
    def case_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:collections_case", args=[obj.pk]), obj.number)

    @display(description=_("逾期欠款"), ordering="arrears")
    def arrears_label(self, obj):
        return format_yuan(obj.arrears)

    @display(description=_("债务人"), ordering="customer__name")
    def customer_name(self, obj):
        return obj.customer.name

    @display(description=_("逾期"), ordering="days_past_due")
    def overdue_label(self, obj):
        term = Term.LONG.label if obj.days_past_due > self._long_days else Term.SHORT.label
        return format_html('{} · {}<span class="block text-xs">{}</span>', obj.bucket,
                           _("%(n)s 天") % {"n": obj.days_past_due}, term)

    @display(description=_("借据/往来单据"))
    def debt(self, obj):
        return obj.debt_number

    @display(description=_("五级分类"), ordering="iou__classification")
    def classification(self, obj):
        return obj.iou.get_classification_display() if obj.iou_id is not None else _("往来账款")

    @display(description=_("客户分类"), ordering="customer__category")
    def category(self, obj):
        return obj.customer.get_category_display()

    @display(description=_("催收员/委外"))
    def holder(self, obj):
        if obj.owner_id:
            return str(obj.owner)
        if obj.agency_id:
            return f"{obj.agency}（{_('委外')}）"
        return _("未分案")

    @display(description=_("下一步"), ordering="next_action_due")
    def next_action_label(self, obj):
        if not obj.next_action:
            return "—"
        due = f" {obj.next_action_due:%Y-%m-%d}" if obj.next_action_due else ""
        return f"{obj.get_next_action_display()}{due}"

    def has_bulk_assign_permission(self, request):
        return predicates.can_assign(request.user)

    @action(description=_("批量分案"), permissions=["bulk_assign"])
    def bulk_assign(self, request, queryset):
        ids = list(queryset.filter(status=CaseStatus.OPEN).values_list("pk", flat=True)[:500])
        if not ids:
            messages.error(request, _("所选案件都已结案，无需分案。"))
            return None
        return redirect(reverse("backoffice:collections_assign_bulk") + "?" + urlencode([("case", i) for i in ids]))

    @action(description=_("打开案件页"), url_path="open", icon="open_in_new", permissions=["view"])
    def open_case(self, request, object_id):
        return redirect("backoffice:collections_case", object_id)


# ---------------------------------------------------------------- contact records


class AttachmentInline(TabularInline):
    model = ContactAttachment
    fields = ["kind", "original_name", "content_type", "size", "sha256", "uploaded_at", "uploaded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("证据材料")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactRecord)
@readonly_admin
class ContactRecordAdmin(CasesScopedMixin, ModelAdmin):
    """催收记录: append-only; new records through the contact form of a case (记录催收)."""

    list_display = ["contacted_at", "case_link", "customer", "method", "party_label", "outcome", "recorded_by",
                    "flags"]
    list_display_links = ["contacted_at"]
    list_filter = ["method", "outcome", "party", "outside_hours", "over_daily_cap", "interruption_recorded",
                   CaseBucketFilter, CaseTermFilter, "case__nature", "customer__category",
                   ("recorded_by", admin.RelatedOnlyFieldListFilter)]
    list_filter_submit = True
    search_fields = ["case__number", "iou__number", "customer__name", "party_name", "notes"]
    list_select_related = ["case", "customer", "recorded_by"]
    date_hierarchy = "contacted_at"
    inlines = [AttachmentInline]
    actions_detail = ["open_record"]
    fields = ["case", "iou", "customer", "method", "party", "contact", "party_name", "outcome", "notes", "next_step",
              "next_action_due", "contacted_at", "recorded_by", "recorded_at", "corrects", "refers_to",
              "outside_hours", "over_daily_cap", "warning", "interruption_recorded"]

    @display(description=_("案件"), ordering="case__number")
    def case_link(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:collections_case", args=[obj.case_id]), obj.case.number)

    @display(description=_("联系对象"))
    def party_label(self, obj):
        return f"{obj.get_party_display()} {obj.party_name}".strip()

    @display(description=_("提示"))
    def flags(self, obj):
        parts = []
        if obj.outside_hours:
            parts.append(_tag("warning", _("超出联系时段")))
        if obj.over_daily_cap:
            parts.append(_tag("warning", _("超出每日上限")))
        if obj.interruption_recorded:
            parts.append(_tag("success", _("时效中断")))
        return format_html(" ".join(["{}"] * len(parts)), *parts) if parts else "—"

    @action(description=_("打开记录页"), url_path="open", icon="open_in_new", permissions=["view"])
    def open_record(self, request, object_id):
        return redirect("backoffice:collections_record", object_id)


# ---------------------------------------------------------------- promises


@admin.register(Promise)
@readonly_admin
class PromiseAdmin(CasesScopedMixin, ModelAdmin):
    list_display = ["promised_on", "case_link", "customer", "amount_label", "paid_label", "status_label", "collector",
                    "checked_on"]
    list_display_links = ["promised_on"]
    list_filter = ["status", "promised_on", CaseBucketFilter, CaseTermFilter, "case__nature",
                   "case__customer__category", ("collector", admin.RelatedOnlyFieldListFilter)]
    list_filter_submit = True
    search_fields = ["case__number", "iou__number", "case__customer__name"]
    list_select_related = ["case", "case__customer", "collector"]
    date_hierarchy = "promised_on"
    fields = ["case", "iou", "record", "amount", "promised_on", "status", "paid", "checked_on", "collector",
              "created_at"]

    @display(description=_("案件"), ordering="case__number")
    def case_link(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:collections_case", args=[obj.case_id]), obj.case.number)

    @display(description=_("债务人"), ordering="case__customer__name")
    def customer(self, obj):
        return obj.case.customer.name

    @display(description=_("承诺金额"), ordering="amount")
    def amount_label(self, obj):
        return format_yuan(obj.amount)

    @display(description=_("已还金额"), ordering="paid")
    def paid_label(self, obj):
        return format_yuan(obj.paid)

    @display(description=_("状态"), ordering="status")
    def status_label(self, obj):
        return _tag(STATUS_COLOURS.get(obj.status, "info"), obj.get_status_display())


# ---------------------------------------------------------------- the administrator's settings


class ServiceSaveMixin(ServiceAdminMixin, AuditedAdminMixin):
    """Save through the collections service ``save_service`` (it validates every field, saves and
    audits); its refusals land next to the fields they name."""

    save_service: str = ""
    service_arg: str = ""

    def call_service(self, request, obj, form):
        return _service(self.save_service)(**{self.service_arg: obj, "user": request.user})

    def save_model(self, request, obj, form, change):
        try:
            saved = self.call_service(request, obj, form)
        except ValidationFailed as error:
            fields = error.extra.get("fields") or {}
            if len(fields) > 1 and not error.extra.get("details"):
                error.extra["details"] = [{"field": f, "message": m} for f, m in fields.items()]
            raise
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # the service audited the record itself; inline rows and many-to-many go their own way
        for formset in formsets:
            self.save_formset(request, form, formset, change)


class StrategyStepInline(TabularInline):
    model = StrategyStep
    fields = ["order", "action", "after_days", "label"]
    extra = 0
    ordering = ["order"]
    verbose_name_plural = _("步骤")


@admin.register(Strategy)
class StrategyAdmin(ServiceSaveMixin, ModelAdmin):
    """催收策略 per bucket with its steps; each step is saved through strategy_step_save."""

    save_service, service_arg = "strategy_save", "strategy"
    list_display = ["bucket", "name", "steps_label", "active"]
    list_display_links = ["bucket", "name"]
    list_filter = ["active"]
    inlines = [StrategyStepInline]
    fields = ["bucket", "name", "active"]

    def save_formset(self, request, form, formset, change):
        if formset.model is not StrategyStep:
            return super().save_formset(request, form, formset, change)
        # what formset.save() would leave for the admin's change message
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for step_form in formset.deleted_forms:
            if step_form.instance.pk:
                _service("strategy_step_delete")(step=step_form.instance, user=request.user)
                formset.deleted_objects.append(step_form.instance)
        for step_form in formset.forms:
            if step_form in formset.deleted_forms or not step_form.has_changed():
                continue
            step = step_form.instance
            is_new = step.pk is None
            step.strategy = form.instance
            _service("strategy_step_save")(step=step, user=request.user)
            if is_new:
                formset.new_objects.append(step)
            else:
                formset.changed_objects.append((step, step_form.changed_data))

    def has_delete_permission(self, request, obj=None):
        return False  # a strategy is switched off (启用), its bucket keeps one

    @display(description=_("步骤"))
    def steps_label(self, obj):
        return " → ".join(f"{s.get_action_display()}（{_('第')}{s.after_days}{_('天')}）"
                          for s in obj.steps.order_by("order")) or "—"


class AssignmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ["order", "name", "active", "buckets", "branch", "product", "min_arrears", "max_arrears",
                  "collectors", "agency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "collectors" in self.fields:
            from django.contrib.auth import get_user_model

            self.fields["collectors"].queryset = get_user_model().objects.filter(
                is_active=True, is_staff=True, groups__permissions__codename="add_contactrecord",
            ).distinct().order_by("username")
            self.fields["collectors"].help_text = _("在这些催收员中，分给在办案件最少、未超过上限且可处理该账龄的一位；"
                                                    "或选择委外机构。")


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ServiceSaveMixin, ModelAdmin):
    save_service, service_arg = "assignment_rule_save", "rule"
    form = AssignmentRuleForm
    list_display = ["order", "name", "buckets", "branch", "product", "arrears_range", "target", "active"]
    list_display_links = ["name"]
    list_filter = ["active", "branch", "product", "agency"]
    filter_horizontal = ["collectors"]
    fieldsets = [
        (_("规则"), {"fields": ["order", "name", "active"]}),
        (_("适用的案件"), {"fields": ["buckets", "branch", "product", "min_arrears", "max_arrears"]}),
        (_("分给"), {"fields": ["collectors", "agency"]}),
    ]

    def call_service(self, request, obj, form):
        return _service("assignment_rule_save")(rule=obj, collectors=form.cleaned_data.get("collectors"),
                                                user=request.user)

    @display(description=_("欠款范围"))
    def arrears_range(self, obj):
        low = format_yuan(obj.min_arrears) if obj.min_arrears is not None else "—"
        high = format_yuan(obj.max_arrears) if obj.max_arrears is not None else "—"
        return f"{low} ~ {high}"

    @display(description=_("分给"))
    def target(self, obj):
        if obj.agency_id:
            return f"{obj.agency}（{_('委外')}）"
        names = [str(u) for u in obj.collectors.all()[:5]]
        return "、".join(names) or "—"


class AgencyForm(forms.ModelForm):
    """The agency's phone is never put back into the page: masked as a placeholder; empty keeps it."""

    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)

    class Meta:
        model = Agency
        fields = ["name", "contact_name", "phone", "commission_rate", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.phone if self.instance.pk else ""
        self.initial["phone"] = ""
        if stored:
            self.fields["phone"].widget.attrs["placeholder"] = mask_phone(stored)
            self.fields["phone"].help_text = _("已登记：%(masked)s。留空表示不修改。") % {"masked": mask_phone(stored)}

    def _post_clean(self):
        kept = self.instance.phone
        super()._post_clean()
        if not self.cleaned_data.get("phone"):
            self.instance.phone = kept


@admin.register(Agency)
class AgencyAdmin(ServiceSaveMixin, ModelAdmin):
    save_service, service_arg = "agency_save", "agency"
    form = AgencyForm
    list_display = ["name", "contact_name", "phone_masked", "rate_label", "open_cases", "active"]
    list_filter = ["active"]
    search_fields = ["name", "contact_name"]

    @display(description=_("联系电话"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone) if obj.phone else "—"

    @display(description=_("佣金比例"), ordering="commission_rate")
    def rate_label(self, obj):
        return f"{obj.commission_rate * 100:.2f}%"

    @display(description=_("在办案件"))
    def open_cases(self, obj):
        return obj.cases.filter(status=CaseStatus.OPEN).count()

    def has_delete_permission(self, request, obj=None):
        return False  # an agency is switched off (启用): its cases, assignments and recoveries point to it


@admin.register(CollectorProfile)
class CollectorProfileAdmin(ServiceSaveMixin, ModelAdmin):
    save_service, service_arg = "collector_profile_save", "profile"
    list_display = ["user", "skills_label", "max_open_cases", "open_cases", "active"]
    list_filter = ["active"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    list_select_related = ["user"]
    fields = ["user", "skills", "max_open_cases", "active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(
                is_active=True, is_staff=True, groups__permissions__codename="add_contactrecord",
            ).distinct().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        from ioudesk.core import scope

        return scope.scope_queryset(request.user, super().get_queryset(request), "user__branch")

    @display(description=_("可处理账龄"))
    def skills_label(self, obj):
        return obj.skills or _("全部账龄")

    @display(description=_("在办案件"))
    def open_cases(self, obj):
        return Case.objects.filter(owner_id=obj.user_id, status=CaseStatus.OPEN).count()


@admin.register(CollectionSettings)
class CollectionSettingsAdmin(ServiceSaveMixin, ModelAdmin):
    """One row per organisation: the list opens it."""

    save_service, service_arg = "collection_settings_update", "settings"
    list_display = ["__str__", "long_overdue_days", "calls_daily_cap", "missed_action_grace_days",
                    "escalate_on_broken_promise", "limitation_alert_days"]
    fieldsets = [
        (_("逾期分类"), {"fields": ["long_overdue_days"]}),
        (_("联系规范"), {"fields": ["calls_daily_cap"],
                        "description": _("联系时段与消息发送时段相同（消息 › 发送设置）；超出时段或上限时记录仍可保存，并留存提示。")}),
        (_("升级"), {"fields": ["missed_action_grace_days", "escalate_on_broken_promise"]}),
        (_("诉讼时效预警"), {"fields": ["limitation_alert_days"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = selectors.collection_settings()
        return redirect(reverse("admin:collections_collectionsettings_change", args=[row.pk]))

    def response_change(self, request, obj):
        messages.success(request, _("催收设置已保存。"))
        return redirect(reverse("admin:collections_collectionsettings_change", args=[obj.pk]))
