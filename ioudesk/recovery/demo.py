"""Demo recovery data for `make demo`: this month's plan for the demo 催收员 (赵磊), this quarter's
plan for the 催收主管's (孙丽) team, and the summaries and the last month end's bucket snapshot the
close would have written, so 回收报告 and 催收报表 have something to show. Idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioudesk.core import clock
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.models import User
from ioudesk.recovery import services
from ioudesk.recovery.models import RecoveryPlan, SnapshotMonth


def load() -> list[str]:
    today = clock.today()
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if admin is None:
        return []
    month_start = today.replace(day=1)
    quarter = (today.month - 1) // 3
    quarter_start = date(today.year, 3 * quarter + 1, 1)
    quarter_end = services.month_end_of(date(today.year, 3 * quarter + 3, 1))
    made = 0
    with acting_as(actor_for_user(admin)):
        for username, name, scope, start, end, target in (
                ("zhaolei", f"{today:%Y年%m月}回收计划（赵磊）", "collector", month_start, services.month_end_of(today),
                 Decimal("30000")),
                ("sunli", f"{today.year}年第{quarter + 1}季度团队回收计划", "team", quarter_start, quarter_end,
                 Decimal("200000"))):
            person = User.objects.filter(username=username).first()
            if person is None or RecoveryPlan.objects.filter(name=name).exists():
                continue
            plan = RecoveryPlan(name=name, scope=scope, period_start=start, deadline=end, target=target,
                                collector=person if scope == "collector" else None,
                                branch_id=None if scope == "collector" else person.branch_id)
            services.plan_save(plan=plan, user=admin)
            made += 1
        last_month_end = services.previous_month_end(today)
        if not SnapshotMonth.objects.filter(month_end=last_month_end).exists():
            services.month_end_snapshot(day=last_month_end)
        for month, through in ((last_month_end.replace(day=1), last_month_end), (month_start, today)):
            services.activity_summarise(month=month, through=through)
            services.recovery_summarise(month=month, through=through)
    return [f"回收计划 {made} 个（新建）；{last_month_end:%Y-%m-%d} 月末账龄快照"]
