"""Repayment reminder rules (还款提醒规则) and the record of every installment reminded.

A rule says when (N days before a due date, on the due date, or while overdue: +1, +3, +7 days,
then every K days), on which channel (短信/邮件 to the debtor, 站内信 to the IOU's 客户经理) and with
which template (a ``notify.MessageTemplate`` of the category ``repayment_reminder``).

Which rules apply to an IOU: the rules of its product when the product has any rule of its own
(active or not: switching a product's rules off silences its reminders instead of falling back);
otherwise the rules without a product (the defaults), which also serve 欠条 without a product.

``Reminder`` is one row per (installment, rule, day) reminded: it links the installment to the one
message its customer got that day on that channel (several installments share a message), so the
step is idempotent (unique), the back office can say why a message was sent, and a catch-up close
records what it did not send (``skipped`` with its reason) instead of sending stale reminders.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CATEGORY = "repayment_reminder"


class RuleKind(models.TextChoices):
    BEFORE = "before", _("到期前")
    ON_DUE = "on_due", _("到期当日")
    OVERDUE = "overdue", _("逾期后")


class AppliesTo(models.TextChoices):
    IOU = "iou", _("借据还款")
    BILL = "bill", _("应收单据（客户）")
    PAYABLE = "payable", _("应付单据（本方）")


# The message categories a rule's template may be of, by what the rule applies to (the bill categories
# are registered by receivables: reminders only knows their codes).
BILL_REMINDER_CATEGORY = "bill_reminder"
BILL_DUNNING_CATEGORY = "bill_dunning"
TEMPLATE_CATEGORIES = {
    AppliesTo.IOU: (CATEGORY,),
    AppliesTo.BILL: (BILL_REMINDER_CATEGORY, BILL_DUNNING_CATEGORY),
    AppliesTo.PAYABLE: (BILL_REMINDER_CATEGORY,),
}


class ReminderChannel(models.TextChoices):
    # The values of notify.models.Channel (the contract's strings), kept here so that this app's
    # migrations do not depend on how notify declares its choices.
    SMS = "sms", _("短信（债务人）")
    EMAIL = "email", _("邮件（债务人）")
    INAPP = "inapp", _("站内信（客户经理）")


class ReminderRule(models.Model):
    applies_to = models.CharField(
        _("适用于"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.IOU,
        help_text=_("借据还款：提醒借据的债务人；应收单据：到期前提醒、逾期后催款（往来账款的客户）；"
                    "应付单据：提醒本网点财务人员即将到期的应付款"))
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="reminder_rules",
                                help_text=_("留空为默认规则：适用于没有自己提醒规则的产品和无产品的欠条"))
    kind = models.CharField(_("提醒时点"), max_length=10, choices=RuleKind.choices)
    offsets = models.CharField(
        _("天数"), max_length=60, blank=True, default="",
        help_text=_("到期前：提前几天，如 3；逾期后：逾期第几天，可写多个，如 1,3,7；到期当日不填"))
    repeat_every = models.PositiveSmallIntegerField(
        _("此后每隔几天"), null=True, blank=True,
        help_text=_("仅逾期后：最后一个天数之后每隔几天再提醒一次，如 7 为每周；留空不重复"))
    repeat_until = models.PositiveSmallIntegerField(
        _("重复至逾期第几天"), null=True, blank=True, help_text=_("仅逾期后：超过这个逾期天数不再重复提醒；留空一直提醒到还清"))
    channel = models.CharField(_("渠道"), max_length=10, choices=ReminderChannel.choices)
    template = models.ForeignKey("notify.MessageTemplate", verbose_name=_("消息模板"), on_delete=models.PROTECT,
                                 related_name="reminder_rules")
    is_active = models.BooleanField(_("启用"), default=True)
    notes = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("还款提醒规则")
        verbose_name_plural = _("还款提醒规则")
        ordering = ["applies_to", "product__code", "kind", "id"]

    def __str__(self):
        return f"{self.timing_label()} {self.get_channel_display()}"

    def offset_list(self) -> list[int]:
        return [int(part) for part in self.offsets.replace("，", ",").split(",") if part.strip()]

    def timing_label(self) -> str:
        days = self.offset_list()
        if self.kind == RuleKind.BEFORE and self.applies_to == AppliesTo.PAYABLE:
            return f"{max(days) if days else 0}天内到期（每日）"  # a payables note lists a window, every day
        if self.kind == RuleKind.BEFORE:
            return "到期前" + "、".join(str(d) for d in days) + "天"
        if self.kind == RuleKind.ON_DUE:
            return "到期当日"
        text = "逾期" + "、".join(f"+{d}" for d in days) + "天"
        if self.repeat_every:
            text += f"，此后每{self.repeat_every}天"
            if self.repeat_until:
                text += f"至逾期{self.repeat_until}天"
        return text


class ReminderState(models.TextChoices):
    QUEUED = "queued", _("已生成消息")
    SKIPPED = "skipped", _("未发送")
    LATE = "late", _("补跑后合并补发")  # skipped on a catch-up day, carried by the next normal day's message


class Reminder(models.Model):
    """One installment reminded by one rule for one closed day, and the message that carried it."""

    day = models.DateField(_("日终日期"), db_index=True, help_text=_("提醒在这一天日终后发出，天数按次一营业日计"))
    send_day = models.DateField(_("提醒日"))
    rule = models.ForeignKey(ReminderRule, verbose_name=_("提醒规则"), on_delete=models.PROTECT,
                             related_name="reminders")
    installment = models.ForeignKey("ious.Installment", verbose_name=_("期次"), on_delete=models.CASCADE,
                                    related_name="+")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="+")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("渠道"), max_length=10, choices=ReminderChannel.choices)
    days_overdue = models.IntegerField(_("逾期天数"), help_text=_("负数为距到期日的天数"))
    message = models.ForeignKey("notify.Message", verbose_name=_("消息"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=ReminderState.choices, default=ReminderState.QUEUED)
    reason = models.CharField(_("原因"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("还款提醒记录")
        verbose_name_plural = _("还款提醒记录")
        ordering = ["-day", "customer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["installment", "rule", "day"], name="reminder_once_per_day"),
        ]
        indexes = [
            models.Index(fields=["day", "customer"], name="reminder_day_customer_idx"),
            # the catch-up's skipped reminders, which the next normal day looks for (services._late)
            models.Index(fields=["state", "day"], condition=Q(state="skipped"), name="reminder_skipped_idx"),
        ]

    def __str__(self):
        return f"{self.day} {self.get_channel_display()} {self.installment_id}"

