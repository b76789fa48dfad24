from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0002_extension_agreement'),
    ]

    operations = [
        migrations.AlterField(
            model_name='documenttemplate',
            name='kind',
            field=models.CharField(choices=[('iou_loan', '借条'), ('iou_debt', '欠条'), ('receipt', '还款凭证'), ('settlement', '结清证明'), ('extension', '展期协议'), ('demand', '催款函'), ('lawyer', '律师函')], db_index=True, max_length=12, verbose_name='单据类型'),
        ),
    ]
