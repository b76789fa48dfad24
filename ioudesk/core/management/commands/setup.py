import os

from django.core.management.base import BaseCommand

from ioudesk.applications.services import application_defaults_ensure
from ioudesk.approvals.services import flow_defaults_ensure
from ioudesk.closing.services import close_settings_ensure
from ioudesk.collections.services import strategy_defaults_ensure
from ioudesk.core.roles import roles_sync
from ioudesk.core.services import administrator_ensure, organisation_ensure
from ioudesk.customers.services import source_channels_ensure
from ioudesk.ledger.services import chart_ensure
from ioudesk.receivables.approval_kinds import receivables_defaults_ensure
from ioudesk.receivables.dunning import dunning_defaults_ensure
from ioudesk.receivables.matching import match_rules_defaults_ensure
from ioudesk.reminders.services import reminder_defaults_ensure
from ioudesk.reports.settings import report_settings_ensure
from ioudesk.screening.services import screening_defaults_ensure


class Command(BaseCommand):
    help = "首次启动的初始化：机构、总部网点、角色权限、初始管理员（可重复执行）。"

    def handle(self, *args, **options):
        organisation_ensure()
        counts = roles_sync()
        source_channels_ensure()
        chart_ensure()
        reminder_defaults_ensure()
        close_settings_ensure()
        strategy_defaults_ensure()
        screening_defaults_ensure()
        flow_defaults_ensure()
        receivables_defaults_ensure()  # 往来: payment terms, settings, bill sign-off flows
        report_settings_ensure()  # 报表设置: the provision rates and concentration limit
        application_defaults_ensure()
        match_rules_defaults_ensure()
        dunning_defaults_ensure()  # 往来: 单据到期提醒/催款通知 templates and rules
        self.stdout.write("角色已同步：" + "，".join(f"{k} {v} 项权限" for k, v in counts.items()))
        created = administrator_ensure(password=os.environ.get("IOUDESK_ADMIN_PASSWORD") or None)
        if created is None:
            return
        if created.password:
            line = "=" * 64
            self.stdout.write(self.style.SUCCESS(
                f"\n{line}\n已创建管理员账户（只显示这一次，请妥善保存）：\n"
                f"  用户名 admin\n  密码   {created.password}\n{line}\n"
            ))
        else:
            self.stdout.write(self.style.SUCCESS("已创建管理员账户 admin（密码来自 IOUDESK_ADMIN_PASSWORD）。"))
