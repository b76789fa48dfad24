from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_c_customer_figures"),
    ]

    operations = [
    ]
