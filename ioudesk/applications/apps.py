from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "ioudesk.applications"
    label = "applications"
    verbose_name = _("贷款申请")

    def ready(self):
        from ioudesk.applications import approval_kinds, categories, services
        from ioudesk.screening.hooks import register_duplicate_counter

        categories.register()
        approval_kinds.register()
        register_duplicate_counter(services.duplicate_count)
