from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0008_l_ledger_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="flowday",
            name="guarantee",
            field=models.CharField(default="credit", max_length=10, verbose_name="担保方式"),
        ),
        migrations.AddField(
            model_name="flowday",
            name="classification",
            field=models.CharField(default="normal", max_length=16, verbose_name="五级分类"),
        ),
        migrations.AddField(
            model_name="flowday",
            name="bucket",
            field=models.CharField(default="M0", max_length=4, verbose_name="账龄"),
        ),
        migrations.AddField(
            model_name="flowday",
            name="channel",
            field=models.CharField(blank=True, default="", max_length=10, verbose_name="申请渠道"),
        ),
    ]
