"""Writes for background job records. Progress is written with a plain UPDATE outside any
transaction of the work itself, so the page polling it sees it at once."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioudesk.core.errors import NotFound
from ioudesk.jobs.models import Job, JobState


def job_create(*, kind: str, user, title: str = "", params: dict | None = None, total: int = 0) -> Job:
    return Job.objects.create(kind=kind, user=user, title=title[:200], params=params or {}, total=total)


def job_start(job: Job, *, phase: str = "", total: int | None = None) -> None:
    job.state, job.phase, job.started_at = JobState.RUNNING, phase, timezone.now()
    fields = {"state": job.state, "phase": phase, "started_at": job.started_at}
    if total is not None:
        job.total = fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def job_progress(job: Job, processed: int, *, total: int | None = None, phase: str | None = None) -> None:
    job.processed = processed
    fields: dict = {"processed": processed}
    if total is not None:
        job.total = fields["total"] = total
    if phase is not None:
        job.phase = fields["phase"] = phase
    Job.objects.filter(pk=job.pk).update(**fields)


def job_finish(job: Job, *, result: dict) -> None:
    job.state, job.result, job.finished_at, job.processed = JobState.DONE, result, timezone.now(), job.total
    job.phase = ""
    job.save(update_fields=["state", "result", "finished_at", "processed", "phase"])


def job_fail(job: Job, *, message: str) -> None:
    job.state, job.error, job.finished_at = JobState.FAILED, str(message)[:2000], timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])


def job_for_user(*, user, pk, kinds=None) -> Job:
    """A job the user started (anyone else's is "not found", like a record of another branch)."""
    queryset = Job.objects.filter(user=user)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    job = queryset.filter(pk=pk).first()
    if job is None:
        raise NotFound(_("后台作业不存在，或不是您发起的。"))
    return job


def jobs_for_user(*, user, kinds=None, limit: int = 50) -> list[Job]:
    queryset = Job.objects.filter(user=user)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return list(queryset.order_by("-id")[:limit])
