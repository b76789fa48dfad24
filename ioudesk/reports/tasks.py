"""Background tasks of the reports app (django-tasks, database backend; run by ``ioudesk worker``).
Thin: each calls one service. generation.report_enqueue enqueues them on commit."""

from django_tasks import task


@task()
def report_generate_task(job_id: int) -> None:
    """A large or scheduled report drawn and kept (generation.report_generate_run)."""
    from ioudesk.reports.generation import report_generate_run

    report_generate_run(job_id=job_id)
