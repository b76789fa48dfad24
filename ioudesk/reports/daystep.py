"""The close's day step `reports` (A): after every IOU of day D is brought to D, write the day's
figures the reports read — PortfolioDay(D), FlowDay(D) and FlowDay of the earlier days that
transactions entered since the last run are dated on — take the month-end snapshot when D is the
last day of its month, and list the changes made after a snapshot to a month it froze
(SnapshotDifference). Idempotent: every write is a delete-and-rewrite of a day, the snapshot is
taken once, a difference is recorded once."""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ioudesk.ious.models import Transaction
from ioudesk.reports import snapshots
from ioudesk.reports.models import DayMark


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def reports_day_step(*, day: date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    from ioudesk.ledger.models import JournalEntry

    counts = {}
    # PortfolioDay is the portfolio as it stands: written for D only while D is the latest day the
    # step has run for (a rerun of an older day would write today's figures under its date).
    if not DayMark.objects.filter(day__gt=day).exists():
        counts["portfolio_rows"] = snapshots.portfolio_day_write(day)
    previous = DayMark.objects.filter(day__lt=day).order_by("-day").first()
    mark = previous.transaction_max if previous else 0
    tx_max = Transaction.objects.aggregate(m=Max("id"))["m"] or 0
    entry_max = JournalEntry.objects.aggregate(m=Max("id"))["m"] or 0
    # Days before D that transactions entered since the last run are dated on (the first run: every
    # day with a transaction), each rewritten whole.
    earlier = set(Transaction.objects.filter(id__gt=mark, id__lte=tx_max, day__lt=day).order_by()
                  .values_list("day", flat=True).distinct())
    flows = snapshots.flows_day_write(day)
    for other in sorted(earlier):
        flows += snapshots.flows_day_write(other)
    counts["flow_rows"] = flows
    counts["flow_days_rewritten"] = len(earlier)
    # A writer of the latest day's state (the cube, customer figures, this month's moves) writes only on
    # the last day of a close that catches up several days: each later day would replace it at once.
    latest = not DayMark.objects.filter(day__gt=day).exists() and not catching_up
    for writer in snapshots.DAY_WRITERS.values():
        counts[f"{writer.name}_rows"] = writer.write(day, latest=latest, previous=previous)
    if is_month_end(day):
        existed = snapshots.snapshot_for(day) is not None
        snapshot = snapshots.month_end_take(day, close_run=close_run)
        counts["snapshot_ious"] = 0 if existed else snapshot.totals.get("rows", 0)
    snapshots.derived_backfill()  # snapshots taken before a derived figure existed (an upgrade)
    counts["differences"] = snapshots.differences_find(
        after_transaction=mark, after_entry=previous.entry_max if previous else 0)
    DayMark.objects.update_or_create(day=day, defaults={"transaction_max": tx_max, "entry_max": entry_max})
    return counts


COUNT_LABELS = {
    "portfolio_rows": _("组合汇总行"),
    "flow_rows": _("资金流汇总行"),
    "flow_days_rewritten": _("重写的往日"),
    "snapshot_ious": _("月末快照借据"),
    "differences": _("快照后追溯差异"),
}


def register() -> None:
    from ioudesk.closing.registry import register_day_step

    # called after every part has registered its writers (registrations.py), so their counts are labelled
    labels = {**COUNT_LABELS, **{f"{w.name}_rows": w.label for w in snapshots.DAY_WRITERS.values()}}
    register_day_step("reports", label=_("报表数据"), order=60, run=reports_day_step, count_labels=labels)
