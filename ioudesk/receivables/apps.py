from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "ioudesk.receivables"
    label = "receivables"
    verbose_name = _("往来账款")

    def ready(self):
        # Each part registers what it adds (approval kinds, day steps, balance checks, message
        # categories) from its own module; see docs/architecture.md (往来账款).
        from ioudesk.receivables import registrations

        registrations.register()
