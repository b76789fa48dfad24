"""Contact records, their attachments and the case timeline are append-only in the database too,
as the limitation events and the audit trail: SQLite aborts any UPDATE (DELETE is left to the
application: Django's test flush deletes), PostgreSQL aborts UPDATE and DELETE (its flush truncates).
A correction is a new record (``corrects``)."""

from django.db import migrations

TABLES = ("collections_contactrecord", "collections_contactattachment", "collections_caseevent")


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
    dependencies = [("collections", "0003_case_closed_on_idx")]

    operations = [migrations.RunPython(forwards, backwards)]
