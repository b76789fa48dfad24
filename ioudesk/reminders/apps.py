from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "ioudesk.reminders"
    label = "reminders"
    verbose_name = _("还款提醒")

    def ready(self):
        from ioudesk.closing.registry import register_day_step
        from ioudesk.notify.placeholders import register_category
        from ioudesk.reminders import placeholders, selectors, services

        register_category(placeholders.CATEGORY, label=placeholders.LABEL,
                          placeholders={k: str(v) for k, v in placeholders.PLACEHOLDERS.items()},
                          sample=selectors.placeholder_sample)
        register_day_step("reminders", label=_("还款提醒"), order=50, run=services.reminders_day_step,
                          count_labels={"messages": _("提醒消息"), "suppressed": _("未发送"),
                                        "late": _("补跑期间的提醒并入今日")})
