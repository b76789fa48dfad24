"""API tokens: issue, check, revoke. The token is `iou_<random>`; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioudesk.api.models import ApiToken
from ioudesk.core import audit
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction

PREFIX = "iou_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    if not user.is_active or not user.is_staff:
        raise ValidationFailed(_("只有在职员工可以使用接口令牌。"), extra={"field": "user"})
    if not (name or "").strip():
        raise ValidationFailed(_("请填写令牌用途，例如“财务系统对接”。"), extra={"field": "name"})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(_("到期时间必须晚于现在。"), extra={"field": "expires_at"})
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=token[:12], key_hash=_hash(token), expires_at=expires_at
    )
    audit.record(AuditAction.CREATE, obj=record, verb="签发接口令牌", branch_id=user.branch_id)
    return record, token


def api_token_user(token: str):
    """The active staff member a token belongs to, or None."""
    if not token or not token.startswith(PREFIX):
        return None
    record = ApiToken.objects.select_related("user").filter(key_hash=_hash(token), revoked_at__isnull=True).first()
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken, reason: str = "") -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise InvalidState(_("该令牌已吊销。"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(AuditAction.ACTION, obj=token, verb="吊销接口令牌", reason=reason, branch_id=token.user.branch_id)
    return token
