"""Large customer imports in the background (issue 9, defect 25).

A file of more than ``background_rows()`` rows (or an upload over BACKGROUND_BYTES) is not
checked inside the web request: the upload is staged and a job record (ioudesk.jobs) is created;
the task ``ioudesk.customers.tasks.customer_import_job`` runs :func:`import_job_run` in the
worker (``ioudesk db_worker``; ``make run`` starts one). The dry run reads the file once and
stages the rows it read; the confirmation (another job) takes those rows instead of the file.
The page polls the job's progress (processed/total) and shows the result when it is done; the
user may leave and come back (:func:`import_jobs`, 我的导入).

Who may see a job: only the user who started it. The result keeps counts, the first
MAX_ERRORS_KEPT problems (row, column, reason) and the first MAX_NUMBERS_KEPT new customer
numbers; never the rows themselves.
"""

from __future__ import annotations

import logging
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.errors import ApplicationError, InvalidState
from ioudesk.customers.excel.columns import BACKGROUND_ROWS, ImportMode
from ioudesk.customers.excel.importing import (
    ImportCheck,
    ImportResult,
    _require_import_permission,
    customers_import,
    customers_import_check,
    read_import_file,
)
from ioudesk.customers.excel.staging import import_peek, import_stage, import_take
from ioudesk.jobs import services as jobs
from ioudesk.jobs.models import Job, JobKind, JobState

log = logging.getLogger(__name__)

KINDS = (JobKind.CUSTOMER_IMPORT_CHECK, JobKind.CUSTOMER_IMPORT)
MAX_ERRORS_KEPT = 1000
MAX_NUMBERS_KEPT = 1000


def background_rows() -> int:
    """Files of more rows than this are checked and imported in the background."""
    return int(getattr(settings, "IOUDESK_IMPORT_BACKGROUND_ROWS", None) or BACKGROUND_ROWS)


def import_job_check_start(*, user, name: str, data: bytes | None = None, parsed=None) -> Job:
    """Stage the upload (or the rows already read) and create the dry-run job. The caller
    enqueues the task once the transaction commits."""
    _require_import_permission(user)
    token = import_stage(user=user, name=name, data=data, parsed=parsed)
    return jobs.job_create(kind=JobKind.CUSTOMER_IMPORT_CHECK, user=user, title=name,
                           params={"token": token}, total=len(parsed.rows) if parsed is not None else 0)


def import_job_confirm(*, user, check_job: Job, mode: str) -> Job:
    """The confirmation of a finished background dry run (or of a refused all-or-nothing import,
    to import the good rows): the import job, on the rows the dry run read."""
    _require_import_permission(user)
    if mode not in ImportMode.values:
        raise InvalidState(_("请选择导入方式。"))
    if check_job.state != JobState.DONE:
        raise InvalidState(_("试导入尚未完成，请等它完成后再确认导入。"))
    if check_job.kind == JobKind.CUSTOMER_IMPORT_CHECK:
        token = check_job.params.get("token", "")
    else:  # an all-or-nothing import that was refused: its rows are kept for "good rows only"
        token = (check_job.result or {}).get("retry_token", "")
        if not token:
            raise InvalidState(_("这个导入已经完成，不能再次导入。"))
    if check_job.params.get("confirmed"):
        raise InvalidState(_("这个文件已经确认导入过，请在“我的导入”中查看结果。"))
    staged = import_take(user=user, token=token)  # a second confirmation finds nothing
    new_token = import_stage(user=user, name=staged.name, data=staged.data, parsed=staged.parsed)
    check_job.params = {**check_job.params, "confirmed": True}
    check_job.save(update_fields=["params"])
    rows = len(staged.parsed.rows) if staged.parsed is not None else 0
    return jobs.job_create(kind=JobKind.CUSTOMER_IMPORT, user=user, title=staged.name, total=2 * rows,
                           params={"token": new_token, "mode": mode, "check_job": check_job.pk})


def import_jobs(*, user) -> list[Job]:
    """我的导入: the user's import jobs, newest first."""
    return jobs.jobs_for_user(user=user, kinds=KINDS)


def import_job(*, user, pk) -> Job:
    return jobs.job_for_user(user=user, pk=pk, kinds=KINDS)


def _errors(errors) -> list[list]:
    return [[error.row, error.column, error.reason] for error in errors[:MAX_ERRORS_KEPT]]


def check_summary(check: ImportCheck) -> dict:
    errors = check.errors
    return {"rows": len(check.rows), "good": len(check.good), "bad": len(check.bad),
            "ignored_columns": check.ignored_columns, "errors": _errors(errors), "errors_total": len(errors)}


def import_summary(result: ImportResult) -> dict:
    return {"mode": result.mode, "rows": len(result.check.rows), "good": len(result.check.good),
            "bad": len(result.check.bad), "created": len(result.created),
            "numbers": [customer.number for customer in result.created[:MAX_NUMBERS_KEPT]],
            "skipped_rows": len({error.row for error in result.skipped}), "refused": result.refused,
            "errors": _errors(result.skipped), "errors_total": len(result.skipped)}


def import_job_run(*, job_id: int) -> None:
    """The work of one import job, in the worker: the dry run or the import, with progress. A
    refusal (a file that cannot be read, over the row limit …) fails the job with its message."""
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return  # a task delivered twice does the work once
    user = job.user

    def progress(done: int, total: int) -> None:
        jobs.job_progress(job, done, total=total)

    try:
        with acting_as(actor_for_user(user)):
            if job.kind == JobKind.CUSTOMER_IMPORT_CHECK:
                _run_check(job, user, progress)
            else:
                _run_import(job, user, progress)
    except ApplicationError as error:
        jobs.job_fail(job, message=str(error.message))
    except Exception:
        log.exception("customer import job %s failed", job.pk)
        jobs.job_fail(job, message=_g("导入中断：系统出错，未完成的部分没有保存。请稍后重试，或联系管理员查看日志。"))
        raise


def _run_check(job: Job, user, progress) -> None:
    jobs.job_start(job, phase=_g("正在读取文件"))
    staged = import_peek(user=user, token=job.params["token"])
    parsed = staged.parsed if staged.parsed is not None else read_import_file(BytesIO(staged.data or b""))
    jobs.job_progress(job, 0, total=len(parsed.rows), phase=_g("正在检查"))
    check = customers_import_check(user=user, parsed=parsed, progress=progress)
    import_stage(user=user, name=staged.name, parsed=parsed, token=job.params["token"])  # for the confirmation
    jobs.job_finish(job, result=check_summary(check))


def _run_import(job: Job, user, progress) -> None:
    jobs.job_start(job, phase=_g("正在检查"))
    staged = import_take(user=user, token=job.params["token"])
    parsed = staged.parsed if staged.parsed is not None else read_import_file(BytesIO(staged.data or b""))
    jobs.job_progress(job, 0, total=2 * len(parsed.rows))

    def saving() -> None:
        jobs.job_progress(job, len(parsed.rows), phase=_g("正在保存（全部导入在一个事务中完成）"))

    result = customers_import(user=user, mode=job.params["mode"], parsed=parsed, filename=staged.name,
                              progress=progress, saving=saving)
    summary = import_summary(result)
    if result.refused:  # all or nothing was refused: the rows stay staged for "good rows only"
        summary["retry_token"] = import_stage(user=user, name=staged.name, parsed=parsed)
    jobs.job_finish(job, result=summary)
