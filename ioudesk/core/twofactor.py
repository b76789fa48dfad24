"""Optional TOTP second factor for staff (django-otp). A staff member who has confirmed a device
must enter its 6-digit code after the password before any back-office page opens."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioudesk.core import audit
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models.audit import AuditAction


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_device_start(*, user) -> TOTPDevice:
    """A new unconfirmed device for the user (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationFailed(_("没有待确认的设备，请重新开始绑定。"))
    if not device.verify_token((token or "").strip()):
        raise ValidationFailed(_("验证码不正确或已过期，请输入身份验证器上当前显示的6位数字。"))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(AuditAction.ACTION, obj=user, verb="启用双重验证")
    return device


@transaction.atomic
def totp_devices_remove(*, user, reason: str = "") -> int:
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    if count:
        audit.record(AuditAction.ACTION, obj=user, verb="停用双重验证", reason=reason)
    return count


def verify(*, user, token: str) -> TOTPDevice | None:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token((token or "").strip()):
            return device
    return None
