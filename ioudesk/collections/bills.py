"""What collections asks of receivables about a bill's case (往来账款), without importing it
(receivables imports collections, never the other way round): filled at start-up by
``ioudesk.receivables.cases.register()`` through ``receivables/registrations.py``.

- ``overdue(bill_ids, day)``: each bill's overdue open amount on ``day`` (its open items due on or
  before the day, what is still open of them): a bill case's arrears and what a promise may reach;
- ``matched(bill_ids, first, last)``: the matches (核销, ``receivables.Allocation``, not undone) to
  those bills' open items, by day, as (bill id, day, amount) rows: what judges a bill case's promise.

Without a registered source (a test that unregisters it) a bill owes nothing and was paid nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BillSource:
    overdue: Callable[[Iterable[int], date], dict[int, Decimal]]
    matched: Callable[[Iterable[int], date, date], list[tuple[int, date, Decimal]]]


_SOURCE: list[BillSource] = []


def register_bill_source(source: BillSource) -> None:
    _SOURCE[:] = [source]


def bill_overdue(bill_ids, day: date) -> dict[int, Decimal]:
    ids = [pk for pk in bill_ids if pk is not None]
    if not ids or not _SOURCE:
        return {}
    return _SOURCE[0].overdue(ids, day)


def bill_matched(bill_ids, first: date, last: date) -> list[tuple[int, date, Decimal]]:
    ids = [pk for pk in bill_ids if pk is not None]
    if not ids or not _SOURCE:
        return []
    return _SOURCE[0].matched(ids, first, last)
