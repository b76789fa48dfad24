"""The scheduler (ioudesk/jobs/scheduler.py): a periodic's slot runs exactly once, with two workers
ticking at once (threads on a file SQLite database, and on PostgreSQL) and after a restart; a
failing run leaves no slot behind and is retried; the due() helpers name the right slots."""

import threading
import time as _time
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from ioudesk.jobs import scheduler
from ioudesk.jobs.models import ScheduledSlot

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def periodic():
    """A test periodic whose due() returns the hour of `now` and whose run() records its calls."""
    calls: list[str] = []
    lock = threading.Lock()

    def run(slot):
        _time.sleep(0.02)  # hold the transaction a while: the other ticker must wait or lose
        with lock:
            calls.append(slot)

    scheduler.register_periodic("test.hourly", label="测试", due=lambda now: now.strftime("%Y-%m-%dT%H"), run=run)
    yield calls
    scheduler.unregister_periodic("test.hourly")


@pytest.mark.django_db
def test_a_slot_runs_once_and_not_again_after_a_restart(periodic):
    now = datetime(2026, 12, 1, 10, 15, tzinfo=SHANGHAI)
    assert scheduler.tick(now, only=["test.hourly"]) == [("test.hourly", "2026-12-01T10")]
    assert scheduler.tick(now.replace(minute=45), only=["test.hourly"]) == []  # the same slot
    # A restart: the registry is rebuilt, the database still holds the slot.
    scheduler.unregister_periodic("test.hourly")
    scheduler.register_periodic("test.hourly", label="测试", due=lambda now: now.strftime("%Y-%m-%dT%H"),
                                run=lambda slot: periodic.append(slot))
    assert scheduler.tick(now.replace(minute=50), only=["test.hourly"]) == []
    assert scheduler.tick(now.replace(hour=11), only=["test.hourly"]) == [("test.hourly", "2026-12-01T11")]
    assert periodic == ["2026-12-01T10", "2026-12-01T11"]
    assert list(ScheduledSlot.objects.order_by("id").values_list("slot", flat=True)) == [
        "2026-12-01T10", "2026-12-01T11"]


@pytest.mark.django_db
def test_a_failing_run_leaves_no_slot_and_is_retried():
    attempts = []

    def run(slot):
        attempts.append(slot)
        ScheduledSlot.objects.create(name="test.side", slot=slot)  # written in the slot's transaction
        if len(attempts) == 1:
            raise RuntimeError("the first attempt fails")

    scheduler.register_periodic("test.flaky", label="测试", due=lambda now: "S1", run=run)
    try:
        now = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
        assert scheduler.tick(now, only=["test.flaky"]) == []
        assert not ScheduledSlot.objects.exists()  # the slot and the run's own write rolled back
        assert scheduler.tick(now, only=["test.flaky"]) == [("test.flaky", "S1")]
        assert scheduler.tick(now, only=["test.flaky"]) == []
        assert attempts == ["S1", "S1"]
        assert ScheduledSlot.objects.filter(name="test.side").count() == 1
    finally:
        scheduler.unregister_periodic("test.flaky")


@pytest.mark.django_db
def test_none_is_not_due_and_a_failing_due_is_skipped():
    scheduler.register_periodic("test.never", label="测试", due=lambda now: None, run=lambda slot: 1 / 0)
    scheduler.register_periodic("test.broken", label="测试", due=lambda now: 1 / 0, run=lambda slot: None)
    try:
        assert scheduler.tick(only=["test.never", "test.broken"]) == []
        assert not ScheduledSlot.objects.exists()
    finally:
        scheduler.unregister_periodic("test.never")
        scheduler.unregister_periodic("test.broken")


def test_daily_at_and_every():
    due = scheduler.daily_at(time(2, 0))
    # 01:59 in Shanghai is 17:59 UTC the day before: not due; 02:00 Shanghai is due for that date.
    assert due(datetime(2026, 11, 30, 17, 59, tzinfo=ZoneInfo("UTC"))) is None
    assert due(datetime(2026, 11, 30, 18, 0, tzinfo=ZoneInfo("UTC"))) == "2026-12-01"
    assert due(datetime(2026, 12, 1, 23, 59, tzinfo=SHANGHAI)) == "2026-12-01"
    five = scheduler.every(minutes=5)
    assert five(datetime(2026, 12, 1, 10, 4, 59, tzinfo=SHANGHAI)) == "2026-12-01T10:00"
    assert five(datetime(2026, 12, 1, 10, 5, tzinfo=SHANGHAI)) == "2026-12-01T10:05"
    assert scheduler.every(minutes=60)(datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)) == "2026-12-01T23:00"


def test_the_jobs_app_registers_its_own_periodic():
    assert "jobs.prune_slots" in {p.name for p in scheduler.periodics()}


# --- two workers ticking at once ------------------------------------------------------------

HOURS = 12


def tick_concurrently(calls):
    """Two tickers, each ticking through the same 12 hours three times over, started together."""
    start = threading.Barrier(2)
    ran: dict[str, list] = {"a": [], "b": []}
    errors = []

    def ticker(name):
        try:
            start.wait()
            for _ in range(3):
                for hour in range(HOURS):
                    now = datetime(2026, 12, 1, hour, 0, tzinfo=SHANGHAI)
                    ran[name] += scheduler.tick(now, only=["test.hourly"])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker, args=(name,)) for name in ran]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = [f"2026-12-01T{hour:02d}" for hour in range(HOURS)]
    assert errors == []
    assert sorted(calls) == expected  # every slot run, none twice
    assert sorted(slot for _, slot in ran["a"] + ran["b"]) == expected
    assert sorted(ScheduledSlot.objects.filter(name="test.hourly").values_list("slot", flat=True)) == expected


@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_on_sqlite(sqlite_file_db, periodic):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    assert not connection.is_in_memory_db()
    tick_concurrently(periodic)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_on_postgres(periodic):
    tick_concurrently(periodic)


@pytest.mark.django_db
def test_a_run_that_hits_a_unique_constraint_of_its_own_is_a_failure_not_a_taken_slot(caplog):
    def run(slot):
        ScheduledSlot.objects.create(name="test.side", slot="X")
        ScheduledSlot.objects.create(name="test.side", slot="X")  # the run's own bug

    scheduler.register_periodic("test.buggy", label="测试", due=lambda now: "S1", run=run)
    try:
        assert scheduler.tick(only=["test.buggy"]) == []
        assert "test.buggy slot S1 failed" in caplog.text  # logged as the failure it is
        assert not ScheduledSlot.objects.exists()  # and retried next tick
    finally:
        scheduler.unregister_periodic("test.buggy")
