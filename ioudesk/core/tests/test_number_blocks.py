"""Number blocks (decision 0007): a worker reserves a block of voucher numbers in a short
transaction of its own and then numbers its entries without touching the day's counter row, so
parallel close workers never queue on that row."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ioudesk.core import numbering
from ioudesk.core.models import DocumentSequence
from ioudesk.core.numbering import NumberBlockError, next_number, reserved_block
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.services import Line, post_entry
from ioudesk.ledger.verify import verify

DAY = date(2026, 11, 28)


def counter(prefix="PZ", day=DAY) -> int:
    return DocumentSequence.objects.get(prefix=prefix, day=day).last_value


@pytest.mark.django_db(transaction=True)
def test_a_block_hands_out_its_numbers_and_the_rest_are_gaps(organisation):
    assert next_number(prefix="PZ", day=DAY) == "PZ20261128-0001"
    with reserved_block("PZ", DAY, 5) as block:
        assert counter() == 6  # 1 taken before, 2…6 reserved at once
        taken = [next_number(prefix="PZ", day=DAY) for _ in range(3)]
        assert counter() == 6  # the row is not touched inside the block
        other_prefix = next_number(prefix="JD", day=DAY)
        other_day = next_number(prefix="PZ", day=date(2026, 11, 29))
    assert taken == ["PZ20261128-0002", "PZ20261128-0003", "PZ20261128-0004"]
    assert (other_prefix, other_day) == ("JD20261128-0001", "PZ20261129-0001")  # from their own rows
    assert (block.taken, block.unused(), block.reserved) == (3, (5, 6), [(2, 6)])
    assert next_number(prefix="PZ", day=DAY) == "PZ20261128-0007"  # 5 and 6 stay unused: a gap


@pytest.mark.django_db(transaction=True)
def test_a_block_that_runs_out_takes_another_outside_a_transaction_and_the_row_inside_one(organisation):
    with reserved_block("PZ", DAY, 2) as block:
        outside = [next_number(prefix="PZ", day=DAY) for _ in range(3)]  # 1, 2, then a new block 3…4
        with transaction.atomic():
            inside = [next_number(prefix="PZ", day=DAY) for _ in range(2)]  # 4, then the row: 5
    assert outside == ["PZ20261128-0001", "PZ20261128-0002", "PZ20261128-0003"]
    assert inside == ["PZ20261128-0004", "PZ20261128-0005"]
    assert block.reserved == [(1, 2), (3, 4)] and block.fallbacks == 1 and block.unused() is None
    assert counter() == 5


def test_a_block_is_refused_inside_a_transaction(organisation):
    # the `db` fixture runs the test inside a transaction
    assert connection.in_atomic_block
    with pytest.raises(NumberBlockError, match="outside a transaction"), reserved_block("PZ", DAY, 10):
        pass
    assert not DocumentSequence.objects.filter(prefix="PZ").exists()  # nothing reserved


@pytest.mark.django_db(transaction=True)
def test_a_block_size_must_be_a_positive_integer(organisation):
    for size in (0, -1, 2.5, True, numbering.MAX_BLOCK + 1):
        with pytest.raises(NumberBlockError, match="size"), reserved_block("PZ", DAY, size):
            pass
    assert not DocumentSequence.objects.filter(prefix="PZ").exists()  # nothing reserved


@pytest.mark.django_db(transaction=True)
def test_numbers_from_a_block_are_given_to_the_organisation_asked_for(organisation):
    from ioudesk.core.models import Organisation

    other = Organisation.objects.create(name="第二机构")
    with reserved_block("JD", DAY, 3, organisation=other):
        assert next_number(organisation=other, prefix="JD", day=DAY) == "JD20261128-0001"
        assert next_number(organisation=organisation, prefix="JD", day=DAY) == "JD20261128-0001"  # its own row
        assert next_number(organisation=other, prefix="JD", day=DAY) == "JD20261128-0002"
    assert DocumentSequence.objects.get(organisation=other, prefix="JD").last_value == 3


ENTRIES = 40


def post_in_parallel(block_size: int | None, *, hold: bool = False, lock_timeout: str | None = None):
    """Two workers post ENTRIES entries each at once (each entry its own transaction). With `hold`,
    each worker's first transaction waits, after taking its number and before committing, until the
    other worker has taken one too: the two transactions are open at the same time."""
    start = threading.Barrier(2)
    both_hold = threading.Barrier(2, timeout=30)
    numbers: dict[int, list[str]] = {0: [], 1: []}
    errors: list[str] = []

    def worker(index: int):
        from ioudesk.core import clock

        def post(n: int):
            with transaction.atomic():
                if lock_timeout:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
                entry = post_entry(kind="repayment", memo=f"worker {index} #{n}", day=DAY, audited=False, lines=[
                    Line(C.BANK_BASIC, debit=Decimal("1.00")), Line(C.LOANS, credit=Decimal("1.00"))])
                if hold and n == 0:
                    both_hold.wait()
            numbers[index].append(entry.number)

        try:
            with clock.frozen(DAY):
                start.wait()
                if block_size is None:
                    for n in range(ENTRIES):
                        post(n)
                else:
                    with reserved_block("PZ", DAY, block_size):
                        for n in range(ENTRIES):
                            post(n)
        except Exception as error:  # noqa: BLE001 - reported by the caller
            errors.append(repr(error))
            if hold:
                both_hold.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers, errors


def check_unique_and_increasing(numbers):
    values = {i: [int(n.rsplit("-", 1)[1]) for n in numbers[i]] for i in numbers}
    for own in values.values():
        assert len(own) == ENTRIES and own == sorted(own) and len(set(own)) == ENTRIES  # strictly increasing
    everything = values[0] + values[1]
    assert len(set(everything)) == 2 * ENTRIES  # unique across the workers
    assert sorted(JournalEntry.objects.values_list("number", flat=True)) == sorted(numbers[0] + numbers[1])
    report = verify()
    assert report.ok, report.differences
    return values


@pytest.mark.parametrize("block_size", [ENTRIES, 15])
@pytest.mark.django_db(transaction=True)
def test_two_workers_with_blocks_on_sqlite_get_unique_increasing_numbers(sqlite_file_db, organisation, block_size):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    assert not connection.is_in_memory_db()
    numbers, errors = post_in_parallel(block_size=block_size)
    assert errors == []
    values = check_unique_and_increasing(numbers)
    # Every entry is posted in its own transaction, so a block of 15 that runs out cannot be
    # refilled there: the other 25 numbers of each worker come from the counter row, above both
    # blocks (1…30), still increasing within each worker. Either way: 1…80, no gap.
    assert sorted(values[0] + values[1]) == list(range(1, 2 * ENTRIES + 1)) and counter() == 2 * ENTRIES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_with_blocks_on_postgres_hold_open_transactions_without_waiting(organisation):
    # Each worker's first transaction takes a number and then waits for the other's: both are open
    # at once, and neither waits for a lock (lock_timeout 2 s would raise).
    numbers, errors = post_in_parallel(block_size=ENTRIES, hold=True, lock_timeout="2s")
    assert errors == []
    values = check_unique_and_increasing(numbers)
    assert sorted(values[0] + values[1]) == list(range(1, 2 * ENTRIES + 1))  # blocks used up exactly: no gaps
    assert {min(values[0]), min(values[1])} == {1, ENTRIES + 1}  # one block each, one after the other


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_blocks_the_counter_row_makes_the_second_worker_wait_on_postgres(organisation):
    # The control for the test above: the same two workers numbering from the counter row. The
    # second one's number waits for the first's commit and gives up after the lock timeout.
    numbers, errors = post_in_parallel(block_size=None, hold=True, lock_timeout="1s")
    assert any("lock timeout" in error for error in errors), errors  # the other: its barrier broken
