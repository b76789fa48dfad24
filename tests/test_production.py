"""The production shape at work (tests/production.py: 2 gunicorn web processes and 2 `ioudesk
worker` processes on the PostgreSQL test database).

1. Repayments through the API on 24 IOUs at once, each sent twice with the same Idempotency-Key
   by different client threads (so the two copies usually land in different web processes): every
   IOU is paid exactly once, to the fen, and the ledger balances.
2. Background work reaches both workers: tasks queued by the test are run, each exactly once, and
   shared between the two worker processes.

The worked example: ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly installments
(30/360) → ¥888.49 a month; the first, due 2026-02-15, is interest 100.00 + principal 788.49, so
paying it on its due date leaves principal 10,000 − 788.49 = 9,211.51 and nothing else owed.
"""

import threading
import time
import uuid
from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.core.models import Organisation
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ledger.verify import verify

pytestmark = pytest.mark.postgres

IOUS = 24
START = date(2026, 1, 15)
DUE = date(2026, 2, 15)


def disbursed_loans(debtor, manager, approver, finance, count):
    ious = []
    with clock.frozen(START):
        for _ in range(count):
            iou, _warning = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12,
                                               rate_text="12%", method="equal_installment", contract_date=START),
                                       user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
            ious.append(iou)
    return ious


def test_concurrent_repayments_through_two_web_processes(production, organisation, debtor, manager, approver,
                                                         finance):
    ious = disbursed_loans(debtor, manager, approver, finance, IOUS)
    Organisation.objects.filter(pk=organisation.pk).update(business_date=DUE)  # the web processes' 营业日
    _, token = api_token_issue(user=finance, name="并发测试")

    requests = [(iou.pk, f"repay-{iou.pk}-{uuid.uuid4()}") for iou in ious]
    copies = requests + requests[::-1]  # each request twice, the copies far apart in the order
    chunks = [copies[i::8] for i in range(8)]
    answers: list[tuple[int, int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(chunks))

    def client(chunk):
        barrier.wait()
        for iou_id, key in chunk:
            status, body = production.request("post", f"/api/v1/ious/{iou_id}/repayments",
                                              {"amount": "888.49", "reference": key[:40], "payer": "王建国"},
                                              token=token, headers={"Idempotency-Key": key})
            with lock:
                answers.append((iou_id, status, body))

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 2 * IOUS
    assert all(status == 201 for _, status, _ in answers), [a for a in answers if a[1] != 201][:3]
    by_iou: dict[int, set] = {}
    for iou_id, _status, body in answers:
        by_iou.setdefault(iou_id, set()).add(body["id"])
    assert all(len(ids) == 1 for ids in by_iou.values())  # both copies answered with the same transaction
    assert Transaction.objects.filter(iou__in=ious, kind="repayment").count() == IOUS
    for iou in Iou.objects.filter(pk__in=[i.pk for i in ious]):
        assert iou.principal_outstanding == D("9211.51")
        assert iou.interest_outstanding == D("0.00") and iou.penalty_outstanding == D("0.00")
        assert iou.status == "active"
    report = verify()
    assert report.ok, report.differences
    production_log = production.log("web")
    assert production_log.count('"POST /api/v1/ious/') == 2 * IOUS


def test_tasks_are_shared_by_the_two_workers_each_run_once(production, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from ioudesk.jobs.tests.tasks import touch

    marks = [tmp_path / f"mark-{n}.txt" for n in range(40)]
    for mark in marks:
        touch.enqueue(str(mark), "完成")
    deadline = time.monotonic() + 90
    while DBTaskResult.objects.filter(status="SUCCESSFUL").count() < len(marks):
        assert time.monotonic() < deadline, production.all_logs()
        time.sleep(0.3)
    assert all(mark.read_text() == "完成" for mark in marks)
    results = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    assert len(results) == len(marks) and all(status == "SUCCESSFUL" for status, _ in results)
    assert all(len(worker_ids) == 1 for _, worker_ids in results)  # each task taken by one worker, once
    workers = {worker_ids[0] for _, worker_ids in results}
    assert workers <= {"test-worker-1", "test-worker-2"}
