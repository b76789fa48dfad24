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
    from django.db import connection

    # The organisation's (the first one's) business date; a hand-written statement because money
    # services ask for it several times per call (Organisation.objects.order_by("id").first()).
    with connection.cursor() as cursor:
        cursor.execute("SELECT business_date FROM core_organisation ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    stored = row[0] if row else None
    if isinstance(stored, str):  # a raw SQLite read of a date column
        stored = date.fromisoformat(stored)
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
