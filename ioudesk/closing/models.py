"""The daily close (日终): its settings per organisation, one run per closed business date, the
id-range partitions of live IOUs the workers share, and the IOUs (or day steps) that failed.

A run is written by the close engine (closing/engine.py) with plain UPDATEs outside the work's
own transactions, so the back office's run page sees its progress at once."""

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CloseSettings(models.Model):
    """How the organisation closes its days: when the scheduler closes the business date, whether
    the business date then moves on by itself, and how many IOUs one partition holds."""

    organisation = models.OneToOneField("core.Organisation", verbose_name=_("机构"), on_delete=models.CASCADE,
                                        related_name="close_settings")
    close_time = models.TimeField(_("日终时间"), default=time(23, 30),
                                  help_text=_("每天到此时间（北京时间）自动执行当天的日终。"))
    auto_advance = models.BooleanField(_("日终后自动进入下一营业日"), default=True,
                                       help_text=_("关闭后由管理员手动设置营业日。"))
    partition_size = models.PositiveIntegerField(_("每个分区的借据数"), default=2000)
    closed_through = models.DateField(_("已日终至"), null=True, blank=True, editable=False,
                                      help_text=_("最后一个完成日终的营业日。"))

    class Meta:
        verbose_name = _("日终设置")
        verbose_name_plural = _("日终设置")
        permissions = [("run_close", _("可以执行日终"))]

    def __str__(self):
        return str(_("日终设置"))


class RunState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RunOrigin(models.TextChoices):
    SCHEDULER = "scheduler", _("定时任务")
    COMMAND = "command", _("命令行")
    BACKOFFICE = "backoffice", _("后台")
    API = "api", _("接口")


class CloseRun(models.Model):
    """The close of one business date. `counts` holds per step (the IOU work and every registered
    day step) what it did; `timings` the seconds each took. The run is driven by one process at a
    time (`owner`, `lease_until`); its partitions may be shared by several."""

    organisation = models.ForeignKey("core.Organisation", verbose_name=_("机构"), on_delete=models.CASCADE,
                                     related_name="close_runs")
    day = models.DateField(_("营业日"))
    state = models.CharField(_("状态"), max_length=10, choices=RunState.choices, default=RunState.QUEUED,
                             db_index=True)
    origin = models.CharField(_("发起方式"), max_length=12, choices=RunOrigin.choices, default=RunOrigin.COMMAND)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    phase = models.CharField(_("当前步骤"), max_length=40, blank=True)
    counts = models.JSONField(_("各步骤数量"), default=dict, blank=True)
    timings = models.JSONField(_("各步骤耗时（秒）"), default=dict, blank=True)
    partitions_total = models.PositiveIntegerField(_("分区总数"), default=0)
    partitions_done = models.PositiveIntegerField(_("已完成分区"), default=0)
    ious_total = models.PositiveIntegerField(_("借据总数"), default=0)
    ious_done = models.PositiveIntegerField(_("已处理借据"), default=0)
    owner = models.CharField(_("执行进程"), max_length=100, blank=True, help_text=_("主机名:进程号"))
    lease_until = models.DateTimeField(_("租约到期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("日终记录")
        verbose_name_plural = _("日终记录")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="close_run_day_unique")]

    def __str__(self):
        return _("日终 %(day)s") % {"day": self.day.isoformat()}

    @property
    def percent(self) -> int:
        if self.state == RunState.DONE:
            return 100
        if not self.partitions_total:
            return 0
        return min(99, self.partitions_done * 100 // self.partitions_total)

    @property
    def finished(self) -> bool:
        return self.state in (RunState.DONE, RunState.FAILED)

    @property
    def failures_open(self) -> int:
        return self.failures.filter(resolved_at__isnull=True).count()


class PartitionState(models.TextChoices):
    PENDING = "pending", _("待处理")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")


class ClosePartition(models.Model):
    """IOUs with lo ≤ id ≤ hi, closed by one worker at a time: claimed with a lease
    (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED), kept by a heartbeat, reclaimed when its owner's
    process is gone or the lease ran out."""

    close_run = models.ForeignKey(CloseRun, verbose_name=_("日终记录"), on_delete=models.CASCADE,
                                  related_name="partitions")
    lo = models.BigIntegerField(_("起始借据ID"))
    hi = models.BigIntegerField(_("结束借据ID"))
    state = models.CharField(_("状态"), max_length=10, choices=PartitionState.choices,
                             default=PartitionState.PENDING)
    owner = models.CharField(_("执行进程"), max_length=100, blank=True, help_text=_("主机名:进程号"))
    lease_until = models.DateTimeField(_("租约到期"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("领取次数"), default=0)
    ious = models.PositiveIntegerField(_("借据数"), default=0)
    counts = models.JSONField(_("数量"), default=dict, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("日终分区")
        verbose_name_plural = _("日终分区")
        ordering = ["close_run", "lo"]
        indexes = [models.Index(fields=["close_run", "state"], name="close_partition_state_idx")]
        constraints = [models.UniqueConstraint(fields=["close_run", "lo"], name="close_partition_lo_unique")]

    def __str__(self):
        return f"{self.lo}–{self.hi}"


class CloseFailure(models.Model):
    """One IOU the close could not bring to the day (or one day step that raised), with the
    traceback; the rest of the run went on. Resolved when a retry succeeded."""

    close_run = models.ForeignKey(CloseRun, verbose_name=_("日终记录"), on_delete=models.CASCADE,
                                  related_name="failures")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.CASCADE,
                            related_name="+")
    step = models.CharField(_("步骤"), max_length=60)
    message = models.TextField(_("错误信息"))
    traceback = models.TextField(_("错误堆栈"), blank=True)
    created_at = models.DateTimeField(_("发生时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    retried_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("重试人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("日终失败记录")
        verbose_name_plural = _("日终失败记录")
        ordering = ["close_run", "id"]

    def __str__(self):
        return f"{self.step}: {self.message[:60]}"
