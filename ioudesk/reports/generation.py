"""报告管理: generate a report (a registered report with its parameters, or an IOU report for a set of
IOUs) in a format, keep the file, download it again.

`report_generate(code, params_json, fmt, user)` checks everything first (the report, the format,
the parameters: a Chinese message naming the field), writes the `GeneratedReport` with its
parameters, who and when, and then either draws the file at once (a small report) or gives it a
`jobs.Job` (kind 报告生成) that the worker runs (`tasks.report_generate_task` → `report_generate_run`),
writing its progress for the page's poll. The file goes to private storage (ioudesk/core/storage.py)
under ``reports/<year>/<month>/``; its SHA-256 is kept, and `report_download` checks it, so the file
downloaded again is byte for byte the one generated. Generating and downloading are audited.

Background (a Job) when: the report is a paginated detail list (its .xlsx streams every row), an
IOU report covers more than iou_reports.BACKGROUND_IOUS IOUs, or the caller asks (schedules).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _g

from ioudesk.core import audit, scope
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.errors import ApplicationError, InvalidState, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models import Branch
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.storage import private_storage
from ioudesk.jobs import services as jobs
from ioudesk.jobs.models import Job, JobKind
from ioudesk.reports import iou_reports
from ioudesk.reports.models import GeneratedReport, GeneratedState, ReportFormat
from ioudesk.reports.registry import report_get

log = logging.getLogger(__name__)

PERMISSION = "reports.export_reports"  # generating (and downloading) a report is exporting it
MANAGE_PERMISSION = "reports.change_generatedreport"  # sees every kept report of their branches
CONTENT_TYPES = {ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ReportFormat.PDF: "application/pdf"}
STEPS = 3  # a registered report's progress: computed (1), drawn (2), stored (3)
REPORT_TASK = "ioudesk.reports.tasks.report_generate_task"
# Called with each report the worker finished (done or failed): schedules.register() adds the delivery
# of scheduled reports (a hook, so that this module does not import schedules, which imports it).
AFTER_RUN: list = []


def may_generate(user) -> bool:
    """Whether a user may generate reports (报告管理's 生成报告 form, the IOU list's 生成借据报告 action):
    the one predicate both ask."""
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


def _title(code: str) -> str:
    spec = report_get(code)
    if spec is not None:
        return str(spec.title)
    report = iou_reports.iou_report_get(code)
    return str(report.title) if report else code


def _user_branch(user) -> Branch:
    branch = getattr(user, "branch", None)
    return branch or Branch.objects.order_by("path", "pk").first()


def _check(code: str, params_json: dict, fmt: str, user) -> tuple[dict, int, bool]:
    """Everything a generation needs, checked before anything is written: (the parameters as kept,
    the rows it expects, whether the worker should draw it). ValidationFailed names the field."""
    if not may_generate(user):
        raise PermissionDenied(_g("您没有生成报告的权限（导出与打印报表）。"))
    if fmt not in ReportFormat.values:
        raise ValidationFailed(_g("格式：请选择 PDF 或 Excel（.xlsx）。"), extra={"field": "format"})
    params_json = dict(params_json or {})
    report = iou_reports.iou_report_get(code)
    if report is not None:
        ious = iou_reports.iou_report_ious(params_json, user)
        return {"numbers": [iou.number for iou in ious]}, len(ious), len(ious) > iou_reports.BACKGROUND_IOUS
    spec = report_get(code)
    if spec is None:
        raise ValidationFailed(_g("报表：请选择一个报表或借据报告。"), extra={"field": "code"})
    if not user.has_perm(spec.permission):
        raise PermissionDenied(_g("您没有查看“%(title)s”的权限。") % {"title": spec.title})
    from ioudesk.reports.running import report_params

    params = report_params(spec, params_json, user)  # ValidationFailed naming the field
    kept = params.to_json()
    kept.pop("page", None)
    return kept, 0, spec.paginated


@transaction.atomic
def report_generate(code: str, params_json: dict, fmt: str, user, *, schedule=None,
                    background: bool | None = None) -> GeneratedReport:
    """Generate report `code` (a registered report's code or an IOU report's: iou_reports.IOU_REPORTS)
    with `params_json` (the report page's GET names; for an IOU report {"numbers": …}) in `fmt`.
    Returns the kept GeneratedReport: done (small, drawn now), or queued with its job (the caller's
    transaction enqueues the task when it commits: tasks.report_enqueue)."""
    kept, expected, large = _check(code, params_json, fmt, user)
    run_later = large if background is None else background
    generated = GeneratedReport.objects.create(
        code=code, title=_title(code), params=kept, format=fmt, state=GeneratedState.QUEUED, schedule=schedule,
        requested_by=user, branch=_user_branch(user), rows=expected)
    audit.record(AuditAction.ACTION, obj=generated, verb=_g("生成报告"),
                 changes={"code": [None, code], "format": [None, fmt], "params": [None, kept]})
    if run_later:
        job = jobs.job_create(kind=JobKind.REPORT, user=user, title=generated.title,
                              params={"generated": generated.pk}, total=expected or STEPS)
        generated.job = job
        generated.save(update_fields=["job"])
        report_enqueue(generated)
        return generated
    _draw(generated, user, job=None)
    return generated


def report_enqueue(generated: GeneratedReport) -> None:
    """Hand a report waiting for the worker to the task queue once the current transaction has
    committed (the worker must find its job). A lost enqueue leaves it queued: generating again works."""
    if not (generated.job_id and generated.state == GeneratedState.QUEUED):
        return
    job_id = generated.job_id

    def enqueue():
        from django.utils.module_loading import import_string

        try:
            import_string(REPORT_TASK).enqueue(job_id)
        except Exception:
            log.exception("could not enqueue report job %s", job_id)

    transaction.on_commit(enqueue)


def _filename(generated: GeneratedReport) -> str:
    stamp = timezone.localtime(generated.created_at).strftime("%Y%m%d-%H%M%S")
    return f"{generated.title}-{stamp}.{generated.format}"


# The one door for a kept report's state: where each state may go (a finished report stays finished).
MOVES = {
    GeneratedState.QUEUED: (GeneratedState.RUNNING, GeneratedState.FAILED),
    GeneratedState.RUNNING: (GeneratedState.DONE, GeneratedState.FAILED),
    GeneratedState.DONE: (),
    GeneratedState.FAILED: (),
}


def generated_move(generated: GeneratedReport, state: str, **fields) -> bool:
    """Move a kept report to `state` (with `fields` written alongside) if the state it has in the
    database may go there (MOVES): one conditional UPDATE, so two workers given the same report
    cannot both start it, and a finished report is never reopened. Returns whether it moved; the
    instance is updated when it did."""
    sources = [current for current, targets in MOVES.items() if state in targets]
    moved = GeneratedReport.objects.filter(pk=generated.pk, state__in=sources).update(state=state, **fields)
    if moved:
        generated.state = state
        for name, value in fields.items():
            setattr(generated, name, value)
    return bool(moved)


def _draw(generated: GeneratedReport, user, *, job: Job | None) -> None:
    """Compute, render and store one report; on a refusal (ApplicationError) or a crash the report
    is marked failed with the reason (and the job failed), never left running. A report another
    worker has already started (or finished) is left to it."""
    if not generated_move(generated, GeneratedState.RUNNING):
        return

    def progress(done: int, phase: str | None = None):
        if job is not None:
            jobs.job_progress(job, done, phase=phase)

    try:
        data, rows, source, as_of = _render(generated, user, progress)
        progress(max((job.total - 1) if job else 0, 0), _g("正在保存文件"))
        digest = hashlib.sha256(data).hexdigest()
        created = generated.created_at
        name = f"reports/{created:%Y}/{created:%m}/{generated.pk}-{digest[:12]}.{generated.format}"
        stored = private_storage().save(name, ContentFile(data))
    except ApplicationError as error:
        _fail(generated, str(error.message), job)
        raise
    except Exception:
        log.exception("report %s (%s) failed", generated.pk, generated.code)
        _fail(generated, _g("生成失败：系统出错，请稍后重试或联系管理员。"), job)
        raise
    generated_move(generated, GeneratedState.DONE, file_path=stored, file_name=_filename(generated), size=len(data),
                   sha256=digest, rows=rows, source=source, as_of=as_of, finished_at=timezone.now(), error="")
    if job is not None:
        jobs.job_finish(job, result={"generated": generated.pk, "size": len(data), "rows": rows})


def _render(generated: GeneratedReport, user, progress) -> tuple[bytes, int, str, object]:
    from ioudesk.core import clock

    report = iou_reports.iou_report_get(generated.code)
    if report is not None:
        ious = iou_reports.iou_report_ious(generated.params, user)
        progress(0, _g("正在生成借据报告"))
        data, rows = iou_reports.iou_report_build(generated.code, ious, generated.format, user,
                                                  progress=lambda done: progress(done))
        return data, rows, "live", clock.today()
    from ioudesk.reports import render
    from ioudesk.reports.running import report_run_code

    progress(0, _g("正在计算报表"))
    spec, params, result = report_run_code(generated.code, generated.params, user)
    progress(1, _g("正在生成文件"))
    if generated.format == ReportFormat.XLSX:
        data = render.render_xlsx(result, spec, params, user=user)
    else:
        data = render.render_pdf(result, spec, params, user=user)
    rows = result.rows_total if result.rows_total is not None else sum(len(t.rows) for t in result.tables)
    return data, rows, result.source or "live", result.snapshot_month or result.as_of


def _fail(generated: GeneratedReport, message: str, job: Job | None) -> None:
    generated_move(generated, GeneratedState.FAILED, error=message[:2000], finished_at=timezone.now())
    if job is not None:
        jobs.job_fail(job, message=message)


def report_generate_run(*, job_id: int) -> None:
    """The worker's part: draw the queued report of job `job_id` as the user who asked for it. A task
    delivered twice draws it once; a report the requester may no longer see fails with the reason."""
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return
    generated = GeneratedReport.objects.get(pk=job.params["generated"])
    if generated.state in (GeneratedState.DONE, GeneratedState.FAILED):
        return
    user = job.user
    with acting_as(actor_for_user(user)):
        jobs.job_start(job, phase=_g("正在计算报表"))
        try:
            _draw(generated, user, job=job)
        except ApplicationError:
            pass
    generated.refresh_from_db()
    for hook in AFTER_RUN:
        hook(generated)


# --- reading ------------------------------------------------------------------------------------------

def generated_for(user):
    """The kept reports a user sees: the ones they generated and the scheduled ones they receive;
    with reports.change_generatedreport (财务, 系统管理员) every one of their branches."""
    queryset = GeneratedReport.objects.select_related("requested_by", "job", "schedule")
    if user.has_perm(MANAGE_PERMISSION):
        return scope.scope_queryset(user, queryset)
    return queryset.filter(Q(requested_by=user) | Q(schedule__recipients=user)).distinct()


def generated_get(*, user, pk) -> GeneratedReport:
    found = generated_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_g("报告不存在，或不在您的权限范围内。"))
    return found


@dataclass
class Download:
    data: bytes
    filename: str
    content_type: str


def report_download(*, user, pk) -> Download:
    """The kept file of a generated report, checked against its SHA-256 (the same bytes as when it
    was generated) and audited. The report's own permission is checked again: a user who lost it
    cannot fetch an old copy."""
    generated = generated_get(user=user, pk=pk)
    if not user.has_perm(PERMISSION) and not generated.schedule_id:
        raise PermissionDenied(_g("您没有下载报告的权限（导出与打印报表）。"))
    spec = report_get(generated.code)
    if spec is not None and not user.has_perm(spec.permission):
        raise PermissionDenied(_g("您没有查看“%(title)s”的权限。") % {"title": spec.title})
    if generated.state != GeneratedState.DONE or not generated.file_path:
        raise InvalidState(_g("报告尚未生成完成，不能下载。"))
    try:
        with private_storage().open(generated.file_path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError) as error:
        raise InvalidState(_g("报告文件已丢失，请重新生成。")) from error
    if hashlib.sha256(data).hexdigest() != generated.sha256:
        raise InvalidState(_g("报告文件与生成时的校验值（SHA-256）不符，已拒绝下载，请联系管理员。"))
    audit.record(AuditAction.DOWNLOAD, obj=generated, verb=_g("下载报告"),
                 changes={"sha256": [None, generated.sha256]})
    return Download(data=data, filename=generated.file_name or _filename(generated),
                    content_type=CONTENT_TYPES.get(generated.format, "application/octet-stream"))


def generation_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The 生成报告 form's choice of report, grouped: the registered reports the user may see, then the
    IOU reports."""
    from ioudesk.reports.registry import GROUPS, reports_for

    groups: dict[str, list] = {}
    for spec in reports_for(user):
        groups.setdefault(spec.group, []).append((spec.code, str(spec.title)))
    out = [(str(GROUPS[key]), items) for key, items in groups.items()]
    out.append((_g("借据报告"), [(r.code, str(r.title)) for r in iou_reports.IOU_REPORTS.values()]))
    return out
