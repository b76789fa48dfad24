from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "ioudesk.legal"
    label = "legal"
    verbose_name = _("法律与时效")
