"""Substring search (issue 9, defect 5; decision 0005): the derived column name_bigrams, filled
for existing customers, and its index: an FTS5 table kept by triggers on SQLite, a GIN index on
PostgreSQL (ioudesk/customers/search_index.py).

The column is added with ALTER TABLE ... ADD COLUMN ... DEFAULT '' on both databases, so that
SQLite does not rebuild the customer table (Django's AddField would for a NOT NULL column)."""

from django.db import migrations, models

from ioudesk.customers import search_index


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_file_iou")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(
                model_name="customer", name="name_bigrams",
                field=models.TextField(default="", editable=False, verbose_name="名称检索词"))],
            database_operations=[migrations.RunSQL(
                "ALTER TABLE customers_customer ADD COLUMN name_bigrams text NOT NULL DEFAULT ''",
                "ALTER TABLE customers_customer DROP COLUMN name_bigrams")],
        ),
        migrations.RunPython(search_index.backfill, migrations.RunPython.noop),
        migrations.RunPython(search_index.install, search_index.uninstall),
    ]
