from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField
from ioudesk.products.terms import TermsFields


class Product(TermsFields):
    """A template of terms (产品). An IOU copies the terms when it is made; changing a product
    never changes an existing IOU."""

    code = models.CharField(_("产品代码"), max_length=20, unique=True)
    name = models.CharField(_("产品名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    min_amount = MoneyField(_("最低金额（元）"), default=1)
    max_amount = MoneyField(_("最高金额（元）"), default=1000000)
    min_term = models.PositiveSmallIntegerField(_("最短期数"), default=1)
    max_term = models.PositiveSmallIntegerField(_("最长期数"), default=36)
    upfront_fee_rate = models.DecimalField(_("放款手续费率"), max_digits=6, decimal_places=4, default=0,
                                           help_text=_("按本金计，放款时收取；0.01 即 1%"))
    installment_fee = MoneyField(_("每期手续费（元）"), default=0)
    prepayment_fee_rate = models.DecimalField(_("提前还款手续费率"), max_digits=6, decimal_places=4, default=0,
                                              help_text=_("按提前归还的本金计"))
    is_active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("贷款产品")
        verbose_name_plural = _("贷款产品")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"
