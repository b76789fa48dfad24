"""`ioudesk close-day [--date D] [--workers N] [--join]`: the daily close (日终) from the command line.

Closes every unclosed day up to D (the business date by default) in date order, printing progress
and a summary per day. `--workers N` (PostgreSQL) starts N-1 helper processes that share each
day's partitions with this one; on SQLite one worker is used (one writer at a time). `--join`
helps a close already running (started by another process or machine) and exits when none of its
partitions is left to take.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ioudesk.closing import selectors, services
from ioudesk.core.errors import ApplicationError


class Command(BaseCommand):
    # The close does not need the URL conf or the admin the system checks import (~1.5 s in this
    # process and in every helper it starts).
    requires_system_checks = []
    help = "日终：把所有在用借据推进到营业日（补做未日终的日期），然后执行日终步骤。"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="日终至该日期（默认营业日），YYYY-MM-DD")
        parser.add_argument("--workers", type=int, default=1, help="并行进程数（PostgreSQL）")
        parser.add_argument("--join", action="store_true", help="加入正在进行的日终")
        parser.add_argument("--run", type=int, default=None, help=argparse_hidden())

    def handle(self, *args, date=None, workers=1, join=False, run=None, **options):
        started = time.monotonic()
        if join:
            from ioudesk.closing.models import CloseRun

            target = CloseRun.objects.filter(pk=run).first() if run else None
            done = services.close_join(run=target)
            self.stdout.write(f"加入日终：本进程完成 {done} 个分区。")
            return
        if workers > 1 and connection.vendor != "postgresql":
            self.stdout.write("SQLite 同一时间只允许一个写入者：使用 1 个进程。")
            workers = 1
        helpers: list[subprocess.Popen] = []

        def start_helpers(close_run):
            for _n in range(min(workers - 1, max(close_run.partitions_total - 1, 0))):
                helpers.append(subprocess.Popen([sys.executable, "-m", "ioudesk.cli", "close-day", "--join",
                                                 "--run", str(close_run.pk)]))

        last = [0.0]

        def progress(close_run):
            now = time.monotonic()
            if now - last[0] < 1 and close_run.state != "done":
                return
            last[0] = now
            self.stdout.write(f"{close_run.day} 分区 {close_run.partitions_done}/{close_run.partitions_total}，"
                              f"借据 {close_run.ious_done}/{close_run.ious_total}")

        try:
            runs = services.close_execute(through=date, origin="command", progress=progress,
                                          on_partitioned=start_helpers if workers > 1 else None)
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        finally:
            for helper in helpers:
                helper.wait()
        for close_run in runs:
            close_run.refresh_from_db()
            parts = close_run.counts.get("partitions", {})
            failures = close_run.failures.filter(resolved_at__isnull=True).count()
            self.stdout.write(
                f"日终 {close_run.day} 完成：在用借据 {close_run.ious_total}，分区 {close_run.partitions_total}；"
                f"批量计息 {parts.get('bulk', 0)}，逐笔处理 {parts.get('single', 0)}，"
                f"逾期天数推进 {parts.get('dpd_advanced', 0)}，失败 {failures}")
            for step in selectors.close_steps(close_run):
                counts = "，".join(f"{label} {number}" if label else str(number) for label, number in step.counts)
                took = "" if step.seconds is None else f"（{step.seconds:.1f} 秒）"
                self.stdout.write(f"  {step.label}{took}{'：' + counts if counts else ''}")
        self.stdout.write(f"共 {len(runs)} 天，用时 {time.monotonic() - started:.1f} 秒。")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
