"""The loan terms a product offers and an IOU copies: the choices both use, in one place.

The values are those of ioudesk.calc (Method, Frequency, DayCount, Strategy …), so that the
stored terms turn into calculation inputs without translation tables."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALLMENT = "equal_installment", _("等额本息")
    EQUAL_PRINCIPAL = "equal_principal", _("等额本金")
    INTEREST_ONLY = "interest_only", _("先息后本")
    BULLET = "bullet", _("到期一次还本付息")
    FLAT = "flat", _("等本等息")
    CUSTOM = "custom", _("自定义")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("按月")
    QUARTERLY = "quarterly", _("按季")
    WEEKLY = "weekly", _("按周")
    BIWEEKLY = "biweekly", _("双周")
    DAILY = "daily", _("按日")


class DayCount(models.TextChoices):
    THIRTY_360 = "30/360", "30/360"
    ACT_360 = "ACT/360", "ACT/360"
    ACT_365 = "ACT/365", "ACT/365"


class PenaltyBasis(models.TextChoices):
    PRINCIPAL = "principal", _("逾期本金")
    PRINCIPAL_AND_INTEREST = "principal_and_interest", _("逾期本金和利息")


class AllocationOrder(models.TextChoices):
    PENALTY_FEE_INTEREST_PRINCIPAL = "penalty_fee_interest_principal", _("罚息→费用→利息→本金")
    INTEREST_PRINCIPAL_FEE_PENALTY = "interest_principal_fee_penalty", _("利息→本金→费用→罚息")
    PRINCIPAL_FIRST = "principal_first", _("本金优先")


class AllocationDirection(models.TextChoices):
    VERTICAL = "vertical", _("逐期冲抵（先还最早一期）")
    HORIZONTAL = "horizontal", _("按科目冲抵（先还各期同一科目）")


class LastInstallment(models.TextChoices):
    SETTLE_BALANCE = "settle_balance", _("末期结清余额")
    EQUAL_PAYMENT = "equal_payment", _("末期与其他期相同")


class TermsFields(models.Model):
    """The terms, as fields; Product and IOU both inherit them (abstract)."""

    method = models.CharField(_("还款方式"), max_length=20, choices=RepaymentMethod.choices,
                              default=RepaymentMethod.EQUAL_INSTALLMENT)
    frequency = models.CharField(_("还款周期"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    day_count = models.CharField(_("计息基准"), max_length=8, choices=DayCount.choices, default=DayCount.THIRTY_360)
    rate_text = models.CharField(_("利率"), max_length=30, default="0%",
                                 help_text=_("如 12%、年化12%、月息1分、日息万五；无息填 0%"))
    annual_rate = models.DecimalField(_("年利率"), max_digits=10, decimal_places=8, default=0, editable=False,
                                      help_text=_("由“利率”换算，小数形式（0.12 即 12%）"))
    penalty_basis = models.CharField(_("罚息基数"), max_length=24, choices=PenaltyBasis.choices,
                                     default=PenaltyBasis.PRINCIPAL)
    penalty_markup = models.DecimalField(_("罚息上浮比例"), max_digits=6, decimal_places=4, default=Decimal("0.5"),
                                         help_text=_("在合同利率上上浮的比例，0.5 即上浮50%"))
    penalty_daily_rate = models.DecimalField(_("罚息日利率"), max_digits=10, decimal_places=8, null=True, blank=True,
                                             help_text=_("填写则按此日利率计罚息（如 0.0005 即日万五），不再按上浮比例"))
    grace_days = models.PositiveSmallIntegerField(_("宽限天数"), default=0)
    allocation_order = models.CharField(_("还款冲抵顺序"), max_length=40, choices=AllocationOrder.choices,
                                        default=AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL)
    allocation_direction = models.CharField(_("冲抵方向"), max_length=12, choices=AllocationDirection.choices,
                                            default=AllocationDirection.VERTICAL)
    last_installment = models.CharField(_("末期处理"), max_length=16, choices=LastInstallment.choices,
                                        default=LastInstallment.SETTLE_BALANCE)
    interest_cap_applies = models.BooleanField(_("适用民间借贷利率上限"), default=True)

    class Meta:
        abstract = True
