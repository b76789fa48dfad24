"""Contact records, their attachments and the case timeline are append-only in the database too,
as the limitation events and the audit trail: SQLite aborts any UPDATE (DELETE is left to the
application: Django's test flush deletes), PostgreSQL aborts UPDATE and DELETE (its flush truncates).
A correction is a new record (``corrects``)."""

from django.db import migrations

from ioudesk.core import append_only

TABLES = ("collections_contactrecord", "collections_contactattachment", "collections_caseevent")


class Migration(migrations.Migration):
    dependencies = [("collections", "0003_case_closed_on_idx")]

    operations = [append_only.operation(*TABLES)]
