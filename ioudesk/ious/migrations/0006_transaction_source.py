"""Transaction.source: a repayment paid in by the customer, or customer credit applied (issue 9,
defect 13: replay told them apart by the translated payer label "溢缴款冲抵").

Existing credit applications are found by their entry, which debits 2241 客户溢缴款 (a payment
debits cash or bank); the other repayments are marked as paid in."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    Transaction = apps.get_model("ious", "Transaction")
    Posting = apps.get_model("ledger", "Posting")
    repayments = Transaction.objects.filter(kind="repayment")
    from_credit = Posting.objects.filter(account__code="2241", debit__gt=0).values("entry_id")
    repayments.filter(entry_id__in=from_credit).update(source="credit")
    repayments.filter(source__isnull=True).update(source="payment")


class Migration(migrations.Migration):

    dependencies = [
        ("ious", "0005_request_fingerprint"),
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="source",
            field=models.CharField(blank=True, choices=[("payment", "客户付款"), ("credit", "溢缴款冲抵")],
                                   editable=False, help_text="还款：客户付款或溢缴款冲抵", max_length=8, null=True,
                                   verbose_name="资金来源"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
