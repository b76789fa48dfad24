"""Recorded interruptions of the limitation period (诉讼时效中断), append-only in the database too:
SQLite aborts any UPDATE (DELETE is left to the application: Django's test flush deletes),
PostgreSQL aborts UPDATE and DELETE (its flush truncates), as for the audit trail."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQLITE = [
    """CREATE TRIGGER ious_limitationevent_no_update BEFORE UPDATE ON ious_limitationevent
       BEGIN SELECT RAISE(ABORT, 'limitation events are append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS ious_limitationevent_no_update;"]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION ious_limitationevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'limitation events are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ious_limitationevent_no_change BEFORE UPDATE OR DELETE ON ious_limitationevent
       FOR EACH ROW EXECUTE FUNCTION ious_limitationevent_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ious_limitationevent_no_change ON ious_limitationevent;",
    "DROP FUNCTION IF EXISTS ious_limitationevent_append_only();",
]


def forwards(apps, schema_editor):
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ious', '0009_iou_classify_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LimitationEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('demand', '债权人催收'), ('acknowledgement', '债务人同意履行'), ('partial_payment', '部分还款'), ('lawsuit', '提起诉讼'), ('arbitration', '申请仲裁'), ('other', '具有同等效力的事项')], max_length=16, verbose_name='中断事由')),
                ('on', models.DateField(verbose_name='中断日期')),
                ('evidence_sha256', models.CharField(blank=True, max_length=64, verbose_name='证据SHA-256')),
                ('evidence_note', models.TextField(blank=True, verbose_name='证据说明')),
                ('source', models.CharField(blank=True, max_length=120, verbose_name='来源')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='登记时间')),
                ('iou', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='limitation_events', to='ious.iou', verbose_name='借据')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人')),
            ],
            options={
                'verbose_name': '诉讼时效中断',
                'verbose_name_plural': '诉讼时效中断',
                'ordering': ['iou', 'on', 'id'],
                'default_permissions': ('add', 'view'),
                'indexes': [models.Index(fields=['iou', 'on'], name='limitation_event_iou_on_idx')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
