"""The daily close in the production shape (tests/production.py: 2 gunicorn web processes, 2
`ioudesk worker` processes, PostgreSQL): started through the API like an administrator would, run
by the workers — the close's partitions shared by both, each claimed once (SKIP LOCKED), no IOU
done twice or skipped — its progress read through the API while it runs, and repayments entered
through the web processes at the same time on IOUs the batch may or may not have reached yet.

The worked example, 24 times: ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly
installments → ¥888.49 a month; the first, due 2026-02-15, is interest 100.00 + principal 788.49.
Closing 2026-02-15 books its interest once per IOU: ¥100.00 owed by each; an IOU that paid its
¥888.49 that day owes no interest and principal 10,000 − 788.49 = 9,211.51, whether its payment came
before or after the batch reached it.
"""

import socket
import threading
import time
import uuid
from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.closing.models import ClosePartition, CloseRun, CloseSettings, PartitionState, RunState
from ioudesk.closing.tests.conftest import make_loan
from ioudesk.core.services import business_date_set
from ioudesk.ious.models import Installment, Iou, Transaction
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify

pytestmark = pytest.mark.postgres

IOUS, PAYING = 24, 8
DAY = date(2026, 2, 15)


@pytest.fixture
def production_env():
    # each partition takes a while: both workers get some; a close that meets another's retries soon
    return {"IOUDESK_CLOSE_SLOW_PARTITION_SECONDS": "0.5", "IOUDESK_CLOSE_RETRY_SECONDS": "1"}


def test_the_close_started_through_the_api_is_shared_by_both_workers(production, organisation, admin_user_zh,
                                                                      debtor, manager, approver, finance):
    ious = [make_loan(debtor, manager, approver, finance) for _ in range(IOUS)]
    business_date_set(new_date=DAY, reason="测试：生产形态下的日终")
    settings, _ = CloseSettings.objects.get_or_create(organisation=organisation)
    # 24 IOUs in 12 partitions of 2 (below the settings' minimum of 100: set directly for the test).
    CloseSettings.objects.filter(pk=settings.pk).update(partition_size=2, auto_advance=False)
    _, admin_token = api_token_issue(user=admin_user_zh, name="日终")
    _, finance_token = api_token_issue(user=finance, name="还款")

    started = production.request("post", "/api/v1/close-runs", {"through": DAY.isoformat()}, token=admin_token)
    assert started[0] == 201, started
    run_id = started[1]["id"]

    paying = ious[::IOUS // PAYING]  # spread over the id ranges: some before the batch, some after
    answers = []

    def repay(iou):
        answers.append(production.request(
            "post", f"/api/v1/ious/{iou.pk}/repayments", {"amount": "888.49", "payer": "王建国"},
            token=finance_token, headers={"Idempotency-Key": str(uuid.uuid4())}))

    clients = [threading.Thread(target=repay, args=(iou,)) for iou in paying]
    for thread in clients:
        thread.start()

    seen = []
    deadline = time.monotonic() + 120
    while True:
        status, detail = production.request("get", f"/api/v1/close-runs/{run_id}", token=admin_token)
        assert status == 200, detail
        seen.append((detail["state"], detail["partitions_done"]))
        if detail["state"] in ("done", "failed"):
            break
        assert time.monotonic() < deadline, production.all_logs()
        time.sleep(0.2)
    for thread in clients:
        thread.join()

    assert detail["state"] == "done", (detail, production.all_logs())
    assert any(state == "running" and 0 < done < 12 for state, done in seen), seen  # progress seen on the way
    assert detail["partitions_total"] == detail["partitions_done"] == 12 and detail["ious_done"] == IOUS
    assert detail["failures"] == [] and detail["failures_open"] == 0
    assert [status for status, _ in answers] == [201] * PAYING, answers

    run = CloseRun.objects.get(pk=run_id)
    assert run.state == RunState.DONE and run.origin == "api" and run.started_by == admin_user_zh
    parts = list(ClosePartition.objects.filter(close_run=run))
    assert all(p.state == PartitionState.DONE and p.attempts == 1 for p in parts)  # each claimed once
    host = socket.gethostname()
    workers = {f"{host}:{production.processes[name].pid}" for name in ("worker1", "worker2")}
    assert {p.owner for p in parts} == workers  # both worker processes took partitions, nobody else
    covered = sorted(i.pk for i in ious)
    assert all(any(p.lo <= pk <= p.hi for p in parts) for pk in covered)  # no IOU outside a partition
    assert sum(p.ious for p in parts) == IOUS

    # Every IOU's first installment booked once: one interest entry per IOU, none twice.
    entries = list(JournalEntry.objects.filter(kind="interest_accrual").values_list("iou_id", flat=True))
    assert sorted(entries) == covered
    assert Installment.objects.filter(number=1, interest_accrued=True, schedule__is_current=True).count() == IOUS
    paid = {iou.pk for iou in paying}
    assert Transaction.objects.filter(kind="repayment").count() == PAYING
    for iou in Iou.objects.filter(pk__in=covered):
        if iou.pk in paid:
            assert (iou.principal_outstanding, iou.interest_outstanding) == (D("9211.51"), D("0.00")), iou.number
        else:
            assert (iou.principal_outstanding, iou.interest_outstanding) == (D("10000.00"), D("100.00")), iou.number
        assert iou.penalty_outstanding == D("0.00") and iou.days_past_due == 0
    assert CloseSettings.objects.get().closed_through == DAY
    report = verify()
    assert report.ok, report.differences


def test_the_scheduler_of_both_workers_closes_missed_days_and_the_day_once(organisation, production_with_scheduler,
                                                                           debtor, manager, approver, finance):
    # `organisation` first: made before the workers start, or their first tick makes one of its own
    """Both workers tick every second. The days 2026-02-13 and 02-14 were missed (closed through
    02-12, business date 02-15) and the close time (set to 00:00) has passed: the catch-up and the
    daily periodics each start once — one slot row each, one queued close each — and every day up
    to the business date is closed in order; the business date moves on to 02-16."""
    from django_tasks_db.models import DBTaskResult

    from ioudesk.jobs.models import ScheduledSlot

    ious = [make_loan(debtor, manager, approver, finance) for _ in range(4)]
    business_date_set(new_date=DAY, reason="测试：定时日终")
    CloseSettings.objects.update_or_create(organisation=organisation, defaults={
        "closed_through": date(2026, 2, 12), "close_time": "00:00", "auto_advance": True})

    deadline = time.monotonic() + 45  # a few seconds are enough for 3 days of 4 IOUs
    while CloseSettings.objects.get().closed_through != DAY:
        assert time.monotonic() < deadline, (list(CloseRun.objects.values_list("day", "state", "error")),
                                             production_with_scheduler.all_logs())
        time.sleep(0.3)
    time.sleep(3)  # both schedulers tick a few more times: nothing more may start

    slots = sorted(ScheduledSlot.objects.filter(name__startswith="closing.").values_list("name", "slot"))
    from django.utils import timezone

    assert slots == [("closing.catch_up", "2026-02-14"), ("closing.daily", timezone.localdate().isoformat())]
    closes = DBTaskResult.objects.filter(task_path="ioudesk.closing.tasks.close_task")
    assert {r.args_kwargs["args"][0] for r in closes} == {"2026-02-14", "2026-02-15"}  # (and any retry of one)
    assert all(r.status == "SUCCESSFUL" for r in closes)
    runs = list(CloseRun.objects.order_by("day").values_list("day", "state", "origin"))
    assert runs == [(date(2026, 2, d), "done", "scheduler") for d in (13, 14, 15)]
    assert organisation.__class__.objects.get(pk=organisation.pk).business_date == date(2026, 2, 16)
    entries = sorted(JournalEntry.objects.filter(kind="interest_accrual").values_list("iou_id", "day"))
    assert entries == sorted((iou.pk, DAY) for iou in ious)  # the 02-15 installment booked once each
