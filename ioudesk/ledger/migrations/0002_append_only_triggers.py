"""The database refuses to change or delete ledger rows, and on PostgreSQL refuses to commit an
unbalanced entry. The SQL lives in ioudesk.ledger.triggers (install is idempotent, so a later
migration that rebuilds a ledger table on SQLite re-runs it)."""

from django.db import migrations

from ioudesk.ledger import triggers


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(triggers.install, triggers.uninstall)]
