"""Channel backends: how a message leaves. Each has `send(message) -> SendResult` and raises
`TransientError` (a timeout, a 5xx, no connection: retried with backoff) or `PermanentError` (the
gateway refused the message: failed at once). SMS backends are in ioudesk/notify/sms.py."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from ioudesk.notify.models import Channel
from ioudesk.notify.outcomes import PermanentError, SendResult, TransientError  # noqa: F401 (re-exported)


class InAppBackend:
    """Staff (and later portal) inbox: the message row is the message; delivering it is marking it."""

    def send(self, message) -> SendResult:
        return SendResult(provider_message_id=f"inapp-{message.pk}", delivered=True)


# A message's e-mail attachments, by the model of the object it relates to ("reports.generatedreport"):
# provider(message) -> [(file name, bytes, MIME type)], registered by the app that owns the model (the
# scheduled reports attach their file). A provider raises PermanentError when the file it promised is gone.
EMAIL_ATTACHMENTS: dict[str, Callable] = {}


def register_email_attachments(model_label: str, provider: Callable) -> None:
    EMAIL_ATTACHMENTS[model_label.lower()] = provider


def email_attachments(message) -> list[tuple[str, bytes, str]]:
    if not message.related_type_id or not EMAIL_ATTACHMENTS:
        return []
    from django.contrib.contenttypes.models import ContentType

    related = ContentType.objects.get_for_id(message.related_type_id)
    provider = EMAIL_ATTACHMENTS.get(f"{related.app_label}.{related.model}")
    return list(provider(message)) if provider else []


class EmailBackend:
    """Django's configured e-mail backend (console or file in development, SMTP from the environment:
    config/settings.py), one connection per message, EMAIL_TIMEOUT; the attachments its related object's
    app registered (EMAIL_ATTACHMENTS)."""

    def send(self, message) -> SendResult:
        from ioudesk.notify.placeholders import category_label

        subject = message.subject or category_label(message.category)
        email = EmailMessage(subject=subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
                             to=[message.address], headers={"X-IOUDesk-Delivery-Key": message.delivery_key})
        for name, content, mimetype in email_attachments(message):
            email.attach(name, content, mimetype)
        try:
            sent = get_connection().send_messages([email])  # SMTP waits at most EMAIL_TIMEOUT seconds
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"收件地址被拒收：{error}") from error
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise TransientError(f"邮件服务器暂时拒绝（{error.smtp_code}）：{error.smtp_error!r}") from error
            raise PermanentError(f"邮件服务器拒绝（{error.smtp_code}）：{error.smtp_error!r}") from error
        except (TimeoutError, ConnectionError, smtplib.SMTPServerDisconnected, OSError) as error:
            raise TransientError(f"连接邮件服务器失败：{type(error).__name__}: {error}") from error
        if not sent:
            raise TransientError("邮件后端没有发出这封邮件")
        return SendResult(provider_message_id=email.extra_headers.get("Message-ID", ""))


def backend_for(channel: str):
    if channel == Channel.INAPP:
        return InAppBackend()
    if channel == Channel.EMAIL:
        return EmailBackend()
    if channel == Channel.SMS:
        from ioudesk.notify.sms import sms_backend

        return sms_backend()
    raise PermanentError(f"未知的渠道：{channel}")
