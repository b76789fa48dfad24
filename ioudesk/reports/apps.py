from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "ioudesk.reports"
    label = "reports"
    verbose_name = _("报表")

    def ready(self):
        # Each part registers its reports (and the close's day step) from its own module:
        # see registrations.py and docs/architecture.md (报表).
        from ioudesk.reports import registrations

        registrations.register()
