from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0009_flowday_dimensions"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolioday",
            name="channel",
            field=models.CharField(blank=True, default="", max_length=10, verbose_name="申请渠道"),
        ),
    ]
