from django.core.management.base import BaseCommand

from ioudesk.core.demo import load_demo_data


class Command(BaseCommand):
    help = "载入演示数据（网点、各角色员工；后续功能会增加客户与借据）。可重复执行，不会重复创建。"

    def handle(self, *args, **options):
        summary = load_demo_data()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪："))
        for line in summary:
            self.stdout.write(f"  {line}")
