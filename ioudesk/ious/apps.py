from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IousConfig(AppConfig):
    name = "ioudesk.ious"
    label = "ious"
    verbose_name = _("借据")

    def ready(self):
        from ioudesk.ledger.verify import register_balance_check

        register_balance_check("ioudesk.ious.verify.iou_balances_differences")
