from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_q_cube"),
    ]

    operations = [
    ]
