"""A record of work done in the background (a django-tasks task), for its progress bar and its
result: who started it, how far it is (total/processed), its state, and a summary to show when it
is done. The task itself is thin (ioudesk/<app>/tasks.py): it calls a service that updates this
record through ioudesk.jobs.services."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    CUSTOMER_IMPORT_CHECK = "customer_import_check", _("客户导入（试导入）")
    CUSTOMER_IMPORT = "customer_import", _("客户导入")
    BILL_IMPORT_CHECK = "bill_import_check", _("单据导入（试导入）")
    BILL_IMPORT = "bill_import", _("单据导入")
    STATEMENT_IMPORT = "statement_import", _("银行流水导入")
    REPORT = "report", _("报告生成")


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


FINISHED = (JobState.DONE, JobState.FAILED)


class Job(models.Model):
    kind = models.CharField(_("类型"), max_length=32, choices=JobKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE,
                             related_name="+")
    title = models.CharField(_("名称"), max_length=200, blank=True, help_text=_("如导入的文件名"))
    state = models.CharField(_("状态"), max_length=10, choices=JobState.choices, default=JobState.QUEUED,
                             db_index=True)
    phase = models.CharField(_("当前步骤"), max_length=40, blank=True)
    total = models.PositiveIntegerField(_("总数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台作业")
        verbose_name_plural = _("后台作业")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "kind"], name="job_user_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.processed * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class ScheduledSlot(models.Model):
    """One occurrence of a periodic (ioudesk/jobs/scheduler.py) that has been started: the unique
    (name, slot) row is what makes a slot run exactly once across workers and restarts."""

    name = models.CharField(_("计划任务"), max_length=100)
    slot = models.CharField(_("时段"), max_length=64)
    worker = models.CharField(_("执行进程"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("开始时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("计划任务时段")
        verbose_name_plural = _("计划任务时段")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduled_slot_unique")]

    def __str__(self):
        return f"{self.name} {self.slot}"
