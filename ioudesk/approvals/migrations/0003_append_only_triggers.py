"""Approval decisions (who decided what, when, and what they saw) are append-only in the database too,
as the audit trail and the contact records: SQLite aborts any UPDATE (DELETE is left to the
application: Django's test flush deletes), PostgreSQL aborts UPDATE and DELETE (its flush truncates).
A changed mind is a new decision; docs/domain.md §23."""

from django.db import migrations

from ioudesk.core import append_only

TABLES = ("approvals_approvaldecision",)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_decision_note")]

    operations = [append_only.operation(*TABLES)]
