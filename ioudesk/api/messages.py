"""/api/v1/messages: the message log (the back office's 消息记录) and resend, with the same
permissions (notify.view_message, notify.resend_message) and data scope."""

import hmac
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS, documented
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.core.errors import PermissionDenied
from ioudesk.notify import placeholders, selectors, services
from ioudesk.notify.models import Message
from ioudesk.notify.services import LOCAL_TZ
from ioudesk.notify.sms import SIGNATURE_HEADER, webhook_verify

router = Router(tags=["消息"])

ChannelName = Literal["inapp", "email", "sms"]
StatusName = Literal["queued", "sending", "sent", "delivered", "failed", "suppressed"]


class MessageAttemptOut(Schema):
    at: datetime
    outcome: str
    error: str
    provider_message_id: str
    duration_ms: int


class MessageOut(Schema):
    id: int
    channel: str
    category: str
    category_label: str
    customer_id: int | None
    user_id: int | None
    address_masked: str
    subject: str
    body: str
    status: str
    status_reason: str
    attempts: int
    next_attempt_at: datetime | None
    scheduled_for: datetime | None
    provider_message_id: str
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    delivery_key: str
    related_type: str
    related_id: str
    template_code: str
    resent_from_id: int | None
    created_at: datetime

    @staticmethod
    def of(message: Message) -> "MessageOut":
        return MessageOut(
            id=message.pk, channel=message.channel, category=message.category,
            category_label=placeholders.category_label(message.category), customer_id=message.customer_id,
            user_id=message.user_id, address_masked=message.address_display, subject=message.subject,
            body=message.body, status=message.status, status_reason=message.status_reason,
            attempts=message.attempts, next_attempt_at=message.next_attempt_at, scheduled_for=message.scheduled_for,
            provider_message_id=message.provider_message_id, sent_at=message.sent_at,
            delivered_at=message.delivered_at, read_at=message.read_at, delivery_key=message.delivery_key,
            related_type=(f"{message.related_type.app_label}.{message.related_type.model}"
                          if message.related_type_id else ""),
            related_id=message.related_id, template_code=message.template.code if message.template_id else "",
            resent_from_id=message.resent_from_id, created_at=message.created_at,
        )


class MessageDetailOut(MessageOut):
    delivery_attempts: list[MessageAttemptOut]


class MessageFilters(Schema):
    channel: ChannelName | None = None
    status: StatusName | None = None
    category: str | None = None
    customer_id: int | None = None
    user_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None


class ResendIn(Schema):
    reason: str = ""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)


@router.get("", response={200: list[MessageOut], **READ_ERRORS},
            summary="消息记录（按渠道、状态、类别、客户、员工、日期筛选，分页）")
@paginate(Pages, page_size=50)
def message_list(request, filters: Query[MessageFilters]):
    require_perm(request, "notify.view_message")
    queryset = selectors.messages_visible(request.user).select_related("related_type")
    for field in ("channel", "status", "category", "customer_id", "user_id"):
        if getattr(filters, field) is not None:
            queryset = queryset.filter(**{field: getattr(filters, field)})
    if filters.created_from:
        queryset = queryset.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to and filters.created_to < date.max:
        queryset = queryset.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    return [MessageOut.of(m) for m in queryset.order_by("-id")]


@router.get("/{int:message_id}", response={200: MessageDetailOut, **READ_ERRORS},
            summary="消息详情（含每次投递记录）")
def message_detail(request, message_id: int):
    require_perm(request, "notify.view_message")
    message = selectors.message_get(user=request.user, pk=message_id)
    return MessageDetailOut(**MessageOut.of(message).dict(), delivery_attempts=[
        MessageAttemptOut(at=a.at, outcome=a.outcome, error=a.error, provider_message_id=a.provider_message_id,
                          duration_ms=a.duration_ms) for a in message.attempts_log.order_by("id")])


@router.post("/{int:message_id}/resend", response={201: MessageOut, **WRITE_ERRORS},
             summary="重发消息（新建一条内容相同的消息并排队发送，记入审计日志）")
def message_resend(request, message_id: int, payload: ResendIn):
    require_perm(request, "notify.view_message", "notify.resend_message")
    message = selectors.message_get(user=request.user, pk=message_id)
    copy = services.message_resend(message=message, user=request.user, reason=payload.reason)
    return Status(201, MessageOut.of(copy))


# --- delivery receipts from the SMS gateway (no staff token: the gateway signs or names a token) --------


class ReceiptIn(Schema):
    id: str = Field(..., min_length=1, max_length=120, description="服务商消息编号（发送时网关返回的编号）")
    status: Literal["delivered", "failed"]
    error: str = Field("", max_length=300)
    at: datetime | None = None


class ReceiptsIn(Schema):
    receipts: list[ReceiptIn] = Field(..., max_length=1000)


class TencentReceiptIn(Schema):
    sid: str = Field(..., min_length=1, max_length=120)
    report_status: str = Field(..., max_length=20)
    errmsg: str = Field("", max_length=100)
    description: str = Field("", max_length=300)
    user_receive_time: str = Field("", max_length=30)


class ReceiptsOut(Schema):
    applied: int
    ignored: int


RECEIPT_ERRORS = documented(400, 403, 422)


def _apply(receipts: list[tuple[str, bool, datetime | None, str]]) -> ReceiptsOut:
    applied = sum(1 for pid, ok, at, error in receipts
                  if services.message_receipt(provider_message_id=pid, delivered=ok, at=at, error=error))
    return ReceiptsOut(applied=applied, ignored=len(receipts) - applied)


@router.post("/receipts", auth=None, response={200: ReceiptsOut, **RECEIPT_ERRORS},
             summary="短信网关的送达回执（请求体须带网关签名，密钥与发送时相同）")
def message_receipts(request, payload: ReceiptsIn):
    secret = django_settings.IOUDESK_SMS_WEBHOOK_SECRET
    if not secret or not webhook_verify(secret, request.headers.get(SIGNATURE_HEADER, ""), request.body):
        raise PermissionDenied(_("回执签名无效"))
    return _apply([(r.id, r.status == "delivered", r.at, r.error) for r in payload.receipts])


@router.post("/receipts/tencent", auth=None, response={200: ReceiptsOut, **RECEIPT_ERRORS},
             summary="腾讯云短信的状态回执（回调地址须带回执令牌）")
def message_receipts_tencent(request, payload: list[TencentReceiptIn], token: str = ""):
    expected = django_settings.IOUDESK_SMS_RECEIPT_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PermissionDenied(_("回执令牌无效"))
    return _apply([(r.sid, r.report_status == "SUCCESS", None, f"{r.errmsg} {r.description}".strip())
                   for r in payload[:1000]])
