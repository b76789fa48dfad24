"""M: MonthEndMove and its sets (five-tier and bucket moves between two month ends)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import ioudesk.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_q_cube"),
        ("core", "0003_drop_redundant_indexes"),
        ("products", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthEndMoveSet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month_end', models.DateField(verbose_name='月末日')),
                ('live', models.BooleanField(default=False, verbose_name='未关账月份')),
                ('as_of', models.DateField(verbose_name='数据截至')),
                ('previous', models.DateField(blank=True, null=True, verbose_name='上月末日')),
                ('earlier_first', models.BigIntegerField(blank=True, null=True, verbose_name='上月末快照首行')),
                ('earlier_last', models.BigIntegerField(blank=True, null=True, verbose_name='上月末快照末行')),
                ('later_first', models.BigIntegerField(blank=True, null=True, verbose_name='本月末快照首行')),
                ('later_last', models.BigIntegerField(blank=True, null=True, verbose_name='本月末快照末行')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='行数')),
                ('written_at', models.DateTimeField(auto_now=True, verbose_name='写入时间')),
            ],
            options={
                'verbose_name': '迁徙汇总批次',
                'verbose_name_plural': '迁徙汇总批次',
                'constraints': [models.UniqueConstraint(fields=('month_end', 'live'), name='rpt_moveset_month_live_uniq')],
            },
        ),
        migrations.CreateModel(
            name='MonthEndMove',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month_end', models.DateField(verbose_name='月末日')),
                ('live', models.BooleanField(default=False, verbose_name='未关账月份')),
                ('kind', models.CharField(max_length=8, verbose_name='类型')),
                ('from_state', models.CharField(max_length=20, verbose_name='上月末状态')),
                ('from_class', models.CharField(blank=True, max_length=16, verbose_name='上月末五级分类')),
                ('from_bucket', models.CharField(blank=True, max_length=4, verbose_name='上月末账龄')),
                ('to_state', models.CharField(max_length=20, verbose_name='本月末状态')),
                ('to_class', models.CharField(blank=True, max_length=16, verbose_name='本月末五级分类')),
                ('to_bucket', models.CharField(blank=True, max_length=4, verbose_name='本月末账龄')),
                ('count', models.PositiveIntegerField(default=0, verbose_name='笔数')),
                ('from_balance', ioudesk.core.fields.MoneyField(default=0, verbose_name='上月末本金余额')),
                ('to_balance', ioudesk.core.fields.MoneyField(default=0, verbose_name='本月末本金余额')),
                ('branch', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.branch', verbose_name='网点')),
                ('officer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='客户经理')),
                ('product', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.product', verbose_name='产品')),
            ],
            options={
                'verbose_name': '五级分类与账龄迁徙',
                'verbose_name_plural': '五级分类与账龄迁徙',
                'indexes': [models.Index(fields=['month_end', 'live', 'branch'], name='rpt_move_month_live_idx')],
            },
        ),
    ]
