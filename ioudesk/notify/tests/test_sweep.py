"""The periodic sweep (notify.deliver_due, every minute): the 08:00 morning after a night close, when
thousands of SMS held back by quiet hours come due at once, is enqueued in one sweep, DELIVER_BATCH
messages per task (tasks.deliver_messages), each message once; a message is enqueued again only
after REENQUEUE_AFTER in the queue, and delivered never twice."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from ioudesk.notify import services
from ioudesk.notify.models import Channel, Message, Status
from ioudesk.notify.tests.conftest import RecordingGateway, at

pytestmark = pytest.mark.django_db

BATCH_TASK = "ioudesk.notify.tasks.deliver_messages"


def held_until_eight(debtor, count: int, prefix: str = "night") -> list[int]:
    """`count` SMS queued during the night close and held by quiet hours to 08:00 (Beijing time):
    what message_deliver's deferral leaves (queued, next_attempt_at = the opening, enqueued_at cleared)."""
    with transaction.atomic():
        messages = services.message_queue_many([
            dict(channel=Channel.SMS, body=f"您本期应还 {n}.00 元", customer=debtor, category="customer_notice",
                 delivery_key=f"{prefix}:{n}") for n in range(count)])
    ids = [m.pk for m in messages]
    Message.objects.filter(pk__in=ids).update(next_attempt_at=at("2026-12-02 08:00"),
                                              scheduled_for=at("2026-12-02 08:00"), enqueued_at=None)
    DBTaskResult.objects.all().delete()  # the tasks of the night (they ran and deferred)
    return ids


def batch_tasks() -> list[list[int]]:
    rows = DBTaskResult.objects.order_by("enqueued_at", "id").values_list("task_path", "args_kwargs")
    assert {path for path, _args in rows} <= {BATCH_TASK}
    return [args["args"][0] for _path, args in rows]


def test_the_morning_is_enqueued_in_one_sweep_in_batches_each_message_once(
        debtor, rules, django_capture_on_commit_callbacks):
    ids = held_until_eight(debtor, 2500)
    assert services.messages_enqueue_due(at("2026-12-02 07:59:30")) == 0  # still quiet hours

    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_enqueue_due(at("2026-12-02 08:00:30")) == 2500
    tasks = batch_tasks()
    assert len(tasks) == 25 and {len(batch) for batch in tasks} == {100}
    enqueued = [message_id for batch in tasks for message_id in batch]
    assert sorted(enqueued) == sorted(ids) and len(set(enqueued)) == 2500  # every message, once
    assert set(Message.objects.filter(pk__in=ids).values_list("enqueued_at", flat=True)) == {at("2026-12-02 08:00:30")}

    # the next minute's sweep finds nothing to enqueue
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.messages_enqueue_due(at("2026-12-02 08:01:30")) == 0
    assert callbacks == [] and len(batch_tasks()) == 25

    # a worker runs the first batch: 100 sent (one debtor here: no daily cap); the same batch again
    # sends nothing (each message's claim)
    rules.daily_cap_sms = 0
    rules.save()
    gateway = RecordingGateway()
    assert services.messages_deliver(tasks[0], now=at("2026-12-02 08:02"), backend=gateway) == {Status.SENT: 100}
    assert services.messages_deliver(tasks[0], now=at("2026-12-02 08:03"), backend=gateway) == {"skipped": 100}
    assert gateway.sent == tasks[0]

    # the other 2,400 wait in the queue (no worker ran them): enqueued again only after 10 minutes
    assert services.messages_enqueue_due(at("2026-12-02 08:10:29")) == 0
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_enqueue_due(at("2026-12-02 08:10:30")) == 2400
    again = batch_tasks()
    assert len(again) == 24 and sorted(m for batch in again for m in batch) == sorted(set(ids) - set(tasks[0]))


def test_a_sweep_takes_chunks_up_to_its_limit_and_the_next_takes_the_rest(
        debtor, rules, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "SWEEP_CHUNK", 7)
    monkeypatch.setattr(services, "SWEEP_LIMIT", 20)
    monkeypatch.setattr(services, "DELIVER_BATCH", 8)
    ids = sorted(held_until_eight(debtor, 30))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_enqueue_due(at("2026-12-02 08:00:30")) == 20
    assert batch_tasks() == [ids[0:8], ids[8:16], ids[16:20]]  # the lowest ids first, 7 + 7 + 6 picked
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_enqueue_due(at("2026-12-02 08:01:30")) == 10
        assert services.messages_enqueue_due(at("2026-12-02 08:01:40")) == 0
    assert batch_tasks() == [ids[20:28], ids[28:30]]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_sweeps_enqueue_each_message_once(sqlite_file_db, debtor, rules):
    """A sweep still in its transaction when the next one starts (a slow minute): the second skips
    the rows the first has picked (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the second's write
    transaction waits for the first), so together they enqueue each message once."""
    ids = held_until_eight(debtor, 250)
    picked, counts = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                counts["first"] = services.messages_enqueue_due(at("2026-12-02 08:00:30"))
                picked.set()
                time.sleep(0.5)  # still in the transaction while the second sweep runs
        finally:
            picked.set()
            connection.close()

    def second():
        try:
            picked.wait(10)
            with transaction.atomic():
                counts["second"] = services.messages_enqueue_due(at("2026-12-02 08:01:30"))
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == {"first": 250, "second": 0}
    enqueued = [message_id for batch in batch_tasks() for message_id in batch]
    assert sorted(enqueued) == sorted(ids)
