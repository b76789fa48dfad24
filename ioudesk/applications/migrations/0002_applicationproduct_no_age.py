# The applicant's age range lives in one place: the screening's age rule for the product.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="applicationproduct", name="min_age"),
        migrations.RemoveField(model_name="applicationproduct", name="max_age"),
    ]
