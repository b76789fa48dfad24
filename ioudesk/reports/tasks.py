"""Background tasks of the reports app (django-tasks, database backend; run by ``ioudesk worker``).
Thin: each calls one service."""

from django.db import transaction
from django_tasks import task

from ioudesk.reports.models import GeneratedReport, GeneratedState


@task()
def report_generate_task(job_id: int) -> None:
    """A large or scheduled report drawn and kept (generation.report_generate_run)."""
    from ioudesk.reports.generation import report_generate_run

    report_generate_run(job_id=job_id)


def report_enqueue(generated: GeneratedReport) -> None:
    """Hand a report waiting for the worker to the task queue once the current transaction has
    committed (the worker must find its job)."""
    if generated.job_id and generated.state == GeneratedState.QUEUED:
        job_id = generated.job_id
        transaction.on_commit(lambda: report_generate_task.enqueue(job_id))
