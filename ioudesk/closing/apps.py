from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    name = "ioudesk.closing"
    label = "closing"
    verbose_name = _("日终")

    def ready(self):
        from ioudesk.closing import periodic

        periodic.register()
