from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "ioudesk.applications"
    label = "applications"
    verbose_name = _("贷款申请")
