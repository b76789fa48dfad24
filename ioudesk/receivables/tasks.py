"""Background tasks of receivables (django-tasks, database backend; run by `ioudesk worker`). Thin:
each calls one service."""

from django.db import transaction
from django_tasks import task

from ioudesk.receivables.bankimport import statement_import_run
from ioudesk.receivables.models import BankStatement, ImportStatus


@task()
def statement_import_task(job_id: int) -> None:
    """A large bank statement's lines saved, turned into receipts and matched (bankimport.py)."""
    statement_import_run(job_id=job_id)


def statement_enqueue(statement: BankStatement) -> None:
    """Hand a batch waiting for the worker to the task queue, once the current transaction has
    committed (the worker must find the job); a batch imported at once needs nothing."""
    if statement.job_id and statement.status == ImportStatus.RUNNING:
        job_id = statement.job_id
        transaction.on_commit(lambda: statement_import_task.enqueue(job_id))
