"""Demo 报表 data (A): the demo builds its history through the services without running the daily
close, so this loader (last in DEMO_LOADERS) writes what the close's day step would: PortfolioDay
of the business date, FlowDay of every day the demo's transactions are dated on, and the snapshot
of the last month end — taken from the demo's state on the business date (the demo has no close
of that month end to take it at; its figures differ from a real month-end close by what the demo
dated after the month end)."""

from __future__ import annotations

from ioudesk.core import clock
from ioudesk.reports import snapshots
from ioudesk.reports.daystep import reports_day_step
from ioudesk.reports.params import previous_month_end


def load() -> list[str]:
    today = clock.today()
    counts = reports_day_step(day=today)
    month_end = previous_month_end(today)
    snapshot = snapshots.month_end_take(month_end)
    return [f"报表数据：{today.isoformat()} 组合汇总 {counts.get('portfolio_rows', 0)} 行，"
            f"资金流汇总 {counts.get('flow_rows', 0)} 行；{month_end.isoformat()} 月末快照借据 "
            f"{snapshot.totals.get('rows', 0)} 笔"]
