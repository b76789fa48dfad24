"""Rate limits for the public pages, counted in the database (``RateLimitHit``) so that every web
process and worker sees the same hits (the default cache is per process)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioudesk.applications.models import RateLimitHit
from ioudesk.core.errors import ValidationFailed

KEEP = dt.timedelta(days=2)  # hits older than this are removed (the longest window is a day)


class RateLimited(ValidationFailed):
    code = "rate_limited"


def _window_text(window: dt.timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return _("%(n)d 天") % {"n": seconds // 86400}
    if seconds % 3600 == 0:
        return _("%(n)d 小时") % {"n": seconds // 3600}
    return _("%(n)d 分钟") % {"n": max(1, seconds // 60)}


def count(bucket: str, window: dt.timedelta, *, now=None) -> int:
    now = now or timezone.now()
    return RateLimitHit.objects.filter(bucket=bucket, at__gt=now - window).count()


def hit(bucket: str, *, limit: int, window: dt.timedelta, message=None, now=None) -> None:
    """Count one use of ``bucket``; refuse (RateLimited, nothing counted) when ``limit`` uses were
    already made within ``window``. Committed at once, whatever the caller does next: a refused or
    failed submission still counts."""
    now = now or timezone.now()
    with transaction.atomic():
        used = count(bucket, window, now=now)
        if used >= limit:
            raise RateLimited(message or _("操作过于频繁：%(window)s内最多 %(limit)d 次，请稍后再试。") % {
                "window": _window_text(window), "limit": limit})
        RateLimitHit.objects.create(bucket=bucket, at=now)
        if used == 0:  # now and then: drop what no window reaches any more
            RateLimitHit.objects.filter(at__lt=now - KEEP).delete()
