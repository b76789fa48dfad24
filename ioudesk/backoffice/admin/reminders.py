"""还款提醒规则 (for IOU installments, receivables bills and payables: ``applies_to``) and 提醒记录 in the back office. Rules are saved through
ioudesk.reminders.services.rule_save (its refusals next to their fields, audited); a rule that has
reminded anybody is switched off rather than deleted. Each rule has a 预览 filling its template
with a real installment of the user's branches. The records are read-only and scoped."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin, readonly_admin
from ioudesk.core.errors import ValidationFailed
from ioudesk.reminders import services
from ioudesk.reminders.kinds import rule_used
from ioudesk.reminders.models import TEMPLATE_CATEGORIES, AppliesTo, Reminder, ReminderRule


class ReminderRuleForm(forms.ModelForm):
    class Meta:
        model = ReminderRule
        fields = ["applies_to", "product", "kind", "offsets", "repeat_every", "repeat_until", "channel", "template",
                  "is_active", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "template" in self.fields:
            categories = {c for values in TEMPLATE_CATEGORIES.values() for c in values}
            self.fields["template"].queryset = self.fields["template"].queryset.filter(category__in=categories)
            self.fields["template"].help_text = _(
                "借据还款：“还款提醒”类别；应收单据：到期前与到期当日用“单据到期提醒”，逾期后用“催款通知”；"
                "应付单据：“单据到期提醒”（站内信）。模板的渠道须与规则相同；模板在 消息 › 消息模板 中编辑")
        if "product" in self.fields:
            self.fields["product"].empty_label = _("（默认规则）")
        if "applies_to" in self.fields:  # left out (an older form, the API of old): a rule for IOUs
            self.fields["applies_to"].required = False

    def clean_applies_to(self):
        return self.cleaned_data.get("applies_to") or AppliesTo.IOU

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            services.rule_validate(rule=self.instance)
        except ValidationFailed as error:
            for field, message in (error.extra.get("fields") or {}).items():
                self.add_error(field if field in self.fields else None, message)


@admin.register(ReminderRule)
class ReminderRuleAdmin(ServiceAdminMixin, AuditedAdminMixin, ModelAdmin):
    form = ReminderRuleForm
    list_display = ["timing", "applies_to", "product_label", "channel", "template", "is_active"]
    list_display_links = ["timing"]
    list_filter = ["applies_to", "product", "kind", "channel", "is_active"]
    search_fields = ["notes", "template__name"]
    readonly_fields = ["preview_link"]
    actions_detail = ["preview", "open_audit_trail"]
    fieldsets = [
        (_("适用范围"), {"fields": ["applies_to", "product", "is_active", "notes"]}),
        (_("提醒时点"), {"fields": ["kind", "offsets", "repeat_every", "repeat_until"]}),
        (_("渠道与模板"), {"fields": ["channel", "template", "preview_link"]}),
    ]

    @display(description=_("提醒时点"), ordering="kind")
    def timing(self, obj):
        return obj.timing_label()

    @display(description=_("产品"), ordering="product__code")
    def product_label(self, obj):
        if obj.applies_to != "iou":
            return "—"
        return str(obj.product) if obj.product_id else _("默认规则（无自己规则的产品、无产品的欠条）")

    @display(description=_("预览"))
    def preview_link(self, obj):
        if not obj or not obj.pk:
            return _("保存后可预览")
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:reminder_rule_preview", args=[obj.pk]), _("用真实数据预览"))

    def save_model(self, request, obj, form, change):
        services.rule_save(rule=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # rule_save recorded the change in the audit trail; a rule has no relations to save

    def delete_model(self, request, obj):
        services.rule_delete(rule=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        # A rule that has reminded anybody is switched off (启用), not deleted: its records point to it.
        return super().has_delete_permission(request, obj) and not (
            obj is not None and (Reminder.objects.filter(rule=obj).exists() or rule_used(obj)))

    @action(description=_("预览"), url_path="preview", icon="visibility", permissions=["view"])
    def preview(self, request, object_id):
        return redirect("backoffice:reminder_rule_preview", object_id)


@admin.register(Reminder)
@readonly_admin
class ReminderAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["day", "send_day", "customer", "iou", "installment_label", "days_label", "channel", "rule",
                    "state_label"]
    list_filter = ["day", "channel", "state", "rule"]
    search_fields = ["iou__number", "customer__number", "customer__name"]
    list_select_related = ["customer", "iou", "installment", "rule", "rule__product", "message"]
    date_hierarchy = "day"

    @display(description=_("期次"))
    def installment_label(self, obj):
        return f"第{obj.installment.number}期 {obj.installment.due_date:%Y-%m-%d}"

    @display(description=_("逾期天数"), ordering="days_overdue")
    def days_label(self, obj):
        if obj.days_overdue > 0:
            return _("逾期%(n)s天") % {"n": obj.days_overdue}
        if obj.days_overdue == 0:
            return _("当日到期")
        return _("%(n)s天后到期") % {"n": -obj.days_overdue}

    @display(description=_("状态"))
    def state_label(self, obj):
        if obj.message_id:
            try:
                url = reverse("admin:notify_message_change", args=[obj.message_id])
            except NoReverseMatch:
                return obj.message.get_status_display()
            return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.message.get_status_display())
        return f"{obj.get_state_display()}：{obj.reason}" if obj.reason else obj.get_state_display()
