"""Human-readable document numbers: <PREFIX><YYYYMMDD>-<NNNN>, e.g. JD20261128-0001.

Unique per organisation; gap-free within a day because the counter is incremented inside the
caller's transaction (a rolled-back document gives its number back); safe under concurrency
because the one statement that takes a number, an upsert (INSERT … ON CONFLICT DO UPDATE …
RETURNING), locks the counter row until the caller commits (PostgreSQL's row lock; SQLite's
IMMEDIATE transaction holds the database's write lock).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from ioudesk.core import clock
from ioudesk.core.models import DocumentSequence, Organisation

# The counter row is created on the first number of a day and incremented after that, in one
# statement. `organisation` is an id or, when NULL, the organisation (the first one, as
# organisation_current() has it). The WHERE clause keeps SQLite from reading ON as a join.
_TAKE = (
    "INSERT INTO {table} (organisation_id, prefix, day, last_value) "
    "SELECT id, %s, %s, 1 FROM {organisation} "
    "WHERE id = COALESCE(%s, (SELECT MIN(id) FROM {organisation})) "
    "ON CONFLICT (organisation_id, prefix, day) DO UPDATE SET last_value = {table}.last_value + 1 "
    "RETURNING last_value"
)


def format_number(prefix: str, day: date, value: int) -> str:
    """
    >>> format_number("JD", date(2026, 11, 28), 1)
    'JD20261128-0001'
    >>> format_number("JD", date(2026, 11, 28), 12345)
    'JD20261128-12345'
    """
    return f"{prefix}{day:%Y%m%d}-{value:04d}"


def next_number(*, organisation: Organisation | int | None = None, prefix: str, day: date | None = None) -> str:
    """The next number for `prefix` on `day` (the business date by default), taken inside the
    caller's transaction. `organisation` defaults to the organisation."""
    day = day or clock.today()
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    sql = _TAKE.format(table=connection.ops.quote_name(DocumentSequence._meta.db_table),
                       organisation=connection.ops.quote_name(Organisation._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, connection.ops.adapt_datefield_value(day), organisation_id])
        row = cursor.fetchone()
    if row is None:  # no organisation yet: make it, then take the number
        from ioudesk.core.services import organisation_ensure

        return next_number(organisation=organisation_ensure(), prefix=prefix, day=day)
    return format_number(prefix, day, row[0])
