"""Recovery plans (回收计划) and the month-end bucket snapshot the roll-rate report reads.

``RecoveryPlan``: a target amount to recover between a start date and a deadline, for one
collector, one team (a branch and the branches under it) or the whole portfolio. Its progress is
the sum of ``collections.Recovery`` rows in its scope and period (the close writes one per
repayment on an IOU with an open case); its forecast adds the run rate to the deadline and the
pending promises to pay due by then (``recovery.selectors.plan_progress``).

``BucketSnapshot``: one row per live IOU at each month end (its aging bucket, days past due,
outstanding balance and overdue amount, and what the reports filter by), written by the day step
``recovery_snapshot`` when the close of a month's last day runs, with one INSERT … SELECT;
``SnapshotMonth`` marks a month end as written, so a second close of that day adds nothing.
Roll rates compare two consecutive month ends IOU by IOU.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class PlanScope(models.TextChoices):
    COLLECTOR = "collector", _("催收员")
    TEAM = "team", _("团队（网点）")
    PORTFOLIO = "portfolio", _("全部资产")


class RecoveryPlan(models.Model):
    scope_branch_field = "branch"

    name = models.CharField(_("计划名称"), max_length=100)
    scope = models.CharField(_("计划范围"), max_length=12, choices=PlanScope.choices, default=PlanScope.COLLECTOR)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="recovery_plans",
                                  help_text=_("范围为催收员时必填"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, blank=True,
                               related_name="recovery_plans",
                               help_text=_("团队计划含该网点及其下级网点；催收员计划为其所属网点；全部资产为总部"))
    period_start = models.DateField(_("开始日期"))
    deadline = models.DateField(_("截止日期"))
    target = MoneyField(_("目标回收金额（元）"))
    notes = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("回收计划")
        verbose_name_plural = _("回收计划")
        ordering = ["-deadline", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="recoveryplan_target_positive"),
            models.CheckConstraint(condition=Q(deadline__gte=F("period_start")), name="recoveryplan_deadline_after_start"),
            models.CheckConstraint(condition=~Q(scope="collector") | Q(collector__isnull=False),
                                   name="recoveryplan_collector_required"),
        ]

    def __str__(self):
        return self.name


class SnapshotMonth(models.Model):
    """A month end whose snapshot is written (one row per month end: the step's idempotency)."""

    month_end = models.DateField(_("月末日"), unique=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    taken_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月末账龄快照")
        verbose_name_plural = _("月末账龄快照")
        ordering = ["-month_end"]

    def __str__(self):
        return self.month_end.isoformat()


class BucketSnapshot(models.Model):
    """A live IOU at a month end. Written only by ``services.month_end_snapshot`` (raw INSERT … SELECT)."""

    scope_branch_field = "branch"

    month_end = models.DateField(_("月末日"))
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("债务人"), on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    bucket = models.CharField(_("账龄"), max_length=4)
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    outstanding = MoneyField(_("未还余额"), default=0)
    overdue = MoneyField(_("逾期金额"), default=0)
    nature = models.CharField(_("欠款性质"), max_length=10)
    category = models.CharField(_("客户分类"), max_length=12)
    case_id = models.BigIntegerField(_("催收案件"), null=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    agency_id = models.BigIntegerField(_("委外机构"), null=True)

    class Meta:
        verbose_name = _("账龄快照行")
        verbose_name_plural = _("账龄快照行")
        constraints = [models.UniqueConstraint(fields=["month_end", "iou"], name="bucketsnapshot_month_iou_uniq")]
        indexes = [
            # the roll-rate report reads the overdue rows of a month end (a few percent of them)
            models.Index(fields=["month_end", "bucket", "iou"], name="bsnap_month_bucket_idx"),
        ]

    def __str__(self):
        return f"{self.month_end} {self.iou_id} {self.bucket}"


class BucketSnapshotTotal(models.Model):
    """The month end's rows counted per branch, bucket, nature and customer category (written with
    them): the roll-rate report's denominators for M0, whose rows are most of the portfolio."""

    scope_branch_field = "branch"

    month_end = models.DateField(_("月末日"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    bucket = models.CharField(_("账龄"), max_length=4)
    nature = models.CharField(_("欠款性质"), max_length=10)
    category = models.CharField(_("客户分类"), max_length=12)
    ious = models.PositiveIntegerField(_("借据数"), default=0)
    outstanding = MoneyField(_("未还余额"), default=0)
    overdue = MoneyField(_("逾期金额"), default=0)

    class Meta:
        verbose_name = _("账龄快照汇总")
        verbose_name_plural = _("账龄快照汇总")
        constraints = [models.UniqueConstraint(fields=["month_end", "branch", "bucket", "nature", "category"],
                                               name="bucketsnapshottotal_uniq")]

    def __str__(self):
        return f"{self.month_end} {self.bucket} {self.ious}"


class BucketRoll(models.Model):
    """Where the IOUs of one month end are at the next, counted (written with the later month end's
    snapshot, from the two snapshots joined IOU by IOU): the roll-rate and cure-rate reports read
    these few rows instead of two million. ``to_bucket`` is the bucket at the later month end, or
    ``settled`` / ``written_off`` / ``closed`` for an IOU no longer live then."""

    scope_branch_field = "branch"

    month_end = models.DateField(_("月末日"))
    from_month_end = models.DateField(_("上月末日"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    agency_id = models.BigIntegerField(_("委外机构"), null=True)
    nature = models.CharField(_("欠款性质"), max_length=10)
    category = models.CharField(_("客户分类"), max_length=12)
    from_bucket = models.CharField(_("上月末账龄"), max_length=4)
    to_bucket = models.CharField(_("本月末账龄"), max_length=12)
    ious = models.PositiveIntegerField(_("借据数"), default=0)
    outstanding = MoneyField(_("上月末未还余额"), default=0)
    overdue = MoneyField(_("上月末逾期金额"), default=0)

    class Meta:
        verbose_name = _("账龄迁徙")
        verbose_name_plural = _("账龄迁徙")
        indexes = [models.Index(fields=["month_end", "from_bucket"], name="bucketroll_month_idx")]

    def __str__(self):
        return f"{self.month_end} {self.from_bucket}→{self.to_bucket} {self.ious}"


class ContactMonth(models.Model):
    """Contact records counted per month (Beijing months), branch, recorder, the case's bucket, nature
    and customer category, and either the method or the outcome (``kind``), from the month's first
    day through ``ContactMonthMark.through``: the activity report reads these rows, with every
    filter it has, instead of a month of contact records. Rewritten by the day step for the closed
    day's month (and the month before during the first week, for records entered late); the bucket
    is the case's at that close."""

    scope_branch_field = "branch"

    month = models.DateField(_("月份"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="+")
    bucket = models.CharField(_("账龄"), max_length=4)
    nature = models.CharField(_("欠款性质"), max_length=10)
    category = models.CharField(_("客户分类"), max_length=12)
    kind = models.CharField(_("口径"), max_length=8)  # "method" or "outcome"
    value = models.CharField(_("方式或结果"), max_length=16)
    contacts = models.PositiveIntegerField(_("联系次数"), default=0)

    class Meta:
        verbose_name = _("催收活动月汇总")
        verbose_name_plural = _("催收活动月汇总")
        indexes = [models.Index(fields=["month", "kind"], name="contactmonth_month_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.recorded_by_id} {self.kind} {self.value} {self.contacts}"


class ContactMonthMark(models.Model):
    """The day through which a month's ContactMonth rows count."""

    month = models.DateField(_("月份"), unique=True)
    through = models.DateField(_("汇总至"))

    class Meta:
        verbose_name = _("催收活动汇总进度")
        verbose_name_plural = _("催收活动汇总进度")

    def __str__(self):
        return f"{self.month:%Y-%m} → {self.through}"


class RecoveryMonth(models.Model):
    """collections.Recovery rows counted per month, branch, collector or agency and bucket, from the
    month's first day through ``RecoveryMonthMark.through`` (rewritten by the close): a plan's
    progress over months (a year's portfolio plan) adds these instead of every repayment."""

    scope_branch_field = "branch"

    month = models.DateField(_("月份"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    agency_id = models.BigIntegerField(_("委外机构"), null=True)
    bucket = models.CharField(_("账龄"), max_length=4)
    count = models.PositiveIntegerField(_("笔数"), default=0)
    amount = MoneyField(_("回收金额"), default=0)

    class Meta:
        verbose_name = _("回收月汇总")
        verbose_name_plural = _("回收月汇总")
        indexes = [models.Index(fields=["month", "owner"], name="recoverymonth_month_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.owner_id} {self.bucket} {self.amount}"


class RecoveryMonthMark(models.Model):
    """The day through which a month's RecoveryMonth rows count."""

    month = models.DateField(_("月份"), unique=True)
    through = models.DateField(_("汇总至"))

    class Meta:
        verbose_name = _("回收汇总进度")
        verbose_name_plural = _("回收汇总进度")

    def __str__(self):
        return f"{self.month:%Y-%m} → {self.through}"
