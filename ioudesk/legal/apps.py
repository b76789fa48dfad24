from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "ioudesk.legal"
    label = "legal"
    verbose_name = _("法律与时效")

    def ready(self):
        from ioudesk.closing.registry import register_day_step
        from ioudesk.ious.origination_checks import ORIGINATION_CHECKS
        from ioudesk.legal import alerts
        from ioudesk.legal.checks import defaulter_check

        if defaulter_check not in ORIGINATION_CHECKS:
            ORIGINATION_CHECKS.append(defaulter_check)
        register_day_step("limitation_alerts", label=_("诉讼时效预警"), order=45, run=alerts.limitation_alerts_day_step,
                          count_labels={"alerts": _("时效预警借据"), "messages": _("时效预警消息")})
