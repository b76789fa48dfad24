from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0002_applicationproduct_no_age"),
    ]

    operations = [
        migrations.AlterField(
            model_name="materialrequirement",
            name="allowed_kinds",
            field=models.CharField(default="jpeg,png,pdf", help_text="申请人可以上传的文件类型（按内容检查）", max_length=100,
                                   verbose_name="允许的文件类型"),
        ),
    ]
