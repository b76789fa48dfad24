from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "ioudesk.reminders"
    label = "reminders"
    verbose_name = _("还款提醒")
