"""MonthEndMove (issue 14, M): where the IOUs of one month end stand at the next — five-tier class and
aging bucket, from and to — counted with their balances, grouped by branch, product, officer and kind.
Written by ioudesk.reports.moves: once per month end from two snapshots (MonthEndIou of the month end
and of the one before), and, for the month not yet frozen, by the close for its latest day (the last
month end's MonthEndIou against the IOUs as they stand). The 五级分类 and 回收 reports read these few
rows instead of joining two million."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField

# from_state / to_state values besides an IOU status
NEW = "new"  # no row at the earlier month end (lent since, or the first snapshot)
GONE = "gone"  # no row at the later side (left the books without being settled or written off then)
LIVE = "live"  # 生效 / 逾期 / 已展期


class MonthEndMoveSet(models.Model):
    """One written set of MonthEndMove rows: which month end (or, ``live``, which closed day of the
    month not yet frozen) against which earlier month end, and the first and last MonthEndIou ids of
    the rows it was computed from (a report checks they are still there: a snapshot's rows rewritten
    since make the set stale, and the report computes the figures itself)."""

    month_end = models.DateField(_("月末日"))
    live = models.BooleanField(_("未关账月份"), default=False)
    as_of = models.DateField(_("数据截至"))
    previous = models.DateField(_("上月末日"), null=True, blank=True)
    earlier_first = models.BigIntegerField(_("上月末快照首行"), null=True, blank=True)
    earlier_last = models.BigIntegerField(_("上月末快照末行"), null=True, blank=True)
    later_first = models.BigIntegerField(_("本月末快照首行"), null=True, blank=True)
    later_last = models.BigIntegerField(_("本月末快照末行"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    written_at = models.DateTimeField(_("写入时间"), auto_now=True)

    class Meta:
        verbose_name = _("迁徙汇总批次")
        verbose_name_plural = _("迁徙汇总批次")
        constraints = [models.UniqueConstraint(fields=["month_end", "live"], name="rpt_moveset_month_live_uniq")]

    def __str__(self):
        return f"{self.month_end} {self.previous or '—'} → {self.as_of}"


class MonthEndMove(models.Model):
    """The IOUs of one (month end, branch, product, officer, kind, state/class/bucket at the earlier
    month end, state/class/bucket at the later side): their count, their principal balance at the
    earlier month end and at the later side. ``from_state``: ``live``, the status (已结清, 已核销) or
    ``new`` (no row then); ``to_state``: ``live``, the status, or ``gone`` (no row at the later side).
    The dimensions are the earlier row's (the later one's for a new IOU): an IOU keeps its branch,
    product, officer and kind from origination."""

    month_end = models.DateField(_("月末日"))
    live = models.BooleanField(_("未关账月份"), default=False)
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               related_name="+", db_constraint=False)
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    kind = models.CharField(_("类型"), max_length=8)
    from_state = models.CharField(_("上月末状态"), max_length=20)
    from_class = models.CharField(_("上月末五级分类"), max_length=16, blank=True)
    from_bucket = models.CharField(_("上月末账龄"), max_length=4, blank=True)
    to_state = models.CharField(_("本月末状态"), max_length=20)
    to_class = models.CharField(_("本月末五级分类"), max_length=16, blank=True)
    to_bucket = models.CharField(_("本月末账龄"), max_length=4, blank=True)
    count = models.PositiveIntegerField(_("笔数"), default=0)
    from_balance = MoneyField(_("上月末本金余额"), default=0)
    to_balance = MoneyField(_("本月末本金余额"), default=0)

    class Meta:
        verbose_name = _("五级分类与账龄迁徙")
        verbose_name_plural = _("五级分类与账龄迁徙")
        indexes = [models.Index(fields=["month_end", "live", "branch"], name="rpt_move_month_live_idx")]

    def __str__(self):
        return (f"{self.month_end} {self.from_state}/{self.from_class}/{self.from_bucket} → "
                f"{self.to_state}/{self.to_class}/{self.to_bucket} {self.count}")
