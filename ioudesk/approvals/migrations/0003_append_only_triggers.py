"""Approval decisions (who decided what, when, and what they saw) are append-only in the database too,
as the audit trail and the contact records: SQLite aborts any UPDATE (DELETE is left to the
application: Django's test flush deletes), PostgreSQL aborts UPDATE and DELETE (its flush truncates).
A changed mind is a new decision; docs/domain.md §23."""

from django.db import migrations

TABLES = ("approvals_approvaldecision",)


def _sqlite(table):
    return [f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"""]


def _postgres(table):
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        for statement in {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor, lambda _t: [])(table):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only();")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_decision_note")]

    operations = [migrations.RunPython(forwards, backwards)]
