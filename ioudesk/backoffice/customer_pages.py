from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.customers.permissions import customer_actions
from ioudesk.customers.selectors import customer_overview


class CustomerOverviewPage(BackofficePage):
    """客户全景 (360): profile, debts, files, follow-ups and everything that happened."""

    template_name = "backoffice/customers/overview.html"
    permission_required = ("customers.view_customer",)

    def get_context_data(self, **kwargs):
        overview = customer_overview(user=self.request.user, pk=self.kwargs["pk"])
        customer = overview.customer
        self.title = _("客户全景：%(name)s") % {"name": customer.name}
        return super().get_context_data(
            **kwargs, overview=overview, customer=customer, actions=customer_actions(self.request.user, customer),
            masked={"id_number": mask_id_number(customer.id_number), "phone": mask_phone(customer.phone),
                    "bank_account": mask_bank_account(customer.bank_account)},
        )
