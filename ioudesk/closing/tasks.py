"""Background tasks of the daily close (django-tasks, database backend; run by `ioudesk worker`).
Thin: each calls one service. Enqueued with transaction.on_commit by whoever starts a close
(the back office, the API, the scheduler's periodic in closing/periodic.py)."""

from __future__ import annotations

import os
from datetime import date, timedelta

from django.db import transaction
from django_tasks import task

from ioudesk.closing import services

# Helpers enqueued per day beside the driver (several workers share the day's partitions).
HELPERS = int(os.environ.get("IOUDESK_CLOSE_HELPERS", "1"))
# A close that finds another worker driving one of its days tries again this much later, until its
# own last day is closed (the other close may end before it).
RETRY_SECONDS = float(os.environ.get("IOUDESK_CLOSE_RETRY_SECONDS", "30"))


@task()
def close_task(through_iso: str, origin: str = "scheduler", started_by_id: int | None = None) -> None:
    """Close every unclosed day up to `through_iso`; other workers are asked to help each day."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=started_by_id).first() if started_by_id else None

    def helpers(run) -> None:
        for _n in range(min(HELPERS, max(run.partitions_total - 1, 0))):
            transaction.on_commit(lambda run_id=run.pk: close_partition_task.enqueue(run_id))

    try:
        services.close_execute(through=date.fromisoformat(through_iso), started_by=user, origin=origin,
                               on_partitioned=helpers)
    except services.AlreadyClosed:
        pass  # closed in the meantime (another worker, the command): nothing to do
    except services.CloseRunning:
        # Another worker drives one of these days (its partitions are shared through
        # close_partition_task); it may stop before this close's last day: try again later, until
        # the day is closed (AlreadyClosed) or this task drives it.
        from django.utils import timezone

        close_task.using(run_after=timezone.now() + timedelta(seconds=RETRY_SECONDS)).enqueue(
            through_iso, origin, started_by_id)


@task()
def close_partition_task(run_id: int) -> None:
    """Help a run in progress with its partitions."""
    from ioudesk.closing.models import CloseRun

    run = CloseRun.objects.filter(pk=run_id).first()
    if run is not None:
        services.close_join(run=run)


def enqueue_close(through: date, *, origin: str, started_by=None) -> None:
    """For the interfaces: enqueue the close once the current transaction commits."""
    user_id = started_by.pk if getattr(started_by, "is_authenticated", False) else None
    transaction.on_commit(lambda: close_task.enqueue(through.isoformat(), origin, user_id))
