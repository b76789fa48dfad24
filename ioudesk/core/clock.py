"""The business clock (营业日). Every feature asks `clock.today()` instead of `date.today()`.

The business date is the organisation's `business_date` when the administrator has set one (for
back-dating and demos), otherwise today's date in Asia/Shanghai. Tests pin it with `frozen()`:

    with clock.frozen(date(2026, 11, 28)):
        ...
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_override: ContextVar[date | None] = ContextVar("business_date_override", default=None)


def today() -> date:
    pinned = _override.get()
    if pinned is not None:
        return pinned
    from ioudesk.core.models import Organisation

    stored = Organisation.objects.order_by("id").values_list("business_date", flat=True).first()
    return stored or timezone.localdate()


def now() -> datetime:
    """The current moment; only the date part follows the business date."""
    return timezone.now()


@contextlib.contextmanager
def frozen(day: date):
    token = _override.set(day)
    try:
        yield day
    finally:
        _override.reset(token)
