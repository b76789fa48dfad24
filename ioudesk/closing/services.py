"""Writes of the daily close (日终): start a close (refused with the reason when it cannot be),
run it (every unclosed day up to the date, in date order), help a run in progress, retry what
failed. The engine (engine.py) does the work of one day; this module drives the days.

Interfaces call these: the close-day command and the tasks (closing/tasks.py) run the close;
the back office and the API start it (``close_start``) and enqueue ``close_task`` on commit.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.closing import engine
from ioudesk.closing.models import CloseFailure, ClosePartition, CloseRun, CloseSettings, RunOrigin, RunState
from ioudesk.closing.registry import day_steps
from ioudesk.core import audit, clock
from ioudesk.core.errors import ApplicationError, InvalidState, ValidationFailed
from ioudesk.core.models import Organisation
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.services import business_date_set, organisation_current

logger = logging.getLogger("ioudesk.closing")


class CloseRefused(ApplicationError):
    code = "close_refused"


class CloseRunning(CloseRefused):
    code = "close_running"


class AlreadyClosed(CloseRefused):
    code = "already_closed"


def _seconds(started: float) -> float:
    """Seconds since `started` (time.monotonic), to the millisecond (a timing, not money)."""
    return int((time.monotonic() - started) * 1000) / 1000


def _settings(organisation: Organisation) -> CloseSettings:
    settings, _created = CloseSettings.objects.get_or_create(organisation=organisation)
    return settings


def close_settings_ensure() -> CloseSettings:
    """At set-up (`ioudesk setup`, every `make run`): the close settings exist, and a book that has
    never been closed counts as closed through the day before the business date, so the first
    close is of the business date and a date moved on later is caught up from there (otherwise
    the first close would have nothing to start from). Idempotent: a closed_through set stays."""
    settings = _settings(organisation_current())
    if settings.closed_through is None:
        settings.closed_through = clock.today() - timedelta(days=1)
        settings.save(update_fields=["closed_through"])
    return settings


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _running_message(run: CloseRun) -> str:
    return _g("日终 %(day)s 正在进行（开始于 %(at)s，%(owner)s）。请等待它完成，或在另一台机器上加入（close-day --join）。") % {
        "day": run.day.isoformat(), "at": _local(run.started_at or run.created_at), "owner": run.owner or "-"}


def close_days(*, through: date | None = None) -> tuple[Organisation, list[date]]:
    """The days a close through `through` (the business date by default) has to do, or the refusal."""
    organisation = organisation_current()
    business = clock.today()
    through = through or business
    if through > business:
        raise CloseRefused(_("不能日终 %(day)s：晚于营业日 %(business)s。日终只能关闭营业日当天及以前的日期。") % {
            "day": through.isoformat(), "business": business.isoformat()}, extra={"field": "date"})
    closed = _settings(organisation).closed_through
    if closed is not None and through <= closed:
        raise AlreadyClosed(_("%(day)s 已完成日终（已日终至 %(closed)s），无需再做。") % {
            "day": through.isoformat(), "closed": closed.isoformat()}, extra={"field": "date"})
    first = closed + timedelta(days=1) if closed is not None else through
    return organisation, [first + timedelta(days=n) for n in range((through - first).days + 1)]


@transaction.atomic
def close_start(*, through: date | None = None, started_by=None, origin: str = RunOrigin.BACKOFFICE) -> CloseRun:
    """Record a close of every unclosed day up to `through` (the business date by default), queued
    in date order; returns the first day's run. Refused with the reason: the date is closed already,
    after the business date, or a close of one of these days is running. The caller (a page, the
    API, the scheduler) enqueues ``closing.tasks.close_task`` with transaction.on_commit; the
    close-day command runs ``close_execute`` itself."""
    if started_by is not None and not started_by.has_perm("closing.run_close"):
        from ioudesk.core.errors import PermissionDenied

        raise PermissionDenied(_("您没有执行日终的权限。"))
    if origin not in RunOrigin.values:
        raise ValidationFailed(_("未知的发起方式：%(origin)s。") % {"origin": origin})
    organisation, days = close_days(through=through)
    runs = []
    for day in days:
        run, created = CloseRun.objects.select_for_update().get_or_create(
            organisation=organisation, day=day,
            defaults={"origin": origin, "started_by": started_by if getattr(started_by, "is_authenticated", False) else None})
        if not created and run.state == RunState.RUNNING and engine._held(run.owner, run.lease_until):
            raise CloseRunning(_running_message(run))
        if not created and run.state == RunState.FAILED:
            run.state = RunState.QUEUED
            run.save(update_fields=["state"])
        runs.append(run)
    audit.record(AuditAction.ACTION, obj=runs[0], verb="开始日终", reason=_g("日终至 %(day)s") % {
        "day": days[-1].isoformat()}, changes={"through": [None, days[-1].isoformat()], "origin": [None, origin]})
    return runs[0]


def close_execute(*, through: date | None = None, started_by=None, origin: str = RunOrigin.COMMAND,
                  progress: Callable[[CloseRun], None] | None = None,
                  on_partitioned: Callable[[CloseRun], None] | None = None) -> list[CloseRun]:
    """Close every unclosed day up to `through`, in date order, in this process (helpers may join
    each day's partitions: `on_partitioned` is called once a day's partitions exist, e.g. to start
    or enqueue them). Returns the runs done. Refused as ``close_start`` is."""
    close_start(through=through, started_by=started_by, origin=origin)
    _organisation, days = close_days(through=through)
    done = []
    for index, day in enumerate(days):
        run = CloseRun.objects.get(organisation=_organisation, day=day)
        close_one_day(run, catching_up=index < len(days) - 1, progress=progress, on_partitioned=on_partitioned)
        done.append(run)
    return done


def _take_run(run: CloseRun) -> tuple[CloseRun, bool]:
    """Become the run's driver (short transaction, run row locked), partitioning it the first time.
    Returns (run, partitioned now)."""
    with transaction.atomic():
        run = CloseRun.objects.select_for_update().get(pk=run.pk)
        if run.state == RunState.DONE:
            return run, False
        if run.state == RunState.RUNNING and engine._held(run.owner, run.lease_until):
            raise CloseRunning(_running_message(run))
        settings = _settings(run.organisation)
        if settings.closed_through is not None and run.day != settings.closed_through + timedelta(days=1):
            raise CloseRefused(_("不能日终 %(day)s：应先日终 %(next)s。") % {
                "day": run.day.isoformat(), "next": (settings.closed_through + timedelta(days=1)).isoformat()})
        run.state, run.owner, run.lease_until = RunState.RUNNING, engine.worker_name(), engine.lease_from_now()
        run.started_at = run.started_at or timezone.now()
        run.error = ""
        run.save(update_fields=["state", "owner", "lease_until", "started_at", "error"])
        fresh = not ClosePartition.objects.filter(close_run=run).exists()
        if fresh:
            run.phase = "ious"
            started = time.monotonic()
            engine.partition(run, size=settings.partition_size, since=settings.closed_through)
            run.timings = {**run.timings, "partition": _seconds(started)}
            CloseRun.objects.filter(pk=run.pk).update(phase=run.phase, timings=run.timings)
        return run, fresh


def record_failure(run: CloseRun, iou_id: int | None, step: str, error: Exception, trace: str) -> None:
    """One IOU (or day step) that raised: recorded, the run goes on. Written in the caller's
    transaction when there is one (after its savepoint rolled back)."""
    CloseFailure.objects.create(close_run=run, iou_id=iou_id, step=step, message=str(error)[:2000] or repr(error),
                                traceback=trace[-20000:])


def close_one_day(run: CloseRun, *, catching_up: bool = False, progress: Callable | None = None,
                  on_partitioned: Callable | None = None) -> CloseRun:
    """Drive the close of one day: partitions (with any helpers), then the day steps, then done."""
    run, _fresh = _take_run(run)
    if run.state == RunState.DONE:
        return run
    try:
        started = time.monotonic()
        if on_partitioned:
            on_partitioned(run)
        engine.wait_for_partitions(run, progress=progress, record_failure=record_failure)
        run.refresh_from_db()
        run.timings = {**run.timings, "ious": _seconds(started)}
        CloseRun.objects.filter(pk=run.pk).update(timings=run.timings, phase="steps")
        _run_day_steps(run, catching_up)
        _finish(run)
    except Exception as error:
        CloseRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, error=f"{error}\n{traceback.format_exc()}"[-5000:],
                                                  finished_at=timezone.now(), owner="", lease_until=None)
        raise
    if progress:
        run.refresh_from_db()
        progress(run)
    return run


def _run_day_steps(run: CloseRun, catching_up: bool) -> None:
    for step in day_steps():
        started = time.monotonic()
        if step.name in run.counts.get("steps_done", []):
            continue  # done before a restart: a step is idempotent, but it need not run again
        try:
            counts = step.run(day=run.day, close_run=run, catching_up=catching_up) or {}
        except Exception as error:  # noqa: BLE001 - one step's error is recorded, the others run
            logger.exception("day step %s failed for %s", step.name, run.day)
            record_failure(run, None, step.name, error, traceback.format_exc())
            counts = {"failed": 1}
        else:
            run.counts.setdefault("steps_done", []).append(step.name)
        run.counts[step.name] = counts
        run.timings[step.name] = _seconds(started)
        CloseRun.objects.filter(pk=run.pk).update(counts=run.counts, timings=run.timings, lease_until=engine.lease_from_now())


def _finish(run: CloseRun) -> None:
    """Mark the day done, move closed_through, and advance the business date when it is this day
    and the organisation advances automatically."""
    with transaction.atomic():
        settings = CloseSettings.objects.select_for_update().get(organisation_id=run.organisation_id)
        run.state, run.finished_at, run.phase, run.owner, run.lease_until = RunState.DONE, timezone.now(), "", "", None
        run.save(update_fields=["state", "finished_at", "phase", "owner", "lease_until", "counts", "timings"])
        if settings.closed_through is None or settings.closed_through < run.day:
            settings.closed_through = run.day
            settings.save(update_fields=["closed_through"])
        organisation = Organisation.objects.get(pk=run.organisation_id)
        if settings.auto_advance and organisation.business_date == run.day:
            try:
                with transaction.atomic():
                    business_date_set(organisation=organisation, new_date=run.day + timedelta(days=1),
                                      reason=_g("日终 %(day)s 完成") % {"day": run.day.isoformat()})
            except ApplicationError as error:
                record_failure(run, None, "advance", error, traceback.format_exc())


def close_join(*, run: CloseRun | None = None, progress: Callable | None = None) -> int:
    """Help a run in progress (another process or machine drives it): close partitions until none
    is left to claim. Returns how many this process closed."""
    if run is None:
        run = CloseRun.objects.filter(state=RunState.RUNNING).order_by("day").first()
        if run is None:
            return 0
    return engine.work_partitions(run, record_failure=record_failure, progress=progress)


@transaction.atomic
def close_retry_failed(*, close_run: CloseRun, user) -> dict[str, int]:
    """Try the run's open failures again: each IOU brought to the run's day (each in its savepoint),
    each failed day step run again. Resolved ones are marked; those that fail again keep their
    record with the new message."""
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services.accrual import iou_close_day

    if user is not None and not user.has_perm("closing.run_close"):
        from ioudesk.core.errors import PermissionDenied

        raise PermissionDenied(_("您没有执行日终的权限。"))
    if close_run.state == RunState.RUNNING and engine._held(close_run.owner, close_run.lease_until):
        raise InvalidState(_running_message(close_run))
    steps = {step.name: step for step in day_steps()}
    result = {"resolved": 0, "failed": 0}
    for failure in CloseFailure.objects.select_for_update().filter(close_run=close_run, resolved_at__isnull=True):
        try:
            with transaction.atomic():
                if failure.iou_id is not None:
                    iou_close_day(iou=Iou(pk=failure.iou_id), day=close_run.day)
                elif failure.step in steps:
                    close_run.counts[failure.step] = steps[failure.step].run(
                        day=close_run.day, close_run=close_run, catching_up=False) or {}
        except Exception as error:  # noqa: BLE001
            failure.message, failure.traceback = str(error)[:2000], traceback.format_exc()[-20000:]
            failure.save(update_fields=["message", "traceback"])
            result["failed"] += 1
            continue
        failure.resolved_at, failure.retried_by = timezone.now(), user if getattr(user, "is_authenticated", False) else None
        failure.save(update_fields=["resolved_at", "retried_by"])
        result["resolved"] += 1
    CloseRun.objects.filter(pk=close_run.pk).update(counts=close_run.counts)
    audit.record(AuditAction.ACTION, obj=close_run, verb="重试日终失败项", changes={k: [None, v] for k, v in result.items()})
    return result


@transaction.atomic
def close_settings_update(*, auto_advance: bool | None = None, close_time=None, partition_size: int | None = None,
                          actor=None) -> CloseSettings:
    """Change the close settings (audited)."""
    if actor is not None and not actor.has_perm("closing.change_closesettings"):
        from ioudesk.core.errors import PermissionDenied

        raise PermissionDenied(_("您没有修改日终设置的权限。"))
    settings = CloseSettings.objects.select_for_update().get(pk=_settings(organisation_current()).pk)
    before = audit.snapshot(settings)
    if auto_advance is not None:
        settings.auto_advance = bool(auto_advance)
    if close_time is not None:
        settings.close_time = close_time
    if partition_size is not None:
        if not 100 <= partition_size <= 100000:
            raise ValidationFailed(_("每个分区的借据数应在 100 到 100000 之间。"), extra={"field": "partition_size"})
        settings.partition_size = partition_size
    settings.save()
    audit.record_change(obj=settings, before=before, after=audit.snapshot(settings), verb="修改日终设置")
    return settings
