"""Many clerks repaying one IOU at once: no lost update, no double posting, balances exact.

The worked example (¥10,000, 12 %, 12 equal monthly installments from 2026-01-15) on 2026-02-15,
when installment 1 (interest 100.00 + principal 788.49) falls due. 8 threads each post 5 payments
of ¥25.00 with their own idempotency keys (40 × 25.00 = 1,000.00), and each then re-sends its first
key with another amount (refused: the one expected error). 2 more threads re-send 10 of those keys
at random moments, racing the first senders. Whatever the interleaving: exactly 40 repayments,
1,000.00 repaid, installment 1 paid, principal 9,211.51, credit 111.51, and `ledger verify` clean.

Both databases run it in `make test`: PostgreSQL locks the IOU row with SELECT … FOR UPDATE
(scripts/with-postgres .venv/bin/pytest -q ioudesk/ious/tests/test_concurrency.py); on SQLite the
IMMEDIATE transactions take the database's write lock, on a file copy of the test database made
for this test (the `sqlite_file_db` fixture: threads cannot share the in-memory one).
"""

import random
import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState
from ioudesk.core.models import User
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify

THREADS, PER_THREAD, RESENDERS, RESENDS = 8, 5, 2, 10
AMOUNT = D("25.00")
DAY = date(2026, 2, 15)


def disbursed_loan(debtor, manager, approver, finance) -> Iou:
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance, idempotency_key="disburse-1")
    return iou


def run_clerks(iou: Iou, finance) -> tuple[dict[str, set[int]], list[str], list[str]]:
    keys = [[f"t{t}-r{m}" for m in range(PER_THREAD)] for t in range(THREADS)]
    every_key = [key for chunk in keys for key in chunk]
    rng = random.Random(20260215)
    resends = [rng.sample(every_key, RESENDS) for _ in range(RESENDERS)]
    start = threading.Barrier(THREADS + RESENDERS)
    results: dict[str, set[int]] = {key: set() for key in every_key}
    expected, unexpected = [], []
    guard = threading.Lock()

    def pay(user, key, amount=AMOUNT):
        record = iou_repay(iou=Iou(pk=iou.pk), amount=amount, user=user, idempotency_key=key)
        with guard:
            results[key].add(record.pk)

    def clerk(my_keys, *, resender: bool):
        try:
            user = User.objects.get(pk=finance.pk)  # one user object (and permission cache) per thread
            with clock.frozen(DAY):
                start.wait(timeout=60)
                for key in my_keys:
                    pay(user, key)
                if not resender:
                    try:
                        pay(user, my_keys[0], amount=AMOUNT + 1)
                        unexpected.append(f"{my_keys[0]} with another amount was accepted")
                    except InvalidState as error:
                        expected.append(str(error.message))
        except Exception as error:  # noqa: BLE001 - reported by the test
            unexpected.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(chunk,), kwargs={"resender": False}) for chunk in keys]
    threads += [threading.Thread(target=clerk, args=(chunk,), kwargs={"resender": True}) for chunk in resends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a clerk thread hung"
    return results, expected, unexpected


def check_outcome(iou: Iou, results, expected, unexpected, entries_before: int) -> None:
    assert unexpected == []
    assert len(expected) == THREADS and all("幂等键已用于另一笔业务" in message for message in expected)
    assert all(len(ids) == 1 for ids in results.values()), {k: v for k, v in results.items() if len(v) != 1}

    repayments = Transaction.objects.filter(iou=iou, kind="repayment")
    count = THREADS * PER_THREAD
    assert repayments.count() == count
    assert set(repayments.values_list("idempotency_key", flat=True)) == set(results)
    assert sum(r.amount for r in repayments) == count * AMOUNT == D("1000.00")
    assert sum(r.principal for r in repayments) == D("788.49")
    assert sum(r.interest for r in repayments) == D("100.00")
    assert sum(r.overpayment for r in repayments) == D("111.51")
    # One accrual (interest 100.00 falls due, posted by whichever payment came first) + 40 payments.
    assert JournalEntry.objects.count() == entries_before + 1 + count

    iou.refresh_from_db()
    assert (iou.principal_outstanding, iou.interest_outstanding, iou.penalty_outstanding, iou.fee_outstanding,
            iou.overpayment) == (D("9211.51"), 0, 0, 0, D("111.51"))
    first = iou.schedules.get(is_current=True).installments.get(number=1)
    assert (first.principal_paid, first.interest_paid, first.paid_off_on) == (D("788.49"), D("100.00"), DAY)
    report = verify()
    assert report.ok, report.differences


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repayments_on_postgresql(debtor, manager, approver, finance):
    iou = disbursed_loan(debtor, manager, approver, finance)
    entries = JournalEntry.objects.count()

    results, expected, unexpected = run_clerks(iou, finance)

    check_outcome(iou, results, expected, unexpected, entries)


@pytest.mark.django_db(transaction=True)
def test_concurrent_repayments_on_sqlite(sqlite_file_db, debtor, manager, approver, finance):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    assert not connection.is_in_memory_db()  # threads share one file, as in production
    iou = disbursed_loan(debtor, manager, approver, finance)
    entries = JournalEntry.objects.count()

    results, expected, unexpected = run_clerks(iou, finance)

    check_outcome(iou, results, expected, unexpected, entries)
