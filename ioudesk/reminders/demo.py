"""Demo reminders for `make demo`: the default rules and templates, and the reminders of yesterday's
close (as if the daily close of the day before the business date had run), so the 提醒记录, the
message log and the 提醒计划 have something to show. Idempotent (the step's own keys)."""

from __future__ import annotations

from datetime import timedelta

from ioudesk.core import clock
from ioudesk.reminders.services import reminder_defaults_ensure, reminders_day_step


def load() -> list[str]:
    created = reminder_defaults_ensure()
    yesterday = clock.today() - timedelta(days=1)
    counts = reminders_day_step(day=yesterday)
    return [f"还款提醒：默认规则 {created} 条（新建）；{yesterday.isoformat()} 日终的提醒消息 {counts['messages']} 条"]
