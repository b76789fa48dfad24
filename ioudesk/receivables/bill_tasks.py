"""Background task of the bill import (django-tasks, database backend; run by ``ioudesk worker``).
Thin: it calls one service."""

from django_tasks import task

from ioudesk.receivables.bill_import import bill_import_job_run


@task()
def bill_import_job(job_id: int) -> None:
    """A large bill import's dry run or import (ioudesk/receivables/bill_import.py)."""
    bill_import_job_run(job_id=job_id)
