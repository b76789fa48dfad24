from django.core.management.base import BaseCommand, CommandError

from ioudesk.core import crypto
from ioudesk.core.key_rotation import rotate_encrypted_fields


class Command(BaseCommand):
    help = (
        "用当前密钥（IOUDESK_FIELD_KEYS 的第一个）重新加密所有加密字段。"
        "轮换步骤：把新密钥放在最前面 → 运行本命令 → 删除旧密钥。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="每个事务处理的行数（默认 500）")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须大于 0")
        try:
            keys = crypto.field_keys()
            current = crypto.key_fingerprint(keys[0])
            self.stdout.write(f"当前密钥指纹 {current}，共配置 {len(keys)} 个密钥。")
            results = rotate_encrypted_fields(batch_size=batch_size)
        except (crypto.FieldKeyError, crypto.DecryptionError) as error:
            raise CommandError(str(error)) from None
        if not results:
            self.stdout.write("没有加密字段，无需轮换。")
            return
        for result in results:
            self.stdout.write(
                f"{result.label}：共 {result.rows} 行有加密数据，重新加密 {result.rotated} 行，"
                f"{result.rows - result.rotated} 行已是当前密钥。"
            )
        total = sum(result.rotated for result in results)
        self.stdout.write(self.style.SUCCESS(
            f"完成：重新加密 {total} 行。确认无误后，可从 IOUDESK_FIELD_KEYS 中删除旧密钥。"
        ))
