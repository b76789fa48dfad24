"""On PostgreSQL, two worker processes share one close: every partition is closed exactly once
(claimed with FOR UPDATE SKIP LOCKED), no IOU is done twice or skipped."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from ioudesk.closing.tests.conftest import make_loan

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_close(debtor, manager, approver, finance):
    from ioudesk.closing.models import ClosePartition, CloseRun, CloseSettings, PartitionState, RunState
    from ioudesk.core.services import business_date_set
    from ioudesk.ious.models import Installment, Iou
    from ioudesk.ledger.models import JournalEntry
    from ioudesk.ledger.verify import verify

    for n in range(24):
        make_loan(debtor, manager, approver, finance, principal=str(3000 + n), term=6)
    business_date_set(new_date=date(2026, 2, 15), reason="测试：两个进程分担日终")
    settings, _ = CloseSettings.objects.get_or_create(organisation=debtor.branch.organisation)
    settings.partition_size, settings.auto_advance = 100, False
    settings.save()
    # 24 IOUs in partitions of 2 (below the settings' minimum: set directly for the test).
    CloseSettings.objects.filter(pk=settings.pk).update(partition_size=2)
    name = connection.settings_dict["NAME"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "IOUDESK_CLOSE_SLOW_PARTITION_SECONDS": "1.5"}
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    env["DATABASE_URL"] = url
    result = subprocess.run([sys.executable, "-m", "ioudesk.cli", "close-day", "--workers", "2"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    run = CloseRun.objects.get(day=date(2026, 2, 15))
    assert run.state == RunState.DONE and run.partitions_total == 12 and run.partitions_done == 12
    parts = list(ClosePartition.objects.filter(close_run=run))
    assert all(p.state == PartitionState.DONE and p.attempts == 1 for p in parts)
    owners = {p.owner for p in parts}
    assert len(owners) == 2, (owners, result.stdout[-2000:], result.stderr[-2000:])  # both took some
    # Every IOU's installment 1 booked once: one interest entry per IOU.
    assert Installment.objects.filter(number=1, interest_accrued=True).count() == 24
    assert JournalEntry.objects.filter(kind="interest_accrual").count() == 24
    assert len(set(JournalEntry.objects.filter(kind="interest_accrual").values_list("iou_id", flat=True))) == 24
    assert Iou.objects.filter(interest_outstanding__gt=0).count() == 24
    assert verify().ok
