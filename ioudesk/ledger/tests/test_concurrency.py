"""Clerks posting at once: 8 threads × 25 post_entry calls over 100 idempotency keys, each key sent
by two threads. Exactly one entry per key, gap-free numbers, the ledger balanced. On PostgreSQL,
and on SQLite with a file copy of the test database (the `sqlite_file_db` fixture)."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection

from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.models import JournalEntry, Posting
from ioudesk.ledger.services import Line, post_entry
from ioudesk.ledger.verify import verify

THREADS, CALLS, KEYS = 8, 25, 100


def amount_for(key: int) -> Decimal:
    return Decimal(1000 + key) / 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posting_with_duplicate_keys(organisation, chart, business_date):
    post_concurrently(business_date)


@pytest.mark.django_db(transaction=True)
def test_concurrent_posting_with_duplicate_keys_on_sqlite(sqlite_file_db, organisation, chart, business_date):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    assert not connection.is_in_memory_db()
    post_concurrently(business_date)


def post_concurrently(business_date):
    calls = [key for key in range(KEYS) for _ in range(2)]
    random.Random(20261128).shuffle(calls)
    chunks = [calls[i * CALLS:(i + 1) * CALLS] for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    results: dict[int, set[int]] = {key: set() for key in range(KEYS)}
    errors = []
    lock = threading.Lock()

    def clerk(keys):
        from ioudesk.core import clock

        try:
            with clock.frozen(business_date):
                start.wait()
                for key in keys:
                    amount = amount_for(key)
                    entry = post_entry(kind="repayment", iou_id=key, idempotency_key=f"repay-{key}", lines=[
                        Line(C.BANK_BASIC, debit=amount), Line(C.LOANS, credit=amount)])
                    with lock:
                        results[key].add(entry.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert all(len(ids) == 1 for ids in results.values())  # both callers of a key got the same entry
    assert JournalEntry.objects.count() == KEYS and Posting.objects.count() == 2 * KEYS
    numbers = sorted(JournalEntry.objects.values_list("number", flat=True))
    assert numbers == [f"PZ20261128-{n:04d}" for n in range(1, KEYS + 1)]  # no gaps from lost races
    report = verify()
    assert report.ok, report.differences
    assert report.debit_total == sum(amount_for(key) for key in range(KEYS))  # each key once
