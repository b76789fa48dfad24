import django.db.models.deletion
from django.db import migrations, models

import ioudesk.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_c_customer_figures"),
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="记账日期")),
                ("debit", ioudesk.core.fields.MoneyField(default=0, verbose_name="借方发生额")),
                ("credit", ioudesk.core.fields.MoneyField(default=0, verbose_name="贷方发生额")),
                ("account", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                              to="ledger.account", verbose_name="科目")),
            ],
            options={
                "verbose_name": "科目日发生额",
                "verbose_name_plural": "科目日发生额",
                "constraints": [models.UniqueConstraint(fields=("day", "account"), name="rpt_lday_day_acct_uniq")],
            },
        ),
        migrations.CreateModel(
            name="LedgerDayMark",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("entry_max", models.BigIntegerField(default=0, verbose_name="已汇总至凭证")),
                ("written_at", models.DateTimeField(auto_now=True, verbose_name="写入时间")),
            ],
            options={
                "verbose_name": "科目日发生额进度",
                "verbose_name_plural": "科目日发生额进度",
            },
        ),
    ]
