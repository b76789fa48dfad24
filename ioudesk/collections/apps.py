from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "ioudesk.collections"
    label = "collections"
    verbose_name = _("催收")

    def ready(self):
        from ioudesk.closing.registry import register_day_step
        from ioudesk.collections.daystep import COUNT_LABELS, collections_day_step
        from ioudesk.collections.selectors import customer_cases_section, has_bill_in_collection
        from ioudesk.customers.permissions import DEBTOR_CHECKS
        from ioudesk.customers.selectors import OVERVIEW_SECTIONS

        register_day_step("collections", label=_("催收"), order=40, run=collections_day_step,
                          count_labels=COUNT_LABELS)
        if customer_cases_section not in OVERVIEW_SECTIONS:
            OVERVIEW_SECTIONS.append(customer_cases_section)
        if has_bill_in_collection not in DEBTOR_CHECKS:  # a receivables bill's debtor (往来账款)
            DEBTOR_CHECKS.append(has_bill_in_collection)
