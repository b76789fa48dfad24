"""Entries and postings are append-only at every level, and on PostgreSQL an unbalanced entry
cannot be committed even by raw SQL."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ioudesk.ledger import triggers
from ioudesk.ledger.models import AppendOnlyError, JournalEntry, Posting


def test_the_model_refuses_to_change_or_delete(disburse):
    entry = disburse("100")
    posting = entry.postings.first()

    entry.memo = "改摘要"
    with pytest.raises(AppendOnlyError):
        entry.save()
    posting.debit = Decimal("1")
    with pytest.raises(AppendOnlyError):
        posting.save()
    with pytest.raises(AppendOnlyError):
        posting.delete()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_queryset_refuses_to_change_or_delete(disburse):
    disburse("100")

    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.update(memo="x")
    with pytest.raises(AppendOnlyError):
        Posting.objects.filter(debit__gt=0).update(debit=Decimal("1"))
    with pytest.raises(AppendOnlyError):
        Posting.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.all().delete()
    assert Posting.objects.filter(debit=Decimal("100")).count() == 1


@pytest.mark.parametrize("table", ["ledger_journalentry", "ledger_posting"])
def test_the_database_refuses_raw_update(disburse, table):
    disburse("100")
    column = "memo = 'x'" if table == "ledger_journalentry" else "component = 'x'"

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column}")


def test_the_triggers_are_installed(db):
    assert triggers.missing(connection) == []
    assert set(triggers.expected(connection.vendor)) <= triggers.present(connection)


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["ledger_posting", "ledger_journalentry"])
def test_postgres_refuses_raw_delete(disburse, table):
    disburse("100")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    assert Posting.objects.count() == 2


def _raw_entry(cursor, number: str, lines: list[tuple[str, int, int]]) -> None:
    cursor.execute(
        "INSERT INTO ledger_journalentry (number, day, kind, memo, request_hash, created_at) "
        "VALUES (%s, '2026-11-28', 'adjustment', '', '', CURRENT_TIMESTAMP) RETURNING id", [number]
    )
    entry_id = cursor.fetchone()[0]
    for code, debit, credit in lines:
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, debit, credit, day, component) "
            "SELECT %s, id, %s, %s, '2026-11-28', '' FROM ledger_account WHERE code = %s",
            [entry_id, debit, credit, code],
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_rejects_an_unbalanced_entry_at_commit(chart):
    with pytest.raises(DatabaseError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_entry(cursor, "RAW-1", [("1301", 10000, 0), ("100201", 0, 9999)])
            # Inside the transaction nothing has been checked yet: the trigger is deferred.
            cursor.execute("SELECT COUNT(*) FROM ledger_posting")
            assert cursor.fetchone()[0] == 2
    assert not JournalEntry.objects.exists() and not Posting.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_rejects_a_one_line_entry_and_an_empty_one_at_commit(chart):
    with pytest.raises(DatabaseError, match="at least two"), transaction.atomic(), connection.cursor() as cursor:
        _raw_entry(cursor, "RAW-2", [])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        _raw_entry(cursor, "RAW-3", [("1301", 100, 0)])
    assert not JournalEntry.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_commits_a_balanced_raw_entry(chart):
    with transaction.atomic(), connection.cursor() as cursor:
        _raw_entry(cursor, "RAW-4", [("1301", 100, 0), ("100201", 0, 100)])
    assert Posting.objects.count() == 2
