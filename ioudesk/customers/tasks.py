"""Background tasks of the customers app (django-tasks, database backend; run by `ioudesk db_worker`).
Thin: each calls one service."""

from django_tasks import task

from ioudesk.customers.excel.background import import_job_run


@task()
def customer_import_job(job_id: int) -> None:
    """A large customer import's dry run or import (ioudesk/customers/excel/background.py)."""
    import_job_run(job_id=job_id)
