"""The lending chart of accounts (ioudesk.ledger.chart.CHART); existing accounts are left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from ioudesk.ledger.services import chart_ensure

    chart_ensure(account_model=apps.get_model("ledger", "Account"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_triggers")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
