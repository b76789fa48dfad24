"""Human-readable document numbers: <PREFIX><YYYYMMDD>-<NNNN>, e.g. JD20261128-0001.

Unique per organisation. Two ways to take a number:

- ``next_number`` on its own increments the day's counter row inside the caller's transaction:
  gap-free within a day (a rolled-back document gives its number back) and safe under concurrency,
  because the one statement that takes a number, an upsert (INSERT … ON CONFLICT DO UPDATE …
  RETURNING), locks the counter row until the caller commits (PostgreSQL's row lock; SQLite's
  IMMEDIATE transaction holds the database's write lock). That row is a hot row: a second
  transaction wanting a number for the same prefix and day waits for the first to commit.
- inside ``reserved_block(prefix, day, size)`` (decision 0007), used by batch work such as the
  daily close's workers: the block of ``size`` numbers is reserved up front in its own short
  transaction, and ``next_number`` for that prefix and day then hands them out from memory,
  without touching the counter row, so parallel workers never queue on it. Numbers a worker does
  not use (its block was too large, or a transaction that took one rolled back) are gaps. When the
  block runs out, ``next_number`` takes a fresh block of the same size if it can (outside a
  transaction) and otherwise falls back to the counter row for that number.

Ordering: within one worker (one ``reserved_block``) the numbers are strictly increasing in the
order they are taken; across workers, every number of a block is above every number reserved or
taken before that block was reserved, and below every number reserved after it. Numbers are not
in commit order across workers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction

from ioudesk.core import clock
from ioudesk.core.models import DocumentSequence, Organisation

# The counter row is created on the first number of a day and incremented after that, in one
# statement. `organisation` is an id or, when NULL, the organisation (the first one, as
# organisation_current() has it). The WHERE clause keeps SQLite from reading ON as a join.
# %s (the step) is 1 for one number and the block's size for a block: the row then says the last
# number reserved.
_TAKE = (
    "INSERT INTO {table} (organisation_id, prefix, day, last_value) "
    "SELECT id, %s, %s, %s FROM {organisation} "
    "WHERE id = COALESCE(%s, (SELECT MIN(id) FROM {organisation})) "
    "ON CONFLICT (organisation_id, prefix, day) DO UPDATE SET last_value = {table}.last_value + %s "
    "RETURNING organisation_id, last_value"
)

MAX_BLOCK = 1_000_000


class NumberBlockError(RuntimeError):
    """A number block asked for where it cannot be reserved (inside a transaction, a bad size)."""


def format_number(prefix: str, day: date, value: int) -> str:
    """
    >>> format_number("JD", date(2026, 11, 28), 1)
    'JD20261128-0001'
    >>> format_number("JD", date(2026, 11, 28), 12345)
    'JD20261128-12345'
    """
    return f"{prefix}{day:%Y%m%d}-{value:04d}"


@dataclass
class NumberBlock:
    """Numbers ``first`` … ``last`` of ``prefix`` on ``day`` reserved for one worker; ``next`` is the
    next one to hand out. ``reserved`` lists every (first, last) range reserved for this block
    (more than one when it ran out and was refilled)."""

    organisation_id: int
    requested_organisation_id: int | None
    prefix: str
    day: date
    size: int
    first: int
    last: int
    next: int
    taken: int = 0
    fallbacks: int = 0  # numbers taken from the counter row because the block ran out in a transaction
    reserved: list[tuple[int, int]] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.last - self.next + 1

    def unused(self) -> tuple[int, int] | None:
        """The range of reserved numbers never handed out (a gap in the day's numbers), or None."""
        return (self.next, self.last) if self.next <= self.last else None

    def matches(self, organisation_id: int | None, prefix: str, day: date) -> bool:
        if prefix != self.prefix or day != self.day:
            return False
        if organisation_id is None:
            return self.requested_organisation_id is None
        return organisation_id == self.organisation_id


# The blocks open in this thread / task, innermost last (a context variable: each thread, and each
# asyncio task, has its own; a block is never shared between workers).
_blocks: contextvars.ContextVar[tuple[NumberBlock, ...]] = contextvars.ContextVar("number_blocks", default=())


def _take(organisation_id: int | None, prefix: str, day: date, step: int) -> tuple[int, int] | None:
    sql = _TAKE.format(table=connection.ops.quote_name(DocumentSequence._meta.db_table),
                       organisation=connection.ops.quote_name(Organisation._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, connection.ops.adapt_datefield_value(day), step, organisation_id, step])
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None


def _reserve(organisation_id: int | None, prefix: str, day: date, size: int) -> tuple[int, int]:
    """Reserve `size` numbers in a transaction of its own; returns (organisation id, last number)."""
    with transaction.atomic():
        row = _take(organisation_id, prefix, day, size)
    if row is None:  # no organisation yet: make it, then reserve
        from ioudesk.core.services import organisation_ensure

        return _reserve(organisation_ensure().pk, prefix, day, size)
    return row


@contextmanager
def reserved_block(prefix: str, day: date, size: int, *,
                   organisation: Organisation | int | None = None) -> Iterator[NumberBlock]:
    """Reserve `size` numbers of `prefix` on `day` now, in a short transaction of their own, and
    hand them out to ``next_number`` calls for that prefix and day inside the ``with`` (in this
    thread). Must be entered outside any transaction: inside one, the counter row would stay locked
    until that transaction ends, which is the queue the block exists to avoid. Numbers left over
    at the end are gaps (see ``NumberBlock.unused()``)."""
    if connection.in_atomic_block:
        raise NumberBlockError(
            "numbering.reserved_block() must be entered outside a transaction (atomic block): it reserves "
            "its numbers in a transaction of its own so that no counter row stays locked while the work runs"
        )
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BLOCK:
        raise NumberBlockError(f"numbering.reserved_block(): size must be an integer from 1 to {MAX_BLOCK:,}, not {size!r}")
    requested = organisation.pk if isinstance(organisation, Organisation) else organisation
    organisation_id, last = _reserve(requested, prefix, day, size)
    block = NumberBlock(organisation_id=organisation_id, requested_organisation_id=requested, prefix=prefix, day=day,
                        size=size, first=last - size + 1, last=last, next=last - size + 1,
                        reserved=[(last - size + 1, last)])
    token = _blocks.set((*_blocks.get(), block))
    try:
        yield block
    finally:
        _blocks.reset(token)


def _from_block(organisation_id: int | None, prefix: str, day: date) -> str | None:
    for block in reversed(_blocks.get()):
        if not block.matches(organisation_id, prefix, day):
            continue
        if block.remaining <= 0:
            if connection.in_atomic_block:
                block.fallbacks += 1
                return None  # the counter row, for this one number (strictly above the block)
            _, last = _reserve(block.organisation_id, prefix, day, block.size)
            block.first, block.last, block.next = last - block.size + 1, last, last - block.size + 1
            block.reserved.append((block.first, block.last))
        value = block.next
        block.next += 1
        block.taken += 1
        return format_number(prefix, day, value)
    return None


def next_number(*, organisation: Organisation | int | None = None, prefix: str, day: date | None = None) -> str:
    """The next number for `prefix` on `day` (the business date by default): from the innermost
    ``reserved_block`` for that prefix and day if one is open in this thread, otherwise taken from the
    counter row inside the caller's transaction. `organisation` defaults to the organisation."""
    day = day or clock.today()
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    if _blocks.get():
        number = _from_block(organisation_id, prefix, day)
        if number is not None:
            return number
    row = _take(organisation_id, prefix, day, 1)
    if row is None:  # no organisation yet: make it, then take the number
        from ioudesk.core.services import organisation_ensure

        return next_number(organisation=organisation_ensure(), prefix=prefix, day=day)
    return format_number(prefix, day, row[1])
