"""Human-readable document numbers: <PREFIX><YYYYMMDD>-<NNNN>, e.g. JD20261128-0001.

Unique per organisation; gap-free within a day because the counter is incremented inside the
caller's transaction (a rolled-back document gives its number back); safe under concurrency
because the counter row is locked (`select_for_update` on PostgreSQL, the IMMEDIATE write lock on
SQLite).
"""

from datetime import date

from django.db import IntegrityError, transaction

from ioudesk.core import clock
from ioudesk.core.models import DocumentSequence, Organisation


def format_number(prefix: str, day: date, value: int) -> str:
    """
    >>> format_number("JD", date(2026, 11, 28), 1)
    'JD20261128-0001'
    >>> format_number("JD", date(2026, 11, 28), 12345)
    'JD20261128-12345'
    """
    return f"{prefix}{day:%Y%m%d}-{value:04d}"


@transaction.atomic(savepoint=False)  # part of the caller's transaction; nothing to undo on its own
def next_number(*, organisation: Organisation, prefix: str, day: date | None = None) -> str:
    day = day or clock.today()
    sequence = _locked_sequence(organisation, prefix, day)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return format_number(prefix, day, sequence.last_value)


def _locked_sequence(organisation: Organisation, prefix: str, day: date) -> DocumentSequence:
    lookup = {"organisation": organisation, "prefix": prefix, "day": day}
    sequence = DocumentSequence.objects.select_for_update().filter(**lookup).first()
    if sequence is not None:
        return sequence
    try:
        with transaction.atomic():
            return DocumentSequence.objects.create(**lookup)
    except IntegrityError:  # another transaction created it first; wait for its lock
        return DocumentSequence.objects.select_for_update().get(**lookup)
