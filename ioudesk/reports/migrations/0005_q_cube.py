import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import ioudesk.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_params_form_names"),
        ("core", "0003_drop_redundant_indexes"),
        ("products", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PortfolioCube',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='日期')),
                ('frozen', models.BooleanField(default=False, verbose_name='月末快照')),
                ('kind', models.CharField(max_length=8, verbose_name='类型')),
                ('status', models.CharField(max_length=20, verbose_name='状态')),
                ('guarantee', models.CharField(max_length=10, verbose_name='担保方式')),
                ('purpose', models.CharField(max_length=16, verbose_name='借款用途')),
                ('size_band', models.CharField(max_length=12, verbose_name='金额分档')),
                ('term_band', models.CharField(max_length=8, verbose_name='期限分档')),
                ('period_band', models.CharField(max_length=4, verbose_name='期限分档（按还款周期）')),
                ('borrower', models.CharField(max_length=16, verbose_name='借款人类型')),
                ('category', models.CharField(max_length=12, verbose_name='客户分类')),
                ('customer_kind', models.CharField(max_length=12, verbose_name='客户类型')),
                ('classification', models.CharField(max_length=16, verbose_name='五级分类')),
                ('bucket', models.CharField(max_length=4, verbose_name='账龄')),
                ('count', models.PositiveIntegerField(default=0, verbose_name='笔数')),
                ('principal', ioudesk.core.fields.MoneyField(default=0, verbose_name='合同本金')),
                ('principal_outstanding', ioudesk.core.fields.MoneyField(default=0, verbose_name='本金余额')),
                ('interest_outstanding', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收利息')),
                ('penalty_outstanding', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收罚息')),
                ('fee_outstanding', ioudesk.core.fields.MoneyField(default=0, verbose_name='应收费用')),
                ('overdue_principal', ioudesk.core.fields.MoneyField(default=0, verbose_name='逾期本金')),
                ('overdue_interest', ioudesk.core.fields.MoneyField(default=0, verbose_name='逾期利息')),
                ('overdue_balance', ioudesk.core.fields.MoneyField(default=0, verbose_name='逾期贷款余额')),
                ('new_count', models.PositiveIntegerField(default=0, verbose_name='当月发放笔数')),
                ('new_principal', ioudesk.core.fields.MoneyField(default=0, verbose_name='当月发放本金')),
                ('new_rate_sum', models.BigIntegerField(default=0, verbose_name='当月发放利率加权和')),
                ('new_rate_min', models.DecimalField(blank=True, decimal_places=8, max_digits=10, null=True, verbose_name='当月发放最低年利率')),
                ('new_rate_max', models.DecimalField(blank=True, decimal_places=8, max_digits=10, null=True, verbose_name='当月发放最高年利率')),
                ('branch', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.branch', verbose_name='网点')),
                ('officer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='客户经理')),
                ('product', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.product', verbose_name='产品')),
            ],
            options={
                'verbose_name': '组合多维汇总',
                'verbose_name_plural': '组合多维汇总',
                'indexes': [models.Index(fields=['day', 'frozen', 'branch'], name='rpt_cube_day_branch_idx')],
            },
        ),
    ]
