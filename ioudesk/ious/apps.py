from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IousConfig(AppConfig):
    name = "ioudesk.ious"
    label = "ious"
    verbose_name = _("借据")

    def ready(self):
        from ioudesk.ledger.verify import register_balance_check

        register_balance_check("ioudesk.ious.verify.iou_balances_differences")

        from ioudesk.customers.permissions import DEBTOR_CHECKS
        from ioudesk.customers.selectors import OVERVIEW_SECTIONS
        from ioudesk.ious.selectors import customer_ious_section, has_ious_in_collection

        if customer_ious_section not in OVERVIEW_SECTIONS:
            OVERVIEW_SECTIONS.append(customer_ious_section)
        if has_ious_in_collection not in DEBTOR_CHECKS:
            DEBTOR_CHECKS.append(has_ious_in_collection)

        from ioudesk.ious.approval_kinds import register as register_approval_kinds

        register_approval_kinds()  # maker-checker: the IOU operations an approval flow may govern
