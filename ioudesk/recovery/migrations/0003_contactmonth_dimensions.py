# ContactMonth carries the activity report's filters (bucket, nature, category) and counts methods and
# outcomes as separate rows: the table is derived (rewritten by the close), so it is made anew.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_drop_redundant_indexes'),
        ('recovery', '0002_contactmonthmark_contactmonth'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name='ContactMonth'),
        migrations.RunSQL("DELETE FROM recovery_contactmonthmark", migrations.RunSQL.noop),
        migrations.CreateModel(
            name='ContactMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='月份')),
                ('bucket', models.CharField(max_length=4, verbose_name='账龄')),
                ('nature', models.CharField(max_length=10, verbose_name='欠款性质')),
                ('category', models.CharField(max_length=12, verbose_name='客户分类')),
                ('kind', models.CharField(max_length=8, verbose_name='口径')),
                ('value', models.CharField(max_length=16, verbose_name='方式或结果')),
                ('contacts', models.PositiveIntegerField(default=0, verbose_name='联系次数')),
                ('branch', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.branch', verbose_name='网点')),
                ('recorded_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='记录人')),
            ],
            options={
                'verbose_name': '催收活动月汇总',
                'verbose_name_plural': '催收活动月汇总',
                'indexes': [models.Index(fields=['month', 'kind'], name='contactmonth_month_idx')],
            },
        ),
    ]
