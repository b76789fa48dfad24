"""PortfolioCube (issue 14, Q): the portfolio grouped by every dimension the balance reports and
their filters need, for the latest closed day (from the IOUs, written by the close) and for each
month end (from its snapshot, MonthEndIou). Written by ioudesk.reports.cube."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class PortfolioCube(models.Model):
    """One cell of the portfolio: the IOUs of one (day, frozen, branch, product, officer, kind, status,
    担保方式, 投向, 金额分档, 期限分档 (by periods and by frequency), 借款人类型, 客户分类, 客户类型, 五级分类,
    账龄) with their count and balances, and the figures of those disbursed in the day's month (for the
    month's rates). ``frozen``: the rows of a month end's snapshot; otherwise the latest closed day's."""

    day = models.DateField(_("日期"))
    frozen = models.BooleanField(_("月末快照"), default=False)
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               related_name="+", db_constraint=False)
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    kind = models.CharField(_("类型"), max_length=8)
    status = models.CharField(_("状态"), max_length=20)
    guarantee = models.CharField(_("担保方式"), max_length=10)
    purpose = models.CharField(_("借款用途"), max_length=16)
    size_band = models.CharField(_("金额分档"), max_length=12)
    term_band = models.CharField(_("期限分档"), max_length=8)
    period_band = models.CharField(_("期限分档（按还款周期）"), max_length=4)
    borrower = models.CharField(_("借款人类型"), max_length=16)
    category = models.CharField(_("客户分类"), max_length=12)
    customer_kind = models.CharField(_("客户类型"), max_length=12)
    classification = models.CharField(_("五级分类"), max_length=16)
    bucket = models.CharField(_("账龄"), max_length=4)
    count = models.PositiveIntegerField(_("笔数"), default=0)
    principal = MoneyField(_("合同本金"), default=0)
    principal_outstanding = MoneyField(_("本金余额"), default=0)
    interest_outstanding = MoneyField(_("应收利息"), default=0)
    penalty_outstanding = MoneyField(_("应收罚息"), default=0)
    fee_outstanding = MoneyField(_("应收费用"), default=0)
    overdue_principal = MoneyField(_("逾期本金"), default=0)
    overdue_interest = MoneyField(_("逾期利息"), default=0)
    overdue_balance = MoneyField(_("逾期贷款余额"), default=0)
    new_count = models.PositiveIntegerField(_("当月发放笔数"), default=0)
    new_principal = MoneyField(_("当月发放本金"), default=0)
    # Σ annual rate × 10^8 × principal in fen over the month's disbursed loans: an integer, so the
    # principal-weighted rate is exact (the rate has 8 decimal places).
    new_rate_sum = models.BigIntegerField(_("当月发放利率加权和"), default=0)
    new_rate_min = models.DecimalField(_("当月发放最低年利率"), max_digits=10, decimal_places=8, null=True, blank=True)
    new_rate_max = models.DecimalField(_("当月发放最高年利率"), max_digits=10, decimal_places=8, null=True, blank=True)

    class Meta:
        verbose_name = _("组合多维汇总")
        verbose_name_plural = _("组合多维汇总")
        indexes = [models.Index(fields=["day", "frozen", "branch"], name="rpt_cube_day_branch_idx")]

    def __str__(self):
        return f"{self.day} {'M' if self.frozen else 'D'} {self.branch_id} {self.classification} {self.bucket}"
