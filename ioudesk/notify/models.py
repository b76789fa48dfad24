"""Notifications: the outbox (Message), its delivery attempts, templates, opt-outs and the sending rules.

A Message row is written by `services.message_queue` in the same transaction as the event that
causes it; the worker delivers it (`tasks.deliver_message` → `services.message_deliver`), which
claims the row with one conditional UPDATE, so a message is sent at most once however many workers
run. The address (a phone number or an e-mail address) is personal data: stored encrypted, shown
masked (`address_display`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import EncryptedTextField


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class Status(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")
    SUPPRESSED = "suppressed", _("未发送")


FINAL_STATUSES = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.SUPPRESSED)


class MessageTemplate(models.Model):
    """A message text with `{中文占位符}` placeholders of its category (ioudesk/notify/placeholders.py),
    checked when it is saved (services.template_save)."""

    code = models.SlugField(_("模板代码"), max_length=60, unique=True)
    name = models.CharField(_("模板名称"), max_length=100)
    category = models.CharField(_("消息类别"), max_length=60, db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    subject = models.CharField(_("标题"), max_length=200, blank=True,
                               help_text=_("邮件和站内消息的标题；短信不用标题"))
    body = models.TextField(_("正文"), help_text=_("可用 {客户姓名} 这样的占位符，见下方本类别的占位符列表"))
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering = ["category", "code"]

    def __str__(self):
        return self.name


class Message(models.Model):
    """One outgoing message (the outbox row): to a customer or to a staff user, on one channel."""

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, db_index=True)
    category = models.CharField(_("消息类别"), max_length=60, db_index=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("员工"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="messages")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               help_text=_("客户或员工所属的网点，用于数据范围"))
    address = EncryptedTextField(_("收件地址"), blank=True, help_text=_("手机号或邮箱，加密保存"))
    address_display = models.CharField(_("收件地址"), max_length=120, blank=True, editable=False,
                                       help_text=_("脱敏显示"))
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("正文"))
    delivery_key = models.CharField(_("投递键"), max_length=200, unique=True,
                                    help_text=_("同一投递键只发送一次"))
    related_type = models.ForeignKey(ContentType, verbose_name=_("关联对象类型"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    related_id = models.CharField(_("关联对象"), max_length=64, blank=True, default="")
    template = models.ForeignKey(MessageTemplate, verbose_name=_("模板"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="messages")
    params = models.JSONField(_("模板参数"), default=list, blank=True, editable=False,
                              help_text=_("模板占位符的值（按出现顺序），供按模板发送的短信服务商使用"))
    resent_from = models.ForeignKey("self", verbose_name=_("重发自"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="resends")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    status_reason = models.CharField(_("状态说明"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    scheduled_for = models.DateTimeField(_("计划发送时间"), null=True, blank=True,
                                         help_text=_("免打扰时段内的消息推迟到可发送时段开始"))
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True, editable=False)
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True, editable=False,
                                       help_text=_("投递任务最近一次入队的时间；推迟或重试时清空"))
    provider_message_id = models.CharField(_("服务商消息编号"), max_length=120, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息记录")
        ordering = ["-id"]
        permissions = [("resend_message", _("可以重发消息"))]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due_idx"),
            models.Index(fields=["user", "channel", "read_at"], name="notify_msg_inbox_idx"),
            models.Index(fields=["customer", "channel", "sent_at"], name="notify_msg_cap_idx"),
            models.Index(fields=["related_type", "related_id"], name="notify_msg_related_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(customer__isnull=True) | Q(user__isnull=True),
                                   name="notify_message_one_recipient"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk}"

    @property
    def recipient_label(self) -> str:
        if self.customer_id:
            return str(self.customer)
        if self.user_id:
            return str(self.user)
        return self.address_display

    @property
    def related(self):
        if not self.related_type_id or not self.related_id:
            return None
        model = self.related_type.model_class()
        return model._default_manager.filter(pk=self.related_id).first() if model else None


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        SENT = "sent", _("已发送")
        RETRY = "retry", _("失败，将重试")
        FAILED = "failed", _("失败")
        SUPPRESSED = "suppressed", _("未发送")
        DEFERRED = "deferred", _("推迟")
        DELIVERED = "delivered", _("回执：已送达")
        UNDELIVERED = "undelivered", _("回执：未送达")

    message = models.ForeignKey(Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="attempts_log")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    error = models.TextField(_("说明"), blank=True)
    provider_message_id = models.CharField(_("服务商消息编号"), max_length=120, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["message", "id"]

    def __str__(self):
        from django.utils import timezone

        return f"{self.get_outcome_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}" if self.at else ""


class OptOut(models.Model):
    """A customer's wish to get no more messages on a channel (退订). Withdrawing it keeps the row
    (withdrawn_at/by/reason), so the history of both is recorded."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="opt_outs")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    reason = models.CharField(_("退订原因"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    withdraw_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    scope_branch_field = "customer__branch"

    class Meta:
        verbose_name = _("退订")
        verbose_name_plural = _("退订记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], condition=Q(withdrawn_at__isnull=True),
                                    name="notify_optout_one_active"),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_channel_display()}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class NotifySettings(models.Model):
    """The sending rules (one row, pk=1): the window in which SMS (and calls) may go out, in
    Asia/Shanghai time, and how many messages a customer gets per day per channel."""

    window_start = models.TimeField(_("可发送时段开始"), default=dt.time(8, 0),
                                    help_text=_("此时间之前不发短信（北京时间）"))
    window_end = models.TimeField(_("可发送时段结束"), default=dt.time(21, 0),
                                  help_text=_("此时间之后不发短信（北京时间）"))
    quiet_hours_email = models.BooleanField(_("邮件也遵守免打扰时段"), default=False)
    daily_cap_sms = models.PositiveSmallIntegerField(_("每位客户每天短信上限"), default=3,
                                                     help_text=_("0 表示不限"))
    daily_cap_email = models.PositiveSmallIntegerField(_("每位客户每天邮件上限"), default=5,
                                                       help_text=_("0 表示不限"))
    daily_cap_inapp = models.PositiveSmallIntegerField(_("每位客户每天站内消息上限"), default=0,
                                                       help_text=_("0 表示不限"))
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=5,
                                                    help_text=_("网关超时或出错时重试，达到次数后记为失败"))
    retry_base_seconds = models.PositiveIntegerField(_("首次重试间隔（秒）"), default=60,
                                                     help_text=_("之后每次加倍"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息发送设置")
        verbose_name_plural = _("消息发送设置")

    def __str__(self):
        return str(_("消息发送设置"))

    def cap_for(self, channel: str) -> int:
        return {Channel.SMS: self.daily_cap_sms, Channel.EMAIL: self.daily_cap_email,
                Channel.INAPP: self.daily_cap_inapp}.get(channel, 0)

    def quiet_hours_apply(self, channel: str) -> bool:
        return channel == Channel.SMS or (channel == Channel.EMAIL and self.quiet_hours_email)
