"""Background tasks of receivables (django-tasks, database backend; run by `ioudesk worker`). Thin:
each calls one service."""

from django_tasks import task

from ioudesk.receivables.bankimport import statement_import_run


@task()
def statement_import_task(job_id: int) -> None:
    """A large bank statement's lines saved, turned into receipts and matched (bankimport.py)."""
    statement_import_run(job_id=job_id)
