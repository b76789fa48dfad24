"""The scheduler: what is due is enqueued exactly once per slot, however many workers tick.

An app registers a periodic in its ``AppConfig.ready()``:

    from ioudesk.jobs.scheduler import daily_at, register_periodic

    register_periodic("reminders.daily", label=_("还款提醒"), due=daily_at(time(9, 0)), run=reminders_enqueue)

Every worker (``ioudesk worker``) calls ``tick()`` every ``IOUDESK_SCHEDULER_SECONDS`` (30 s). For each
periodic, ``slot = due(now)``: a string naming the occurrence that is due now (a date, a minute …) or
None when nothing is due. The ticker then inserts the row ``ScheduledSlot(name, slot)`` and calls
``run(slot)`` in the same transaction. The (name, slot) pair is unique in the database, so only the
one ticker whose insert wins calls ``run``; the others see the row (or the unique violation) and
skip. A restart changes nothing: the row is still there. If ``run`` raises, the transaction rolls
back with the row, and the next tick (of any worker) tries that slot again.

``run`` must be quick and should only enqueue work (a django-tasks task with
``transaction.on_commit``), so that the work starts only once the slot is committed and a failed
slot enqueues nothing.

Slots are kept ``IOUDESK_SCHEDULER_KEEP_DAYS`` (90) days (the hourly periodic ``jobs.prune_slots``); a
``due`` must therefore never name a slot older than that again.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger("ioudesk.jobs.scheduler")

TICK_SECONDS = float(os.environ.get("IOUDESK_SCHEDULER_SECONDS", "30"))
KEEP_DAYS = int(os.environ.get("IOUDESK_SCHEDULER_KEEP_DAYS", "90"))


@dataclass(frozen=True)
class Periodic:
    name: str
    label: str
    due: Callable[[datetime], str | None]
    run: Callable[[str], None]


_periodics: dict[str, Periodic] = {}


def register_periodic(name: str, *, label, due: Callable[[datetime], str | None],
                      run: Callable[[str], None]) -> Periodic:
    """Register (or replace, by name) a periodic. Call it from an AppConfig.ready()."""
    if not name or len(name) > 100:
        raise ValueError("a periodic's name is 1-100 characters")
    periodic = Periodic(name=name, label=label, due=due, run=run)
    _periodics[name] = periodic
    return periodic


def unregister_periodic(name: str) -> None:
    """For tests."""
    _periodics.pop(name, None)


def periodics() -> list[Periodic]:
    return sorted(_periodics.values(), key=lambda p: p.name)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def tick(now: datetime | None = None, *, only: list[str] | None = None) -> list[tuple[str, str]]:
    """Insert every due slot and run the ones this call inserted. Returns the (name, slot) pairs
    this call ran. Never raises for a periodic's error (it is logged and retried next tick)."""
    from ioudesk.jobs.models import ScheduledSlot

    now = now or timezone.now()
    ran: list[tuple[str, str]] = []
    for periodic in periodics():
        if only is not None and periodic.name not in only:
            continue
        try:
            slot = periodic.due(now)
        except Exception:
            logger.exception("scheduler: %s: due() failed", periodic.name)
            continue
        if slot is None:
            continue
        slot = str(slot)[:64]
        if ScheduledSlot.objects.filter(name=periodic.name, slot=slot).exists():
            continue  # the common case: an earlier tick (of this or another worker) took it
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():  # a savepoint: only the insert's own conflict is "taken"
                        ScheduledSlot.objects.create(name=periodic.name, slot=slot, worker=worker_name())
                except IntegrityError:
                    continue  # another worker inserted it first (its transaction committed before ours)
                periodic.run(slot)
        except Exception:
            logger.exception("scheduler: %s slot %s failed; retried at the next tick", periodic.name, slot)
            continue
        logger.info("scheduler: %s slot %s started", periodic.name, slot)
        ran.append((periodic.name, slot))
    return ran


# --- helpers for due() ----------------------------------------------------------------------


def _local(now: datetime) -> datetime:
    return timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)) if timezone.is_aware(now) else now


def daily_at(at: time) -> Callable[[datetime], str | None]:
    """Due once a day at or after ``at`` (Asia/Shanghai, settings.TIME_ZONE): the slot is that
    local date ("2026-12-01"). A worker started after ``at`` still runs that day's slot."""

    def due(now: datetime) -> str | None:
        local = _local(now)
        return local.date().isoformat() if local.time() >= at else None

    return due


def every(*, minutes: int) -> Callable[[datetime], str]:
    """Due every ``minutes`` minutes, on the local clock's multiples of it ("2026-12-01T10:05")."""
    if minutes < 1:
        raise ValueError("minutes >= 1")

    def due(now: datetime) -> str:
        local = _local(now).replace(second=0, microsecond=0)
        minute_of_day = local.hour * 60 + local.minute
        start = local.replace(hour=0, minute=0) + timedelta(minutes=minute_of_day - minute_of_day % minutes)
        return start.strftime("%Y-%m-%dT%H:%M")

    return due


def slots_prune(slot: str) -> None:
    """Forget slots older than KEEP_DAYS (run by the hourly periodic jobs.prune_slots)."""
    from ioudesk.jobs.models import ScheduledSlot

    ScheduledSlot.objects.filter(created_at__lt=timezone.now() - timedelta(days=KEEP_DAYS)).delete()
