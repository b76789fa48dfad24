"""定时报告 (F): the ReportSchedule admin. Every save goes through reports.schedules.schedule_save (it
checks the report, its parameters, the recipients and the timing, naming the field), every delete
through schedule_delete; the list shows when each runs next and what it generated last."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin
from ioudesk.core import scope
from ioudesk.core.names import staff_name
from ioudesk.reports import schedules
from ioudesk.reports.models import ReportSchedule
from ioudesk.reports.registry import GROUPS, report_get, reports_all


class RecipientChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class ReportScheduleForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("报表"), choices=())
    recipients = RecipientChoice(label=_("接收人"), queryset=get_user_model().objects.none(), required=False,
                                 help_text=_("留空则只发给创建人；接收人须有查看该报表的权限"))

    class Meta:
        model = ReportSchedule
        fields = ["name", "code", "params", "format", "frequency", "day_of_month", "weekday", "at", "recipients",
                  "by_email", "active"]
        help_texts = {"params": _("报表的筛选条件（JSON），键与报表页面地址中的参数相同；留空 {} 表示按生成当天的营业日"
                                  "取默认期间（月报默认上一个月）")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for spec in reports_all():
            groups.setdefault(str(GROUPS[spec.group]), []).append((spec.code, str(spec.title)))
        self.fields["code"].choices = [("", _("请选择报表")), *groups.items()]
        staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
        if user is not None:
            ids = scope.visible_branch_ids(user)
            if ids is not None:
                staff = staff.filter(branch_id__in=ids)
        self.fields["recipients"].queryset = staff


@admin.register(ReportSchedule)
class ReportScheduleAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    form = ReportScheduleForm
    list_display = ["name", "report_title", "timing", "format", "recipient_count", "by_email", "active",
                    "last_run_at", "generated_link"]
    list_filter = ["active", "frequency", "format"]
    search_fields = ["name", "code"]
    readonly_fields = ["owner", "branch", "last_run_at", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class UserForm(form_class):
            def __init__(self, *args, **kw):
                kw.setdefault("user", user)
                super().__init__(*args, **kw)

        return UserForm

    def get_fieldsets(self, request, obj=None):
        sets = [
            (None, {"fields": ["name", "code", "params", "format"]}),
            (_("时间"), {"fields": ["frequency", "day_of_month", "weekday", "at", "active"]}),
            (_("发送"), {"fields": ["recipients", "by_email"]}),
        ]
        if obj is not None:
            sets.append((_("记录"), {"fields": ["owner", "branch", "last_run_at", "created_at"]}))
        return sets

    @display(description=_("报表"))
    def report_title(self, obj):
        spec = report_get(obj.code)
        return spec.title if spec else obj.code

    @display(description=_("生成时间"))
    def timing(self, obj):
        return schedules.schedule_text(obj)

    @display(description=_("接收人数"))
    def recipient_count(self, obj):
        return obj.recipients.count()

    @display(description=_("已生成"))
    def generated_link(self, obj):
        count = obj.generated.count()
        if not count:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>', reverse("backoffice:reports_generated"),
                           _("%(n)d 份") % {"n": count})

    def save_model(self, request, obj, form, change):
        saved = schedules.schedule_save(schedule=obj, recipients=form.cleaned_data.get("recipients") or [],
                                        user=request.user)
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db

    def save_related(self, request, form, formsets, change):
        pass  # schedule_save set the recipients and recorded the change in the audit trail

    def delete_model(self, request, obj):
        schedules.schedule_delete(schedule=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            schedules.schedule_delete(schedule=schedule, user=request.user)
