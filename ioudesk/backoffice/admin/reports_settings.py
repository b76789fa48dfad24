"""报表设置 (one row): the provision rates, general reserve, net assets and concentration limit the reports
use. The list opens the one row; saving goes through ioudesk.reports.settings.report_settings_save
(checked, audited); nothing is added twice or deleted."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from ioudesk.backoffice.mixins import UnfoldWidgetsMixin, add_service_error
from ioudesk.core.errors import ApplicationError
from ioudesk.reports import settings as report_settings
from ioudesk.reports.models import ReportSettings

FIELDS = ("rate_normal", "rate_special_mention", "rate_substandard", "rate_doubtful", "rate_loss",
          "general_reserve_rate", "net_assets", "concentration_limit")


@admin.register(ReportSettings)
class ReportSettingsAdmin(UnfoldWidgetsMixin, ModelAdmin):
    fieldsets = [
        (_("贷款损失准备计提比例（《贷款损失准备计提指引》）"), {"fields": FIELDS[:6]}),
        (_("单户集中度"), {"fields": FIELDS[6:]}),
    ]
    readonly_fields = ()
    actions = None

    def changelist_view(self, request, extra_context=None):
        """The one row's form (made with the defaults the first time)."""
        stored = report_settings.report_settings_ensure()
        return redirect(reverse("admin:reports_reportsettings_change", args=[stored.pk]))

    def has_add_permission(self, request):
        return False  # the one row is made by `ioudesk setup` (or the list, with the defaults): never added

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class SettingsForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:  # the service checks and saves; its problems shown next to their fields
                    self.saved = report_settings.report_settings_save(
                        user=user, **{name: self.cleaned_data.get(name) for name in FIELDS})
                except ApplicationError as error:
                    add_service_error(self, error)

        return SettingsForm

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # saved by the service in the form's clean; the admin redirects by pk

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        pass  # the audit trail has it (report_settings_save)

    def log_change(self, request, obj, message):
        pass
