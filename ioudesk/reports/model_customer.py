"""CustomerFigure (C): each customer's figures at the latest closed day, written by the close's day
step (ioudesk/reports/customer_figures.py) and read by 客户贷款分析 (docs/domain.md §27.8)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class CustomerFigure(models.Model):
    """One customer's IOUs (all but draft, pending, approved and cancelled) at the end of a closed day:
    what 客户贷款分析 shows per customer. ``branch`` / ``officer`` / ``product``: the one value all the
    customer's IOUs share when ``one_branch`` / ``one_officer`` / ``one_product`` (the report's filters
    and the user's scope answer such a row whole); a customer whose IOUs differ is computed from the
    IOUs when one of those is restricted. Only the latest closed day is kept. The dimension columns
    carry no index of their own (a nightly INSERT of every customer pays for each)."""

    day = models.DateField(_("日期"))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="+", db_index=False)
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+", db_index=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+", db_index=False)
    one_branch = models.BooleanField(_("同一网点"), default=True)
    one_officer = models.BooleanField(_("同一客户经理"), default=True)
    one_product = models.BooleanField(_("同一产品"), default=True)
    ious = models.PositiveIntegerField(_("借据笔数"), default=0)
    live = models.PositiveIntegerField(_("在贷笔数"), default=0)
    principal = MoneyField(_("累计借款本金"), default=0)
    balance = MoneyField(_("本金余额"), default=0)
    interest = MoneyField(_("应收利息"), default=0)
    penalty = MoneyField(_("应收罚息"), default=0)
    fee = MoneyField(_("应收费用"), default=0)
    max_dpd = models.IntegerField(_("当前最长逾期天数"), null=True, blank=True)
    written_off = models.PositiveIntegerField(_("核销笔数"), default=0)

    class Meta:
        verbose_name = _("客户日终汇总")
        verbose_name_plural = _("客户日终汇总")
        constraints = [models.UniqueConstraint(fields=["day", "customer"], name="rpt_cfig_day_customer_uniq")]
        # few indexes (the writer inserts 200,000 rows a night): the report's order; a branch's count
        # and balance (covering: a 客户经理's scope); the customers whose IOUs are in several branches
        # (partial: few); the unique (day, customer) answers a customer filter
        indexes = [models.Index(fields=["day", "-balance", "customer"], name="rpt_cfig_day_balance_idx"),
                   models.Index(fields=["day", "branch", "balance"], name="rpt_cfig_day_branch_idx"),
                   models.Index(fields=["day"], condition=models.Q(one_branch=False), name="rpt_cfig_mixed_idx")]

    def __str__(self):
        return f"{self.day} {self.customer_id}"


class CustomerFigureDay(models.Model):
    """The day CustomerFigure was written for and the last transaction it saw: the customers of the
    transactions entered after it are computed from their IOUs when the report runs."""

    day = models.DateField(_("日期"), unique=True)
    transaction_max = models.BigIntegerField(_("已读至交易"), default=0)
    rows = models.PositiveIntegerField(_("客户数"), default=0)
    written_at = models.DateTimeField(_("写入时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户日终汇总进度")
        verbose_name_plural = _("客户日终汇总进度")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day} ({self.rows})"
