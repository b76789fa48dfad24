from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "ioudesk.products"
    label = "products"
    verbose_name = _("产品")

    def ready(self):
        from ioudesk.products.approval_kinds import register

        register()  # maker-checker: changing a product may need approval
