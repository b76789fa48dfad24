"""The request fingerprint stored with an idempotency key (ioudesk/ious/services/idempotency.py):
the same key with another request is refused instead of answered as a replay (issue 9, defect 21).
Existing records keep NULL and are judged by the old rule (same IOU and kind)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ious', '0004_schedule_version_terms'),
    ]

    operations = [
        migrations.AddField(
            model_name='scheduleversion',
            name='request_hash',
            field=models.CharField(blank=True, editable=False, help_text='幂等键所对应请求的 SHA-256 指纹', max_length=64, null=True, verbose_name='请求指纹'),
        ),
        migrations.AddField(
            model_name='transaction',
            name='request_hash',
            field=models.CharField(blank=True, editable=False, help_text='幂等键所对应请求的 SHA-256 指纹', max_length=64, null=True, verbose_name='请求指纹'),
        ),
    ]
