"""L (ledger days): each account's debits and credits per posting day, kept by the close's day writer
``ledger_days`` (ioudesk/reports/ledger_days.py), so that balances at any day are a sum over a few
thousand grouped rows plus the postings entered since the writer last ran, never a scan of every posting."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class LedgerDay(models.Model):
    """The postings of one day on one (leaf) account, summed: every posting dated `day` whose journal
    entry's id is at most LedgerDayMark.entry_max, whatever day it was entered on (a back-dated entry
    rewrites the day it is dated on)."""

    day = models.DateField(_("记账日期"))
    account = models.ForeignKey("ledger.Account", verbose_name=_("科目"), on_delete=models.PROTECT, related_name="+")
    debit = MoneyField(_("借方发生额"), default=0)
    credit = MoneyField(_("贷方发生额"), default=0)

    class Meta:
        verbose_name = _("科目日发生额")
        verbose_name_plural = _("科目日发生额")
        constraints = [models.UniqueConstraint(fields=["day", "account"], name="rpt_lday_day_acct_uniq")]

    def __str__(self):
        return f"{self.day} {self.account_id}"


class LedgerDayMark(models.Model):
    """How far LedgerDay has read the ledger (one row): every posting of an entry with id ≤ entry_max is
    in LedgerDay, none above it."""

    entry_max = models.BigIntegerField(_("已汇总至凭证"), default=0)
    written_at = models.DateTimeField(_("写入时间"), auto_now=True)

    class Meta:
        verbose_name = _("科目日发生额进度")
        verbose_name_plural = _("科目日发生额进度")

    def __str__(self):
        return str(self.entry_max)
