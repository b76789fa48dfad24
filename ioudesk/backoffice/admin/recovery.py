"""回收计划 in the back office: saved and deleted through ioudesk.recovery.services (checked, scoped,
audited); the list and the record show the progress and the forecast as of the business date
(ioudesk.recovery.selectors.plan_progress); 回收报告 is a link away."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.core.models import Branch
from ioudesk.core.scope import visible_branch_ids
from ioudesk.recovery import selectors, services
from ioudesk.recovery.models import PlanScope, RecoveryPlan


class RecoveryPlanForm(forms.ModelForm):
    class Meta:
        model = RecoveryPlan
        fields = ["name", "scope", "collector", "branch", "period_start", "deadline", "target", "notes"]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            services.plan_validate(plan=self.instance)
        except ApplicationError as error:
            details = error.extra.get("details") or [{"field": error.extra.get("field"), "message": error.message}]
            for item in details:
                field = item.get("field")
                self.add_error(field if field in self.fields else None, item["message"])


@admin.register(RecoveryPlan)
class RecoveryPlanAdmin(ServiceAdminMixin, ScopedAdminMixin, AuditedAdminMixin, ModelAdmin):
    form = RecoveryPlanForm
    list_display = ["name", "scope_label", "period", "target_label", "recovered", "achieved", "forecast", "verdict"]
    list_filter = ["scope", "deadline"]
    search_fields = ["name", "notes"]
    list_select_related = ["collector", "branch"]
    readonly_fields = ["progress"]
    actions_detail = ["open_report", "open_audit_trail"]
    fieldsets = [
        (None, {"fields": ["name", "scope", "collector", "branch", "notes"]}),
        (_("目标与期限"), {"fields": ["period_start", "deadline", "target"]}),
        (_("进度"), {"fields": ["progress"]}),
    ]

    def get_queryset(self, request):
        return selectors.plans_for(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "collector":
            from ioudesk.backoffice.recovery_pages import collectors_for

            kwargs["queryset"] = collectors_for(request.user)
        elif db_field.name == "branch":
            ids = visible_branch_ids(request.user)
            kwargs["queryset"] = Branch.objects.all() if ids is None else Branch.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _progress(self, obj):
        cache = getattr(self, "_progress_cache", None)
        if cache is None or cache[0] != clock.today():
            cache = self._progress_cache = (clock.today(), {})
        if obj.pk not in cache[1]:
            cache[1][obj.pk] = selectors.plan_progress(obj, day=clock.today())
        return cache[1][obj.pk]

    @display(description=_("范围"), ordering="scope")
    def scope_label(self, obj):
        if obj.scope == PlanScope.COLLECTOR and obj.collector_id:
            return f"{obj.get_scope_display()}：{obj.collector.get_full_name() or obj.collector.username}"
        if obj.scope == PlanScope.TEAM:
            return f"{obj.get_scope_display()}：{obj.branch}"
        return obj.get_scope_display()

    @display(description=_("期间"), ordering="deadline")
    def period(self, obj):
        return f"{obj.period_start:%Y-%m-%d} — {obj.deadline:%Y-%m-%d}"

    @display(description=_("目标"), ordering="target")
    def target_label(self, obj):
        return f"{obj.target:,.2f}"

    @display(description=_("已回收"))
    def recovered(self, obj):
        return f"{self._progress(obj).recovered:,.2f}"

    @display(description=_("达成率"))
    def achieved(self, obj):
        value = self._progress(obj).achieved
        return "—" if value is None else f"{value}%"

    @display(description=_("预测"))
    def forecast(self, obj):
        return f"{self._progress(obj).forecast:,.2f}"

    @display(description=_("判断"))
    def verdict(self, obj):
        progress = self._progress(obj)
        if progress.on_track:
            return format_html('<span class="text-green-700">{}</span>', _("有望完成"))
        return format_html('<span class="text-red-600">{}</span>', _("尚差 ¥{}").format(f"{progress.shortfall:,.2f}"))

    @display(description=_("进度（截至营业日）"))
    def progress(self, obj):
        if not obj or not obj.pk:
            return _("保存后显示进度与预测")
        p = self._progress(obj)
        return format_html(
            "{}<br>{}<br>{}",
            _("截至 {day} 已回收 ¥{recovered}，达成 {achieved}；已过 {elapsed} 天，日均 ¥{daily}。").format(
                day=f"{p.as_of:%Y-%m-%d}", recovered=f"{p.recovered:,.2f}",
                achieved="—" if p.achieved is None else f"{p.achieved}%", elapsed=p.elapsed_days,
                daily=f"{p.daily_rate:,.2f}"),
            _("剩余 {remaining} 天按日均推算 ¥{run}，另有截止日前到期的未决承诺 ¥{pending}。").format(
                remaining=p.remaining_days, run=f"{p.run_rate_to_deadline:,.2f}", pending=f"{p.pending_promises:,.2f}"),
            _("预测回收 ¥{forecast}（目标的 {rate}）。").format(
                forecast=f"{p.forecast:,.2f}", rate="—" if p.forecast_rate is None else f"{p.forecast_rate}%"),
        )

    def save_model(self, request, obj, form, change):
        services.plan_save(plan=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # plan_save recorded the change; a plan has no relations to save

    def delete_model(self, request, obj):
        services.plan_delete(plan=obj, user=request.user)

    @action(description=_("回收报告"), url_path="report", icon="summarize", permissions=["view"])
    def open_report(self, request, object_id):
        plan = self.get_object(request, object_id)
        period = f"{plan.deadline:%Y-%m}" if plan else ""
        return redirect(f"{_report_url()}?period={period}")


def _report_url():
    from django.urls import reverse

    return reverse("backoffice:recovery_report")
