from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "ioudesk.collections"
    label = "collections"
    verbose_name = _("催收")

    def ready(self):
        from ioudesk.closing.registry import register_day_step
        from ioudesk.collections.daystep import COUNT_LABELS, collections_day_step
        from ioudesk.collections.selectors import customer_cases_section
        from ioudesk.customers.selectors import OVERVIEW_SECTIONS

        register_day_step("collections", label=_("催收"), order=40, run=collections_day_step,
                          count_labels=COUNT_LABELS)
        if customer_cases_section not in OVERVIEW_SECTIONS:
            OVERVIEW_SECTIONS.append(customer_cases_section)
