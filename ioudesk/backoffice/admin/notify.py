"""消息 in the back office: the message log (read only, with its delivery attempts and a resend for
those allowed), templates (checked and previewed), opt-outs (recorded and withdrawn through the
services) and the sending rules. Every write goes through ioudesk.notify.services."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RangeDateTimeFilter
from unfold.decorators import action, display

from ioudesk.backoffice.admin.followups import add_service_error
from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin, UnfoldWidgetsMixin
from ioudesk.core import scope
from ioudesk.core.errors import ApplicationError
from ioudesk.customers.models import Customer
from ioudesk.notify import placeholders, selectors, services
from ioudesk.notify.models import (
    Channel,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    NotifySettings,
    OptOut,
    Status,
)

STATUS_COLOURS = {Status.QUEUED: "info", Status.SENDING: "info", Status.SENT: "success",
                  Status.DELIVERED: "success", Status.FAILED: "danger", Status.SUPPRESSED: "warning"}


class CategoryFilter(admin.SimpleListFilter):
    title = _("消息类别")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return placeholders.category_choices()

    def queryset(self, request, queryset):
        return queryset.filter(category=self.value()) if self.value() else queryset


# ---------------------------------------------------------------- the message log


class DeliveryAttemptInline(TabularInline):
    model = DeliveryAttempt
    fields = ["at", "outcome", "error_text", "provider_id", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("投递记录")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("说明"))
    def error_text(self, obj):
        return Truncator(obj.error).chars(300) or "—"

    @display(description=_("服务商消息编号"))
    def provider_id(self, obj):
        return format_html("<code>{}</code>", obj.provider_message_id) if obj.provider_message_id else "—"


class ResendForm(forms.Form):
    reason = forms.CharField(label=_("重发原因"), max_length=200, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("例如：客户说没有收到，已核对手机号"))


@admin.register(Message)
class MessageAdmin(ScopedAdminMixin, ModelAdmin):
    """The message log: every message the system queued, with why it was or was not sent."""

    scope_branch_field = "branch"
    inlines = [DeliveryAttemptInline]
    list_display = ["created_at", "channel", "category_label", "recipient", "address_display", "subject_or_body",
                    "status_label", "status_reason_short", "attempts"]
    list_display_links = ["created_at"]
    list_filter = ["channel", "status", CategoryFilter, ("created_at", RangeDateTimeFilter),
                   ("customer", AutocompleteSelectFilter)]
    list_filter_submit = True
    search_fields = ["customer__name", "customer__number", "user__username", "subject", "delivery_key"]
    search_help_text = _("客户姓名或编号、员工登录名、标题或投递键")
    list_per_page = 50
    actions = ["resend_selected"]
    actions_detail = ["resend"]
    fieldsets = [
        (None, {"fields": ["channel", "category_label", "recipient", "address_display", "subject", "body"]}),
        (_("状态"), {"fields": ["status_text", "status_reason", "attempts", "next_attempt_at", "scheduled_for",
                                "sent_at", "delivered_at", "read_at", "provider_message_id_code"]}),
        (_("来源"), {"fields": ["related_link", "template", "delivery_key_code", "resent_from_link", "created_by",
                                "created_at"]}),
    ]
    readonly_fields = ["channel", "category_label", "recipient", "address_display", "subject", "body",
                       "status_text", "status_reason", "attempts", "next_attempt_at", "scheduled_for", "sent_at",
                       "delivered_at", "read_at", "provider_message_id_code", "related_link", "template",
                       "delivery_key_code",
                       "resent_from_link", "created_by", "created_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("customer", "user", "template", "created_by")
        return selectors.log_scope(request.user, queryset)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request, obj=None):
        return request.user.has_perm("notify.resend_message")

    def get_actions_detail(self, request, object_id):
        message = self.get_object(request, object_id) if object_id else None
        if message is not None and not services.can_resend(request.user, message):
            return []
        return super().get_actions_detail(request, object_id)

    @display(description=_("消息类别"))
    def category_label(self, obj):
        return placeholders.category_label(obj.category)

    @display(description=_("收件人"))
    def recipient(self, obj):
        if obj.customer_id:
            return format_html('<a class="text-primary-600" href="{}">{}</a>',
                               reverse("backoffice:customer_overview", args=[obj.customer_id]), obj.customer)
        return obj.recipient_label or "—"

    @display(description=_("内容"))
    def subject_or_body(self, obj):
        # An SMS is its text (its subject is only a label kept for the staff): show what the phone got,
        # up to one SMS segment (70 characters).
        if obj.channel == Channel.SMS:
            return Truncator(obj.body or obj.subject).chars(70)
        return Truncator(obj.subject or obj.body).chars(40)

    @display(description=_("状态"), label={status.value: colour for status, colour in STATUS_COLOURS.items()})
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("状态"))
    def status_text(self, obj):
        return obj.get_status_display()

    @display(description=_("投递键"))
    def delivery_key_code(self, obj):
        return format_html("<code>{}</code>", obj.delivery_key)

    @display(description=_("服务商消息编号"))
    def provider_message_id_code(self, obj):
        return format_html("<code>{}</code>", obj.provider_message_id) if obj.provider_message_id else "—"

    @display(description=_("状态说明"))
    def status_reason_short(self, obj):
        return Truncator(obj.status_reason).chars(50) or "—"

    @display(description=_("关联对象"))
    def related_link(self, obj):
        related = obj.related
        if related is None:
            return "—"
        opts = related._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[related.pk])
        except Exception:
            return str(related)
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, related)

    @display(description=_("重发自"))
    def resent_from_link(self, obj):
        if not obj.resent_from_id:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">#{}</a>',
                           reverse("admin:notify_message_change", args=[obj.resent_from_id]), obj.resent_from_id)

    @action(description=_("重发"), url_path="resend", icon="send", permissions=["resend"])
    def resend(self, request, object_id):
        message = self.get_object(request, object_id)
        back = reverse("admin:notify_message_changelist")
        if message is None:
            return redirect(back)
        back = reverse("admin:notify_message_change", args=[message.pk])
        if not services.can_resend(request.user, message):
            messages.warning(request, _("这条消息还在发送中，或没有收件地址，不能重发。"))
            return redirect(back)
        form = ResendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                copy = services.message_resend(message=message, user=request.user, reason=form.cleaned_data["reason"])
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("已重新排队发送（新消息 #%(id)s）。") % {"id": copy.pk})
                return redirect(reverse("admin:notify_message_change", args=[copy.pk]))
        return TemplateResponse(request, "backoffice/notify/resend.html", {
            **self.admin_site.each_context(request), "title": _("重发消息 #%(id)s") % {"id": message.pk},
            "form": form, "message": message, "opts": self.model._meta, "back": back,
            "category": placeholders.category_label(message.category),
        })

    @admin.action(description=_("重发选中的消息"), permissions=["resend"])
    def resend_selected(self, request, queryset):
        done = skipped = 0
        for message in queryset:
            if not services.can_resend(request.user, message):
                skipped += 1
                continue
            services.message_resend(message=message, user=request.user, reason=str(_("在消息记录中批量重发")))
            done += 1
        messages.success(request, _("已重新排队 %(done)s 条；%(skipped)s 条还在发送中或没有收件地址，未重发。")
                         % {"done": done, "skipped": skipped})


# ---------------------------------------------------------------- templates


class MessageTemplateForm(forms.ModelForm):
    category = forms.ChoiceField(label=_("消息类别"), choices=())

    class Meta:
        model = MessageTemplate
        fields = ["code", "name", "category", "channel", "subject", "body", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = placeholders.category_choices()
        current = self.instance.category if self.instance.pk else ""
        if current and current not in dict(choices):
            choices.append((current, current))
        self.fields["category"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        probe = MessageTemplate(**{name: cleaned.get(name) for name in ["category", "channel", "subject", "body"]})
        for field, problems in services.template_validate(probe).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    form = MessageTemplateForm
    list_display = ["name", "code_text", "category_label", "channel", "is_active", "updated_at"]
    list_filter = ["channel", "is_active", CategoryFilter]
    search_fields = ["name", "code", "body"]
    readonly_fields = ["placeholder_list", "preview", "updated_by", "updated_at", "code_text", "category_label"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):  # read only (审计)
            return [
                (None, {"fields": ["code_text", "name", "category_label", "channel", "is_active"]}),
                (_("内容"), {"fields": ["subject", "body"]}),
                (_("预览（示例数据）"), {"fields": ["preview"]}),
                (_("记录"), {"fields": ["updated_by", "updated_at"]}),
            ]
        return [
            (None, {"fields": ["code", "name", "category", "channel", "is_active"]}),
            (_("内容"), {"fields": ["subject", "body", "placeholder_list"]}),
            *([(_("预览（示例数据）"), {"fields": ["preview"]})] if obj else []),
            *([(_("记录"), {"fields": ["updated_by", "updated_at"]})] if obj else []),
        ]

    def has_delete_permission(self, request, obj=None):
        # A template used by reminder rules or messages is switched off (启用), not deleted.
        return False

    @display(description=_("消息类别"))
    def category_label(self, obj):
        return placeholders.category_label(obj.category)

    @display(description=_("模板代码"))
    def code_text(self, obj):
        return format_html("<code>{}</code>", obj.code)

    @display(description=_("可用占位符"))
    def placeholder_list(self, obj):
        entries = placeholders.categories() if not obj or not obj.pk else [
            c for c in placeholders.categories() if c.code == obj.category]
        if not entries:
            return "—"
        return format_html_join(
            "", '<div class="mb-2"><span class="font-semibold">{}</span>：{}</div>',
            ((entry.label, format_html_join("、", '<code title="{}">{}</code>',
                                            ((str(label), "{" + name + "}") for name, label in entry.placeholders.items())))
             for entry in entries))

    @display(description=_("预览"))
    def preview(self, obj):
        if not obj or not obj.pk:
            return "—"
        try:
            subject, body = services.template_preview(obj)
        except ApplicationError as error:
            return error.message
        return format_html('<div class="whitespace-pre-wrap" data-testid="template-preview">{}{}</div>',
                           format_html('<div class="font-semibold mb-1">{}</div>', subject) if subject else "", body)

    def save_model(self, request, obj, form, change):
        services.template_save(template=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # template_save recorded the change in the audit trail


# ---------------------------------------------------------------- opt-outs


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["customer", "channel", "reason"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写撤销的原因，例如：客户来电要求恢复短信提醒。")})


@admin.register(OptOut)
class OptOutAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    """退订: recorded once and withdrawn (both kept), never edited or deleted."""

    form = OptOutForm
    list_display = ["customer", "channel", "reason", "recorded_by", "created_at", "active_label", "withdrawn_at"]
    list_filter = ["channel", ("created_at", RangeDateTimeFilter), ("customer", AutocompleteSelectFilter)]
    list_filter_submit = True
    search_fields = ["customer__name", "customer__number"]
    autocomplete_fields = ["customer"]
    actions_detail = ["withdraw"]
    readonly_fields = ["recorded_by", "created_at", "withdrawn_at", "withdrawn_by", "withdraw_reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "recorded_by", "withdrawn_by")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["customer", "channel", "reason"]})]
        return [(None, {"fields": ["customer", "channel", "reason", "recorded_by", "created_at"]}),
                (_("撤销"), {"fields": ["withdrawn_at", "withdrawn_by", "withdraw_reason"]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["customer", "channel", "reason", *self.readonly_fields]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "customer":
            kwargs["queryset"] = scope.scope_queryset(request.user, Customer.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_withdraw_permission(self, request, obj=None):
        return request.user.has_perm("notify.change_optout")

    def get_actions_detail(self, request, object_id):
        opt_out = self.get_object(request, object_id) if object_id else None
        if opt_out is not None and opt_out.withdrawn_at is not None:
            return []
        return super().get_actions_detail(request, object_id)

    @display(description=_("有效"), boolean=True)
    def active_label(self, obj):
        return obj.withdrawn_at is None

    def save_model(self, request, obj, form, change):
        saved = services.opt_out_record(customer=obj.customer, channel=obj.channel, reason=obj.reason,
                                        user=request.user)
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db

    def save_related(self, request, form, formsets, change):
        pass

    @action(description=_("撤销退订"), url_path="withdraw", icon="undo", permissions=["withdraw"])
    def withdraw(self, request, object_id):
        opt_out = self.get_object(request, object_id)
        if opt_out is None:
            return redirect(reverse("admin:notify_optout_changelist"))
        back = reverse("admin:notify_optout_change", args=[opt_out.pk])
        if opt_out.withdrawn_at is not None:
            messages.warning(request, _("该退订已撤销。"))
            return redirect(back)
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.opt_out_withdraw(opt_out=opt_out, reason=form.cleaned_data["reason"], user=request.user)
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("已撤销 %(customer)s 的%(channel)s退订。") % {
                    "customer": opt_out.customer, "channel": opt_out.get_channel_display()})
                return redirect(back)
        return TemplateResponse(request, "backoffice/notify/withdraw.html", {
            **self.admin_site.each_context(request), "title": _("撤销退订"), "form": form, "opt_out": opt_out,
            "opts": self.model._meta, "back": back,
        })


# ---------------------------------------------------------------- the sending rules


class NotifySettingsForm(forms.ModelForm):
    class Meta:
        model = NotifySettings
        fields = ["window_start", "window_end", "quiet_hours_email", "daily_cap_sms", "daily_cap_email",
                  "daily_cap_inapp", "max_attempts", "retry_base_seconds"]


class TestMessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=[("sms", _("短信")), ("email", _("电子邮件"))])
    to = forms.CharField(label=_("发送到"), max_length=254, help_text=_("手机号或邮箱地址"))


@admin.register(NotifySettings)
class NotifySettingsAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    """One row of rules: the list opens it."""

    form = NotifySettingsForm
    actions_detail = ["send_test"]
    list_display = ["__str__", "window", "daily_cap_sms", "daily_cap_email", "max_attempts", "updated_at"]
    fieldsets = [
        (_("免打扰时段（北京时间）"), {"fields": ["window_start", "window_end", "quiet_hours_email"],
                                    "description": _("短信只在可发送时段内发出；时段外排队的短信推迟到时段开始时发送。")}),
        (_("每位客户每天上限"), {"fields": ["daily_cap_sms", "daily_cap_email", "daily_cap_inapp"],
                                 "description": _("超过上限的消息不发送，并在消息记录中注明原因。")}),
        (_("重试"), {"fields": ["max_attempts", "retry_base_seconds"],
                      "description": _("网关超时或返回 5xx 时重试，间隔每次加倍；达到次数后记为发送失败。")}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = services.notify_settings()
        return redirect(reverse("admin:notify_notifysettings_change", args=[settings.pk]))

    @display(description=_("可发送时段"))
    def window(self, obj):
        return f"{obj.window_start:%H:%M}–{obj.window_end:%H:%M}"

    def save_model(self, request, obj, form, change):
        services.notify_settings_save(settings=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass

    def response_change(self, request, obj):
        messages.success(request, _("消息发送设置已保存。"))
        return redirect(reverse("admin:notify_notifysettings_change", args=[obj.pk]))

    def has_send_test_permission(self, request, obj=None):
        return request.user.has_perm("notify.change_notifysettings")

    @action(description=_("发送测试消息"), url_path="send-test", icon="send", permissions=["send_test"])
    def send_test(self, request, object_id):
        back = reverse("admin:notify_notifysettings_change", args=[object_id])
        form = TestMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = services.message_test_send(channel=form.cleaned_data["channel"],
                                                     to=form.cleaned_data["to"], user=request.user)
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("测试消息已排队，发送结果见这条消息的状态。"))
                return redirect(reverse("admin:notify_message_change", args=[message.pk]))
        return TemplateResponse(request, "backoffice/notify/send_test.html", {
            **self.admin_site.each_context(request), "title": _("发送测试消息"), "form": form,
            "opts": self.model._meta, "back": back,
        })
