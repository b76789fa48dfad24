"""Demo 报表 data (A): the demo builds its history through the services without running the daily
close, so this loader (last in DEMO_LOADERS) writes what the close's day step would: PortfolioDay
of the business date, FlowDay of every day the demo's transactions are dated on, and the snapshot
of the last month end — taken from the demo's state on the business date (the demo has no close
of that month end to take it at; its figures differ from a real month-end close by what the demo
dated after the month end)."""

from __future__ import annotations

from django.db import connection

from ioudesk.core import clock
from ioudesk.ious.models import LIVE_STATUSES
from ioudesk.reports import snapshots
from ioudesk.reports.daystep import reports_day_step
from ioudesk.reports.models import MonthEndIou, PortfolioDay
from ioudesk.reports.params import previous_month_end


def load() -> list[str]:
    from datetime import timedelta

    from ioudesk.closing.selectors import closed_through

    # The day the close would have written them for: the last closed day (else the day before the
    # business date); reports and the dashboard read that day.
    today = closed_through() or clock.today() - timedelta(days=1)
    counts = reports_day_step(day=today)
    month_end = previous_month_end(today + timedelta(days=1))
    snapshot = snapshots.month_end_take(month_end)
    if not PortfolioDay.objects.filter(day=month_end).exists():
        _portfolio_day_from_snapshot(month_end)
    return [f"报表数据：{today.isoformat()} 组合汇总 {counts.get('portfolio_rows', 0)} 行，"
            f"资金流汇总 {counts.get('flow_rows', 0)} 行；{month_end.isoformat()} 月末快照借据 "
            f"{snapshot.totals.get('rows', 0)} 笔"]


def _portfolio_day_from_snapshot(month_end) -> int:
    """PortfolioDay of the month end summed from its snapshot (the dashboard's trend has a point there
    as it would after a real close of that day)."""
    columns = ("day", "branch_id", "product_id", "officer_id", "kind", "guarantee", "classification", "bucket",
               "channel", "count", "principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
               "fee_outstanding", "overdue_principal", "overdue_interest")
    marks = ", ".join(["%s"] * len(LIVE_STATUSES))
    channel = snapshots.channel_sql("m.iou_id")
    group = f"m.branch_id, m.product_id, m.officer_id, m.kind, m.guarantee, m.classification, m.bucket, {channel}"
    sql = (f"INSERT INTO {PortfolioDay._meta.db_table} ({', '.join(columns)}) SELECT m.month_end, {group}, COUNT(*), "
           f"SUM(m.principal), SUM(m.principal_outstanding), SUM(m.interest_outstanding), SUM(m.penalty_outstanding), "
           f"SUM(m.fee_outstanding), SUM(m.overdue_principal), SUM(m.overdue_interest) "
           f"FROM {MonthEndIou._meta.db_table} m WHERE m.month_end = %s AND m.status IN ({marks}) "
           f"GROUP BY m.month_end, {group}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [month_end, *[str(s) for s in LIVE_STATUSES]])
        return cursor.rowcount
