"""报表: the figures the close maintains for reports (a row per day and dimensions, a row per IOU at
each month end), the reports people generated and keep, their schedules, saved custom reports and the
provisioning settings. Reports read these (and the per-IOU figures the close keeps current), never a
scan of all installments per request. docs/domain.md §27."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField
from ioudesk.ious.models import GuaranteeType, Purpose


class PortfolioDay(models.Model):
    """The live portfolio at the end of one closed business day, summed by its dimensions: one row per
    (day, branch, product, officer, kind, guarantee, classification, bucket, channel). Written by the close's
    day step `reports` for the day it closes (and rewritten when a back-dated change reaches that day)."""

    day = models.DateField(_("日期"), db_index=True)
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8)
    guarantee = models.CharField(_("担保方式"), max_length=10, choices=GuaranteeType.choices)
    classification = models.CharField(_("五级分类"), max_length=16)
    bucket = models.CharField(_("账龄"), max_length=4)
    channel = models.CharField(_("申请渠道"), max_length=10, default="", blank=True)  # '' = 直接录入
    count = models.PositiveIntegerField(_("笔数"), default=0)
    principal = MoneyField(_("合同本金"), default=0)
    principal_outstanding = MoneyField(_("本金余额"), default=0)
    interest_outstanding = MoneyField(_("应收利息"), default=0)
    penalty_outstanding = MoneyField(_("应收罚息"), default=0)
    fee_outstanding = MoneyField(_("应收费用"), default=0)
    overdue_principal = MoneyField(_("逾期本金"), default=0)
    overdue_interest = MoneyField(_("逾期利息"), default=0)

    class Meta:
        verbose_name = _("每日组合汇总")
        verbose_name_plural = _("每日组合汇总")
        indexes = [models.Index(fields=["day", "branch"], name="rpt_pday_day_branch_idx")]

    def __str__(self):
        return f"{self.day} {self.branch_id} {self.classification} {self.bucket}"


class FlowDay(models.Model):
    """Money that moved on one business day, by kind (the IOU transaction kinds: 放款, 还款, 减免, 核销,
    核销后收回 …), summed by branch, product and officer. Written by the day step from the transactions
    of that day; a transaction entered later for an earlier day rewrites that day's rows."""

    day = models.DateField(_("日期"), db_index=True)
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=16)
    # The IOU's kind (借条 loan / 欠条 debt): the regulator's table counts loans only (A, for D).
    iou_kind = models.CharField(_("借据类型"), max_length=8, default="loan")
    # The IOU as it stood at the close that wrote the day (for a day rewritten later: at that close):
    # the custom report's income by tier, bucket, guarantee type and application channel.
    guarantee = models.CharField(_("担保方式"), max_length=10, default="credit")
    classification = models.CharField(_("五级分类"), max_length=16, default="normal")
    bucket = models.CharField(_("账龄"), max_length=4, default="M0")
    channel = models.CharField(_("申请渠道"), max_length=10, default="", blank=True)
    count = models.PositiveIntegerField(_("笔数"), default=0)
    amount = MoneyField(_("金额"), default=0)
    principal = MoneyField(_("本金"), default=0)
    interest = MoneyField(_("利息"), default=0)
    penalty = MoneyField(_("罚息"), default=0)
    fee = MoneyField(_("费用"), default=0)

    class Meta:
        verbose_name = _("每日资金流汇总")
        verbose_name_plural = _("每日资金流汇总")
        indexes = [models.Index(fields=["day", "kind"], name="rpt_fday_day_kind_idx")]

    def __str__(self):
        return f"{self.day} {self.kind} {self.amount}"


class MonthSnapshot(models.Model):
    """A month end frozen by the close: reports for a closed month read its rows and say so."""

    month_end = models.DateField(_("月末日"), unique=True)
    taken_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    close_run = models.ForeignKey("closing.CloseRun", verbose_name=_("日终批次"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    iou_count = models.PositiveIntegerField(_("借据笔数"), default=0)
    totals = models.JSONField(_("主要数字"), default=dict, blank=True)
    seconds = models.DecimalField(_("用时（秒）"), max_digits=10, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("月末快照")
        verbose_name_plural = _("月末快照")
        ordering = ["-month_end"]

    def __str__(self):
        return self.month_end.isoformat()


class MonthEndIou(models.Model):
    """One IOU as it stood at a month end (every IOU not in draft/pending/cancelled, settled and
    written-off ones of that month included)."""

    month_end = models.DateField(_("月末日"))
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8)
    status = models.CharField(_("状态"), max_length=20)
    classification = models.CharField(_("五级分类"), max_length=16)
    bucket = models.CharField(_("账龄"), max_length=4)
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    guarantee = models.CharField(_("担保方式"), max_length=10, choices=GuaranteeType.choices)
    purpose = models.CharField(_("借款用途"), max_length=16, choices=Purpose.choices)
    annual_rate = models.DecimalField(_("年利率"), max_digits=10, decimal_places=8, null=True, blank=True)
    term = models.PositiveSmallIntegerField(_("期数"), default=1)
    contract_date = models.DateField(_("借款日期"))
    disbursed_on = models.DateField(_("放款日"), null=True, blank=True)
    maturity_date = models.DateField(_("到期日"), null=True, blank=True)
    principal = MoneyField(_("合同本金"), default=0)
    principal_outstanding = MoneyField(_("本金余额"), default=0)
    interest_outstanding = MoneyField(_("应收利息"), default=0)
    penalty_outstanding = MoneyField(_("应收罚息"), default=0)
    fee_outstanding = MoneyField(_("应收费用"), default=0)
    overdue_principal = MoneyField(_("逾期本金"), default=0)
    overdue_interest = MoneyField(_("逾期利息"), default=0)
    written_off_principal = MoneyField(_("已核销本金"), default=0)

    class Meta:
        verbose_name = _("月末借据快照")
        verbose_name_plural = _("月末借据快照")
        constraints = [models.UniqueConstraint(fields=["month_end", "iou"], name="rpt_meiou_month_iou_uniq")]
        indexes = [models.Index(fields=["month_end", "branch"], name="rpt_meiou_month_branch_idx")]

    def __str__(self):
        return f"{self.month_end} {self.iou_id}"


class MonthEndAccount(models.Model):
    """The trial balance at a month end: each account's cumulative debits and credits to that day."""

    month_end = models.DateField(_("月末日"))
    account = models.ForeignKey("ledger.Account", verbose_name=_("科目"), on_delete=models.PROTECT, related_name="+")
    debit = MoneyField(_("借方累计"), default=0)
    credit = MoneyField(_("贷方累计"), default=0)

    class Meta:
        verbose_name = _("月末科目余额")
        verbose_name_plural = _("月末科目余额")
        constraints = [models.UniqueConstraint(fields=["month_end", "account"], name="rpt_meacct_month_acct_uniq")]

    def __str__(self):
        return f"{self.month_end} {self.account_id}"


class DayMark(models.Model):
    """How far the day step `reports` has read (A): per closed day, the last transaction and journal
    entry it saw, so that the next day's run rewrites the FlowDay of earlier days that transactions
    entered since then are dated on (back-dated entries), and nothing twice."""

    day = models.DateField(_("日期"), unique=True)
    transaction_max = models.BigIntegerField(_("已读至交易"), default=0)
    entry_max = models.BigIntegerField(_("已读至凭证"), default=0)
    written_at = models.DateTimeField(_("写入时间"), auto_now=True)

    class Meta:
        verbose_name = _("报表日终进度")
        verbose_name_plural = _("报表日终进度")
        ordering = ["-day"]

    def __str__(self):
        return self.day.isoformat()


class SnapshotDifference(models.Model):
    """A change dated on or before a frozen month end but entered after its snapshot: listed, never
    written into the snapshot."""

    month_end = models.DateField(_("月末日"), db_index=True)
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    transaction = models.ForeignKey("ious.Transaction", verbose_name=_("交易"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("ledger.JournalEntry", verbose_name=_("记账凭证"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(_("项目"), max_length=40)
    snapshot_value = MoneyField(_("快照数"), default=0)
    current_value = MoneyField(_("现在数"), default=0)
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("快照后追溯差异")
        verbose_name_plural = _("快照后追溯差异")
        ordering = ["-found_at"]

    def __str__(self):
        return f"{self.month_end} {self.measure}"


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel（.xlsx）")
    PDF = "pdf", _("PDF")


class GeneratedState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Frequency(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")


class ReportSchedule(models.Model):
    """A report generated on a schedule (e.g. the monthly table on the 1st) and delivered to its
    recipients in the app and, when asked, by e-mail."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("报表"), max_length=60)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    format = models.CharField(_("格式"), max_length=8, choices=ReportFormat.choices, default=ReportFormat.XLSX)
    frequency = models.CharField(_("频率"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    day_of_month = models.PositiveSmallIntegerField(_("每月几号"), default=1)
    weekday = models.PositiveSmallIntegerField(_("星期几"), default=1, help_text=_("1 = 星期一 … 7 = 星期日"))
    at = models.TimeField(_("时间"), default="08:00")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), blank=True,
                                        related_name="+")
    by_email = models.BooleanField(_("同时发送邮件"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT,
                              related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+")
    last_run_at = models.DateTimeField(_("上次生成"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定时报告")
        verbose_name_plural = _("定时报告")
        ordering = ["name"]

    def __str__(self):
        return self.name


class GeneratedReport(models.Model):
    """A report someone generated (报告管理): what, with which parameters, in which format, by whom and
    when; the file is kept in private storage and can be downloaded again."""

    code = models.CharField(_("报表"), max_length=60, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    format = models.CharField(_("格式"), max_length=8, choices=ReportFormat.choices)
    state = models.CharField(_("状态"), max_length=10, choices=GeneratedState.choices, default=GeneratedState.QUEUED)
    job = models.ForeignKey("jobs.Job", verbose_name=_("后台作业"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    schedule = models.ForeignKey(ReportSchedule, verbose_name=_("定时报告"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="generated")
    source = models.CharField(_("数据来源"), max_length=10, blank=True, help_text=_("live 或 snapshot"))
    as_of = models.DateField(_("数据截至"), null=True, blank=True)
    file_path = models.CharField(_("文件"), max_length=300, blank=True, editable=False)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    error = models.TextField(_("失败原因"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT,
                                     related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("已生成报告")
        verbose_name_plural = _("已生成报告")
        ordering = ["-id"]
        permissions = [
            ("view_reports", _("查看报表")),
            ("view_regulatory", _("查看监管报表与财务报表")),
            ("export_reports", _("导出与打印报表")),
        ]

    def __str__(self):
        return self.title


class SavedPivot(models.Model):
    """A custom report (自定义报表) a user saved: dimensions and measures from the fixed set, filters."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.CASCADE,
                              related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    rows = models.JSONField(_("行维度"), default=list)
    columns = models.CharField(_("列维度"), max_length=30, blank=True)
    measures = models.JSONField(_("指标"), default=list)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    chart = models.CharField(_("图表"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("自定义报表")
        verbose_name_plural = _("自定义报表")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="rpt_pivot_owner_name_uniq")]

    def __str__(self):
        return self.name


class ReportSettings(models.Model):
    """One row: the loan-loss provision rates per tier (default 《贷款损失准备计提指引》: 关注 2 %, 次级
    25 %, 可疑 50 %, 损失 100 %, a general reserve of 1 % of the loan balance) and the net assets the
    single-borrower concentration is measured against (blank: from the ledger)."""

    rate_normal = models.DecimalField(_("正常类计提比例（%）"), max_digits=6, decimal_places=2, default=0)
    rate_special_mention = models.DecimalField(_("关注类计提比例（%）"), max_digits=6, decimal_places=2, default=2)
    rate_substandard = models.DecimalField(_("次级类计提比例（%）"), max_digits=6, decimal_places=2, default=25)
    rate_doubtful = models.DecimalField(_("可疑类计提比例（%）"), max_digits=6, decimal_places=2, default=50)
    rate_loss = models.DecimalField(_("损失类计提比例（%）"), max_digits=6, decimal_places=2, default=100)
    general_reserve_rate = models.DecimalField(_("一般准备比例（%）"), max_digits=6, decimal_places=2, default=1)
    net_assets = MoneyField(_("净资产（元）"), null=True, blank=True,
                            help_text=_("留空则按总账的所有者权益计算"))
    concentration_limit = models.DecimalField(_("单户集中度上限（%）"), max_digits=6, decimal_places=2, default=10)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("报表设置")
        verbose_name_plural = _("报表设置")

    def __str__(self):
        return str(self._meta.verbose_name)


# Grouped figures derived by the close (each module defines its own models; importing them here is
# what makes them the reports app's): see docs/architecture.md, 报表.
from ioudesk.reports import (  # noqa: E402, F401, I001
    model_cube,
    model_customer,
    model_ledger,
    model_moves,
)
