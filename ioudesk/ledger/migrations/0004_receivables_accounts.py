"""1122 应收账款 and 6001 营业收入, for IOUs for goods and services (欠条)."""

from django.db import migrations


def seed(apps, schema_editor):
    from ioudesk.ledger.services import chart_ensure

    chart_ensure(account_model=apps.get_model("ledger", "Account"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_seed_chart")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
