from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "ioudesk.recovery"
    label = "recovery"
    verbose_name = _("回收计划与报表")
