from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_m_moves"),
    ]

    operations = [
    ]
