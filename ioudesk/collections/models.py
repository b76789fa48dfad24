"""Collections (催收): cases opened by the daily close for overdue IOUs, their assignment to a
collector or an outside agency (委外), the strategy per bucket that sets the next action, contact
records with their evidence (append-only), promises to pay and the amounts recovered.

docs/domain.md §20 says how arrears are measured, how promises are judged and when a case escalates.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core import append_only
from ioudesk.core.fields import EncryptedTextField, MoneyField
from ioudesk.core.storage import private_storage

BUCKETS = ("M1", "M2", "M3", "M4", "M5", "M6", "M7+")


class ActionKind(models.TextChoices):
    SMS = "sms", _("短信")
    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    VISIT = "visit", _("上门")
    LETTER = "letter", _("催款函")
    LAWYER_LETTER = "lawyer_letter", _("律师函")
    LEGAL_REVIEW = "legal_review", _("法务审查")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")
    VISIT = "visit", _("上门")
    LETTER = "letter", _("催款函")
    LAWYER_LETTER = "lawyer_letter", _("律师函")
    COURT = "court", _("法院")


class Party(models.TextChoices):
    DEBTOR = "debtor", _("债务人")
    GUARANTOR = "guarantor", _("担保人")
    CONTACT = "contact", _("联系人")


class OutcomeCode(models.TextChoices):
    PROMISED = "promised", _("承诺还款")
    PAID = "paid", _("已还款")
    REFUSED = "refused", _("拒绝还款")
    NO_ANSWER = "no_answer", _("无人接听")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    DISPUTE = "dispute", _("有异议")
    HARDSHIP = "hardship", _("经济困难")
    LEFT_MESSAGE = "left_message", _("已留言")
    DELIVERED = "delivered", _("已送达")
    RETURNED = "returned", _("被退回")
    OTHER = "other", _("其他")


class Nature(models.TextChoices):
    LOAN = "loan", _("借款")
    GOODS = "goods", _("货款")
    SERVICES = "services", _("服务费")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结案")


class CloseReason(models.TextChoices):
    CURED = "cured", _("逾期已还清")
    SETTLED = "settled", _("已结清")
    WRITTEN_OFF = "written_off", _("已核销")
    # a receivables bill's case (往来账款): the bill credited down to nothing (红字冲销) or voided
    CREDITED = "credited", _("已红字冲销")
    VOID = "void", _("单据已作废")


class Term(models.TextChoices):
    SHORT = "short", _("短期逾期")
    LONG = "long", _("长期逾期")


class AppendOnlyQuerySet(append_only.AppendOnlyQuerySet):
    message = "催收记录只能追加，不能修改或删除；更正请新增一条记录指向原记录。"


class AppendOnlyModel(append_only.AppendOnlyModel):
    """Rows written once: a correction is a new row (``corrects``)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True


class CollectionSettings(models.Model):
    organisation = models.OneToOneField("core.Organisation", verbose_name=_("机构"), on_delete=models.CASCADE,
                                        related_name="collection_settings")
    long_overdue_days = models.PositiveIntegerField(
        _("长期逾期天数"), default=90, help_text=_("逾期天数不超过此数为短期逾期，超过为长期逾期"))
    calls_daily_cap = models.PositiveSmallIntegerField(
        _("每日联系上限"), default=3, help_text=_("每位债务人每个北京时间自然日的电话/上门联系次数上限，超出时提示"))
    missed_action_grace_days = models.PositiveSmallIntegerField(
        _("未按时行动宽限天数"), default=2, help_text=_("下一步行动逾期超过此天数即升级"))
    escalate_on_broken_promise = models.BooleanField(_("承诺未兑现即升级"), default=True)
    limitation_alert_days = models.CharField(
        _("诉讼时效预警天数"), max_length=40, default="90,30", help_text=_("届满前多少天提醒，可写多个，如 90,30"))

    class Meta:
        verbose_name = _("催收设置")
        verbose_name_plural = _("催收设置")
        permissions = [("view_branch_cases", _("可以查看本网点全部催收案件"))]

    def __str__(self):
        return str(_("催收设置"))

    def alert_days(self) -> list[int]:
        return sorted({int(p) for p in self.limitation_alert_days.replace("，", ",").split(",") if p.strip()},
                      reverse=True)


class CollectorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), on_delete=models.CASCADE,
                                related_name="collector_profile")
    skills = models.CharField(_("可处理账龄"), max_length=60, blank=True, default="",
                              help_text=_("如 M1,M2；留空为全部账龄"))
    max_open_cases = models.PositiveIntegerField(_("最多在办案件数"), default=200)
    active = models.BooleanField(_("接受分案"), default=True)

    class Meta:
        verbose_name = _("催收员设置")
        verbose_name_plural = _("催收员设置")

    def __str__(self):
        return str(self.user)

    def skill_list(self) -> list[str]:
        return [p.strip().upper() for p in self.skills.replace("，", ",").split(",") if p.strip()]


class Agency(models.Model):
    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    commission_rate = models.DecimalField(
        _("佣金比例"), max_digits=5, decimal_places=4, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("按回收金额计，如 0.1500 为 15%"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("委外机构")
        verbose_name_plural = _("委外机构")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=1),
                                   name="agency_commission_rate_0_1"),
        ]

    def __str__(self):
        return self.name


class Strategy(models.Model):
    bucket = models.CharField(_("账龄"), max_length=4, unique=True, help_text=_("M1 … M7+"))
    name = models.CharField(_("策略名称"), max_length=60)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("催收策略")
        verbose_name_plural = _("催收策略")
        ordering = ["bucket"]

    def __str__(self):
        return f"{self.bucket} {self.name}"


class StrategyStep(models.Model):
    strategy = models.ForeignKey(Strategy, verbose_name=_("策略"), on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    action = models.CharField(_("行动"), max_length=16, choices=ActionKind.choices)
    after_days = models.PositiveSmallIntegerField(_("第几天"), default=0,
                                                  help_text=_("案件进入本账龄（或上一步）后第几天执行"))
    label = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("策略步骤")
        verbose_name_plural = _("策略步骤")
        ordering = ["strategy", "order"]
        constraints = [models.UniqueConstraint(fields=["strategy", "order"], name="strategy_step_order_unique")]

    def __str__(self):
        return f"{self.strategy.bucket} {self.order}. {self.get_action_display()}"


class AssignmentRule(models.Model):
    order = models.PositiveSmallIntegerField(_("顺序"), default=10)
    name = models.CharField(_("规则名称"), max_length=60)
    active = models.BooleanField(_("启用"), default=True)
    buckets = models.CharField(_("账龄"), max_length=60, blank=True, default="", help_text=_("如 M1,M2；留空为全部"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("网点"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+", help_text=_("留空为全部网点（含下级网点）"))
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    min_arrears = MoneyField(_("欠款下限（元）"), null=True, blank=True)
    max_arrears = MoneyField(_("欠款上限（元）"), null=True, blank=True)
    collectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), blank=True,
                                        related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("委外机构"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="rules")

    class Meta:
        verbose_name = _("分案规则")
        verbose_name_plural = _("分案规则")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name

    def bucket_list(self) -> list[str]:
        return [p.strip().upper() for p in self.buckets.replace("，", ",").split(",") if p.strip()]


class Case(models.Model):
    number = models.CharField(_("案件编号"), max_length=24, unique=True, editable=False)
    # a case is about one overdue IOU or one overdue receivables bill (往来账款), never both
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="collection_cases")
    bill = models.ForeignKey("receivables.Bill", verbose_name=_("往来单据"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="collection_cases")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("债务人"), on_delete=models.PROTECT,
                                 related_name="collection_cases")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    nature = models.CharField(_("欠款性质"), max_length=10, choices=Nature.choices, default=Nature.LOAN)
    status = models.CharField(_("状态"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    close_reason = models.CharField(_("结案原因"), max_length=12, choices=CloseReason.choices, blank=True, default="")
    opened_on = models.DateField(_("立案日"))
    closed_on = models.DateField(_("结案日"), null=True, blank=True)
    bucket = models.CharField(_("账龄"), max_length=4, default="M1")
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    arrears = MoneyField(_("逾期欠款"), default=0)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=3, help_text=_("1 高，2 中，3 低"))
    stage = models.ForeignKey(StrategyStep, verbose_name=_("策略步骤"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    stage_since = models.DateField(_("进入步骤日"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="collection_cases")
    agency = models.ForeignKey(Agency, verbose_name=_("委外机构"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="cases")
    next_action = models.CharField(_("下一步行动"), max_length=16, choices=ActionKind.choices, blank=True, default="")
    next_action_due = models.DateTimeField(_("行动到期时间"), null=True, blank=True)
    legal = models.BooleanField(_("已转法务"), default=False)
    promise_due_on = models.DateField(_("承诺还款日"), null=True, blank=True, editable=False,
                                      help_text=_("最早一笔待兑现承诺的日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("催收案件")
        verbose_name_plural = _("催收案件")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["iou"], condition=Q(status="open"), name="case_one_open_per_iou"),
            models.UniqueConstraint(fields=["bill"], condition=Q(status="open"), name="case_one_open_per_bill"),
            models.CheckConstraint(condition=(Q(iou__isnull=False) & Q(bill__isnull=True))
                                   | (Q(iou__isnull=True) & Q(bill__isnull=False)), name="case_iou_or_bill"),
        ]
        indexes = [
            # the workbench: a collector's open cases in its order (next action, arrears, dpd)
            models.Index(fields=["owner", "status", "next_action_due"], name="case_owner_due_idx"),
            models.Index(fields=["owner", "status", "arrears"], name="case_owner_arrears_idx"),
            models.Index(fields=["owner", "status", "promise_due_on"], name="case_owner_promise_idx"),
            models.Index(fields=["branch", "status", "next_action_due"], name="case_branch_due_idx"),
            models.Index(fields=["status", "bucket"], name="case_status_bucket_idx"),
            models.Index(fields=["customer", "status"], name="case_customer_status_idx"),
            models.Index(fields=["agency", "status"], name="case_agency_status_idx"),
            models.Index(fields=["closed_on"], name="case_closed_on_idx"),  # cures per day (reports, the close)
        ]

    def __str__(self):
        return self.number

    @property
    def is_bill(self) -> bool:
        """A case about a receivables bill (往来账款) rather than an IOU."""
        return self.iou_id is None and self.bill_id is not None

    @property
    def debt(self):
        """What the case is about: the IOU, or the receivables bill."""
        return self.bill if self.is_bill else self.iou

    @property
    def debt_number(self) -> str:
        debt = self.debt
        return debt.number if debt is not None else ""

    @property
    def debt_outstanding(self):
        """What the debt still owes as posted: the IOU's total outstanding, or the bill's open amount."""
        debt = self.debt
        if debt is None:
            return Decimal("0.00")
        return debt.open_amount if self.is_bill else debt.total_outstanding

    @property
    def debt_label(self) -> str:
        return str(_("往来单据")) if self.is_bill else str(_("借据"))


class AssignmentMethod(models.TextChoices):
    RULE = "rule", _("按规则")
    HAND = "hand", _("手工分案")
    BULK = "bulk", _("批量分案")
    RECALL = "recall", _("收回")
    REASSIGN = "reassign", _("转派")


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="assignments")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("委外机构"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    method = models.CharField(_("方式"), max_length=10, choices=AssignmentMethod.choices)
    rule = models.ForeignKey(AssignmentRule, verbose_name=_("分案规则"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+", help_text=_("空为日终自动分案"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    scope_branch_field = "case__branch"

    class Meta:
        verbose_name = _("分案记录")
        verbose_name_plural = _("分案记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["case", "ended_at"], name="case_assignment_current_idx")]

    def __str__(self):
        return f"{self.case} {self.get_method_display()}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("立案")
    ASSIGNED = "assigned", _("分案")
    RECALLED = "recalled", _("收回")
    STAGE = "stage", _("策略步骤")
    ESCALATED = "escalated", _("升级")
    PROMISE_KEPT = "promise_kept", _("承诺兑现")
    PROMISE_BROKEN = "promise_broken", _("承诺未兑现")
    CONTACT = "contact", _("联系")
    CLOSED = "closed", _("结案")
    LEGAL = "legal", _("法务")


class CaseEvent(AppendOnlyModel):
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=16, choices=EventKind.choices)
    text = models.CharField(_("内容"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    scope_branch_field = "case__branch"

    class Meta:
        verbose_name = _("案件动态")
        verbose_name_plural = _("案件动态")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at_idx")]

    def __str__(self):
        return f"{self.case} {self.get_kind_display()}"


class ContactRecord(AppendOnlyModel):
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="contacts")
    # empty for a receivables bill's case (the case names the bill)
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("债务人"), on_delete=models.PROTECT,
                                 related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("方式"), max_length=16, choices=ContactMethod.choices)
    party = models.CharField(_("联系对象"), max_length=10, choices=Party.choices)
    contact = models.ForeignKey("customers.Contact", verbose_name=_("联系人"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    party_name = models.CharField(_("对象姓名"), max_length=100, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=OutcomeCode.choices)
    notes = models.TextField(_("记录内容"), blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_action_due = models.DateTimeField(_("下次行动时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    corrects = models.ForeignKey("self", verbose_name=_("更正的原记录"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="corrections")
    refers_to = models.ForeignKey("self", verbose_name=_("关联记录"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="referred_by",
                                  help_text=_("如送达记录指向所送达的催款函"))
    outside_hours = models.BooleanField(_("超出联系时段"), default=False)
    over_daily_cap = models.BooleanField(_("超出每日上限"), default=False)
    warning = models.CharField(_("提示"), max_length=300, blank=True)
    interruption_recorded = models.BooleanField(_("已记录时效中断"), default=False)

    class Meta:
        verbose_name = _("催收记录")
        verbose_name_plural = _("催收记录")
        ordering = ["-contacted_at", "-id"]
        indexes = [
            models.Index(fields=["case", "contacted_at"], name="contact_case_at_idx"),
            models.Index(fields=["customer", "contacted_at"], name="contact_customer_at_idx"),
            models.Index(fields=["recorded_by", "contacted_at"], name="contact_by_at_idx"),
            # the activity report: a period's contacts by recorder, method and outcome, from the index alone
            models.Index(fields=["contacted_at", "recorded_by", "method", "outcome"], name="contact_at_cover_idx"),
        ]

    def __str__(self):
        return f"{self.case} {self.get_method_display()} {self.get_outcome_display()}"


class AttachmentKind(models.TextChoices):
    RECORDING = "recording", _("通话录音")
    PHOTO = "photo", _("照片")
    ACKNOWLEDGEMENT = "acknowledgement", _("债务确认书")
    DELIVERY_RECEIPT = "delivery_receipt", _("送达回执")
    LETTER = "letter", _("函件")
    OTHER = "other", _("其他")


class ContactAttachment(AppendOnlyModel):
    record = models.ForeignKey(ContactRecord, verbose_name=_("催收记录"), on_delete=models.PROTECT,
                               related_name="attachments")
    kind = models.CharField(_("类型"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), max_length=255, storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")

    scope_branch_field = "record__branch"

    class Meta:
        verbose_name = _("催收附件")
        verbose_name_plural = _("催收附件")
        ordering = ["record", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("待兑现")
    KEPT = "kept", _("已兑现")
    PARTLY_KEPT = "partly_kept", _("部分兑现")
    BROKEN = "broken", _("未兑现")


class Promise(models.Model):
    record = models.OneToOneField(ContactRecord, verbose_name=_("催收记录"), on_delete=models.PROTECT,
                                  related_name="promise")
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="promises")
    # empty for a receivables bill's case: its promise is judged by the matches (核销) to the bill
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    amount = MoneyField(_("承诺金额"))
    promised_on = models.DateField(_("承诺还款日"))
    status = models.CharField(_("状态"), max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    paid = MoneyField(_("已还金额"), default=0)
    checked_on = models.DateField(_("核对日"), null=True, blank=True)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_branch_field = "case__branch"

    class Meta:
        verbose_name = _("承诺还款")
        verbose_name_plural = _("承诺还款")
        ordering = ["-promised_on", "-id"]
        indexes = [
            models.Index(fields=["status", "promised_on"], name="promise_status_due_idx"),
            models.Index(fields=["case", "status", "promised_on"], name="promise_case_due_idx"),
            models.Index(fields=["collector", "promised_on"], name="promise_collector_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive")]

    def __str__(self):
        return f"{self.case} {self.promised_on} ¥{self.amount:,.2f}"


class Recovery(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="recoveries")
    # an IOU case's recovery is one repayment transaction; a bill case's is one match (核销) to the bill,
    # and ``undo`` its negative row when the match is undone
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    transaction = models.OneToOneField("ious.Transaction", verbose_name=_("交易"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="collection_recovery")
    allocation = models.ForeignKey("receivables.Allocation", verbose_name=_("核销记录"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    undo = models.BooleanField(_("撤销核销"), default=False)
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("回收日"))
    amount = MoneyField(_("回收金额"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("催收员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("委外机构"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    bucket = models.CharField(_("账龄"), max_length=4)
    commission = MoneyField(_("佣金"), default=0)

    class Meta:
        verbose_name = _("回收明细")
        verbose_name_plural = _("回收明细")
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(fields=["day", "owner"], name="recovery_day_owner_idx"),
            models.Index(fields=["day", "agency"], name="recovery_day_agency_idx"),
            models.Index(fields=["day", "bucket"], name="recovery_day_bucket_idx"),
            models.Index(fields=["case", "day"], name="recovery_case_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "undo"], condition=Q(allocation__isnull=False),
                                    name="recovery_once_per_allocation"),
        ]

    def __str__(self):
        return f"{self.case} {self.day} ¥{self.amount:,.2f}"
