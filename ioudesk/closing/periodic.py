"""The close's periodics for the scheduler (ioudesk/jobs/scheduler.py), registered in
ClosingConfig.ready():

- ``closing.daily``: at the configured close time (Asia/Shanghai) once per real day, the business
  date is closed (when it is not closed yet);
- ``closing.catch_up``: whenever days before the business date are not closed (the date was moved
  on, the server was down), they are closed at once, in date order.

Both only enqueue close_task (on commit); the close itself runs in a worker. The task is named by
its path: a periodic's run is the scheduler's entry into the app (like a page), and the domain
imports no interface module (ioudesk/ious/tests/test_layering.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone


def daily_due(now: datetime) -> str | None:
    from ioudesk.closing.selectors import close_settings

    local = timezone.localtime(now)
    return local.date().isoformat() if local.time() >= close_settings().close_time else None


def daily_run(slot: str) -> None:
    from ioudesk.closing.selectors import closed_through
    from ioudesk.core import clock

    business = clock.today()
    closed = closed_through()
    if closed is None or closed < business:
        enqueue_close(business, origin="scheduler")


def catch_up_due(now: datetime) -> str | None:
    from ioudesk.closing.selectors import closed_through
    from ioudesk.core import clock

    closed = closed_through()
    yesterday = clock.today() - timedelta(days=1)
    return yesterday.isoformat() if closed is not None and closed < yesterday else None


def catch_up_run(slot: str) -> None:
    enqueue_close(date.fromisoformat(slot), origin="scheduler")


CLOSE_TASK = "ioudesk.closing.tasks.close_task"


def enqueue_close(through: date, *, origin: str) -> None:
    from django.db import transaction
    from django.utils.module_loading import import_string

    task = import_string(CLOSE_TASK)
    transaction.on_commit(lambda: task.enqueue(through.isoformat(), origin, None))


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    try:
        from ioudesk.jobs.scheduler import register_periodic
    except ImportError:  # the scheduler is not there yet
        return
    register_periodic("closing.daily", label=_("日终"), due=daily_due, run=daily_run)
    register_periodic("closing.catch_up", label=_("补做日终"), due=catch_up_due, run=catch_up_run)
