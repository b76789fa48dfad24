"""C: CustomerFigure (each customer's figures at the latest closed day) and CustomerFigureDay."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import ioudesk.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_m_moves"),
        ("core", "0003_drop_redundant_indexes"),
        ("customers", "0004_name_bigrams"),
        ("products", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerFigureDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='日期')),
                ('transaction_max', models.BigIntegerField(default=0, verbose_name='已读至交易')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='客户数')),
                ('written_at', models.DateTimeField(auto_now=True, verbose_name='写入时间')),
            ],
            options={
                'verbose_name': '客户日终汇总进度',
                'verbose_name_plural': '客户日终汇总进度',
                'ordering': ['-day'],
            },
        ),
        migrations.CreateModel(
            name='CustomerFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='日期')),
                ('one_branch', models.BooleanField(default=True, verbose_name='同一网点')),
                ('one_officer', models.BooleanField(default=True, verbose_name='同一客户经理')),
                ('one_product', models.BooleanField(default=True, verbose_name='同一产品')),
                ('ious', models.PositiveIntegerField(default=0, verbose_name='借据笔数')),
                ('live', models.PositiveIntegerField(default=0, verbose_name='在贷笔数')),
                ('principal', ioudesk.core.fields.MoneyField(default=0, verbose_name='累计借款本金')),
                ('balance', ioudesk.core.fields.MoneyField(default=0, verbose_name='本金余额')),
                ('interest', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收利息')),
                ('penalty', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收罚息')),
                ('fee', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收费用')),
                ('max_dpd', models.IntegerField(blank=True, null=True, verbose_name='当前最长逾期天数')),
                ('written_off', models.PositiveIntegerField(default=0, verbose_name='核销笔数')),
                ('branch', models.ForeignKey(db_index=False, blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.branch', verbose_name='网点')),
                ('customer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer', verbose_name='客户')),
                ('officer', models.ForeignKey(db_index=False, blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='客户经理')),
                ('product', models.ForeignKey(db_index=False, blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='products.product', verbose_name='产品')),
            ],
            options={
                'verbose_name': '客户日终汇总',
                'verbose_name_plural': '客户日终汇总',
                'indexes': [models.Index(fields=['day', '-balance', 'customer'], name='rpt_cfig_day_balance_idx'), models.Index(fields=['day', 'branch', 'balance'], name='rpt_cfig_day_branch_idx'), models.Index(condition=models.Q(('one_branch', False)), fields=['day'], name='rpt_cfig_mixed_idx')],
                'constraints': [models.UniqueConstraint(fields=('day', 'customer'), name='rpt_cfig_day_customer_uniq')],
            },
        ),
    ]
