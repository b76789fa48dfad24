"""定时报告: a report generated on a schedule (e.g. 业务状况月报 on the 1st of every month at 08:00) and
delivered to its recipients as an in-app message and, when asked, an e-mail (through ioudesk.notify:
the outbox, its backends and their retries), each with the link to download it from 报告管理. The e-mail
carries the kept file itself (its name, its MIME type, the bytes checked against the kept SHA-256) when it
is at most MAIL_ATTACHMENT_MAX; a larger file is not attached and the e-mail says so and gives the link.

`schedule_save` is the only writer (the admin saves through it): the report exists, its parameters
parse (blank dates mean "relative to the day it runs": a monthly table left without a month reports
the month before), the recipients may see the report, the day and time make sense.

The periodic `reports.schedules` (ioudesk/jobs/scheduler.py) is due every 5 minutes; its run finds
each active schedule's latest occurrence at or before that slot (never before the schedule was
created: no back-fill) and, if it has not generated that occurrence yet, moves `last_run_at` to the
occurrence with one conditional UPDATE and generates the report in the worker. The scheduler runs a
slot once however many workers tick, and the conditional UPDATE makes an occurrence generate once
whichever slot reaches it first, so a schedule due on 2026-12-01 08:00 generates exactly once. A
worker that was down catches up the latest missed occurrence only (one report, not one per slot).
"""

from __future__ import annotations

import calendar
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.errors import ApplicationError, ValidationFailed
from ioudesk.reports.models import Frequency, GeneratedReport, GeneratedState, ReportFormat, ReportSchedule

log = logging.getLogger(__name__)

PERIODIC = "reports.schedules"
SLOT_MINUTES = 5
# The largest kept file an e-mail carries as its attachment (settings.IOUDESK_REPORT_MAIL_ATTACHMENT_MAX
# overrides it); mail servers commonly refuse messages over 10–25 MB, and base64 adds a third.
MAIL_ATTACHMENT_MAX = 10 * 1024 * 1024


def mail_attachment_max() -> int:
    return int(getattr(settings, "IOUDESK_REPORT_MAIL_ATTACHMENT_MAX", MAIL_ATTACHMENT_MAX))


def size_text(size: int) -> str:
    """356.4 KB, 12.3 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):,.1f} MB"
    return f"{size / 1024:,.1f} KB"


def _local_tz():
    return ZoneInfo(settings.TIME_ZONE)


# --- when -------------------------------------------------------------------------------------------

def occurrence(schedule: ReportSchedule, now: datetime) -> datetime | None:
    """The schedule's latest occurrence at or before `now` (aware), as an aware datetime, or None
    when there is none since it was created."""
    tz = _local_tz()
    local = timezone.localtime(now, tz) if timezone.is_aware(now) else now.replace(tzinfo=tz)
    at = schedule.at if isinstance(schedule.at, time) else time.fromisoformat(str(schedule.at))
    day = local.date()
    for _step in range(400):  # at most a year and a month back
        if _matches(schedule, day):
            moment = datetime.combine(day, at, tzinfo=tz)
            if moment <= local:
                created = schedule.created_at
                if created is not None and moment < created:
                    return None
                return moment
        day -= timedelta(days=1)
    return None


def _matches(schedule: ReportSchedule, day) -> bool:
    if schedule.frequency == Frequency.DAILY:
        return True
    if schedule.frequency == Frequency.WEEKLY:
        return day.isoweekday() == schedule.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule.day_of_month, last)


def _slot_time(slot: str) -> datetime:
    return datetime.strptime(slot, "%Y-%m-%dT%H:%M").replace(tzinfo=_local_tz())


def schedules_run(slot: str) -> int:
    """The periodic's run for one slot ("2026-12-01T08:05", local): generate every active schedule's
    occurrence due by then and not generated yet. Returns how many it started."""
    now = _slot_time(slot)
    started = 0
    for schedule in ReportSchedule.objects.filter(active=True).select_related("owner").order_by("pk"):
        moment = occurrence(schedule, now)
        if moment is None:
            continue
        claimed = (ReportSchedule.objects.filter(pk=schedule.pk)
                   .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lt=moment)).update(last_run_at=moment))
        if not claimed:
            continue
        schedule.last_run_at = moment
        _generate(schedule, moment)
        started += 1
    return started


def _generate(schedule: ReportSchedule, moment: datetime) -> GeneratedReport | None:
    from ioudesk.reports.generation import _title, _user_branch, report_generate

    owner = schedule.owner
    with acting_as(actor_for_user(owner)):
        try:
            with transaction.atomic():
                return report_generate(schedule.code, schedule.params, schedule.format, owner, schedule=schedule,
                                       background=True)
        except ApplicationError as error:
            # the report, its parameters or the owner's rights changed since the schedule was saved:
            # the failure is kept (报告管理 shows it) and the owner is told
            message = str(error.message)
            log.warning("schedule %s: %s", schedule.pk, message)
            failed = GeneratedReport.objects.create(
                code=schedule.code, title=_title(schedule.code), params=schedule.params, format=schedule.format,
                state=GeneratedState.FAILED, schedule=schedule, requested_by=owner, branch=_user_branch(owner),
                error=message[:2000], finished_at=timezone.now())
            _notify(failed, [owner], by_email=schedule.by_email,
                    subject=_g("定时报告生成失败：%(name)s") % {"name": schedule.name},
                    body=_g("定时报告“%(name)s”（%(when)s）未能生成：%(reason)s 请检查定时报告的设置。") % {
                        "name": schedule.name, "when": timezone.localtime(moment, _local_tz()).strftime("%Y-%m-%d %H:%M"),
                        "reason": message})
            return None


# --- delivery ---------------------------------------------------------------------------------------

def _download_path(generated: GeneratedReport) -> str:
    try:
        return reverse("backoffice:reports_generated_download", args=[generated.pk])
    except NoReverseMatch:
        return ""


def _notify(generated: GeneratedReport, users, *, by_email: bool, subject: str, body: str,
            email_body: str = "") -> int:
    from ioudesk.notify.categories import STAFF_NOTICE
    from ioudesk.notify.models import Channel
    from ioudesk.notify.services import message_queue_many

    channels = [Channel.INAPP] + ([Channel.EMAIL] if by_email else [])
    items = [{"channel": channel, "body": (email_body or body) if channel == Channel.EMAIL else body,
              "subject": subject, "user": user, "category": STAFF_NOTICE,
              "related": generated, "delivery_key": f"report:{generated.pk}:{channel}:{user.pk}"}
             for user in users if user.is_active for channel in channels]
    if items:
        message_queue_many(items)
    return len(items)


def attaches(generated: GeneratedReport) -> bool:
    """Whether the e-mail of this kept report carries its file (done, kept, at most the limit)."""
    return (generated.state == GeneratedState.DONE and bool(generated.file_path)
            and generated.size <= mail_attachment_max())


def schedule_deliver(generated: GeneratedReport) -> int:
    """Tell the schedule's recipients (in the app, and by e-mail when the schedule says so) that its
    report is ready, with the link to download it; the e-mail attaches the file when it is at most
    MAIL_ATTACHMENT_MAX and otherwise says why it does not. Once per report and recipient (delivery keys)."""
    if not generated.schedule_id:
        return 0
    schedule = generated.schedule
    recipients = list(schedule.recipients.all()) or [schedule.owner]
    if generated.state != GeneratedState.DONE:
        return _notify(generated, [schedule.owner], by_email=schedule.by_email,
                       subject=_g("定时报告生成失败：%(name)s") % {"name": schedule.name},
                       body=_g("定时报告“%(name)s”未能生成：%(reason)s") % {"name": schedule.name,
                                                                       "reason": generated.error})
    path = _download_path(generated)
    as_of = generated.as_of.isoformat() if generated.as_of else ""
    body = _g("定时报告“%(name)s”已生成：%(title)s（%(format)s，数据截至 %(as_of)s）。") % {
        "name": schedule.name, "title": generated.title, "format": generated.get_format_display(), "as_of": as_of}
    email_body = body
    if path:
        body += _g("请在“报告管理”中下载：%(path)s") % {"path": path}
    if attaches(generated):
        email_body += _g("报告文件“%(file)s”（%(size)s）附在本邮件中。") % {
            "file": generated.file_name, "size": size_text(generated.size)}
        if path:
            email_body += _g("也可在“报告管理”中再次下载：%(path)s") % {"path": path}
    else:
        email_body += _g("报告文件 %(size)s，超过邮件附件上限 %(limit)s，未随本邮件附上。") % {
            "size": size_text(generated.size), "limit": size_text(mail_attachment_max())}
        if path:
            email_body += _g("请在“报告管理”中下载：%(path)s") % {"path": path}
    return _notify(generated, recipients, by_email=schedule.by_email,
                   subject=_g("定时报告：%(name)s") % {"name": schedule.name}, body=body, email_body=email_body)


def email_attachments(message) -> list[tuple[str, bytes, str]]:
    """The notify e-mail backend's attachments of a message about a kept report (registered for
    reports.generatedreport): the kept file, under its kept name and MIME type, when the report is
    done and at most the limit, and the recipient may still see the report. The bytes are checked
    against the kept SHA-256: a lost or altered file fails the e-mail (PermanentError) rather than
    sending something else or nothing where the mail says there is a file."""
    import hashlib

    from ioudesk.core.storage import private_storage
    from ioudesk.notify.outcomes import PermanentError
    from ioudesk.reports.generation import CONTENT_TYPES, _filename
    from ioudesk.reports.registry import report_get

    generated = GeneratedReport.objects.filter(pk=message.related_id).first() if message.related_id else None
    if generated is None or not attaches(generated):
        return []
    spec = report_get(generated.code)
    if spec is not None and message.user_id and not message.user.has_perm(spec.permission):
        raise PermanentError(_g("接收人已没有查看“%(title)s”的权限，未发送报告文件。") % {"title": spec.title})
    try:
        with private_storage().open(generated.file_path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise PermanentError(_g("报告文件已丢失，未能随邮件发送，请重新生成。")) from error
    if hashlib.sha256(data).hexdigest() != generated.sha256:
        raise PermanentError(_g("报告文件与生成时的校验值（SHA-256）不符，未随邮件发送，请联系管理员。"))
    return [(generated.file_name or _filename(generated), data,
             CONTENT_TYPES.get(generated.format, "application/octet-stream"))]


# --- the service the admin saves through -------------------------------------------------------------

@transaction.atomic
def schedule_save(*, schedule: ReportSchedule, recipients, user) -> ReportSchedule:
    """Create or change a schedule. Refuses, naming the field in Chinese: an unknown report, bad
    parameters (as the report page would), a format, frequency, day or weekday out of range, a
    recipient who may not see the report."""
    from ioudesk.reports.generation import PERMISSION, _user_branch
    from ioudesk.reports.iou_reports import iou_report_get
    from ioudesk.reports.registry import report_get
    from ioudesk.reports.running import report_params

    problems: list[dict] = []

    def problem(field, message):
        problems.append({"field": field, "message": message})

    if not (schedule.name or "").strip():
        problem("name", _g("名称：请填写定时报告的名称。"))
    spec = report_get(schedule.code or "")
    if spec is None:
        if iou_report_get(schedule.code or ""):
            problem("code", _g("报表：借据报告需要选择借据，不能定时生成。"))
        else:
            problem("code", _g("报表：请选择一个报表。"))
    if schedule.format not in ReportFormat.values:
        problem("format", _g("格式：请选择 PDF 或 Excel（.xlsx）。"))
    if schedule.frequency not in Frequency.values:
        problem("frequency", _g("频率：请选择每日、每周或每月。"))
    if schedule.frequency == Frequency.MONTHLY and not 1 <= (schedule.day_of_month or 0) <= 31:
        problem("day_of_month", _g("每月几号：应在 1 到 31 之间（小月没有的日期在月末生成）。"))
    if schedule.frequency == Frequency.WEEKLY and not 1 <= (schedule.weekday or 0) <= 7:
        problem("weekday", _g("星期几：应在 1（星期一）到 7（星期日）之间。"))
    if not isinstance(schedule.params, dict):
        problem("params", _g("参数：应为 JSON 对象（键与报表页面地址中的参数相同）。"))
    owner = schedule.owner if schedule.owner_id else user
    if not owner.has_perm(PERMISSION):
        problem("owner", _g("创建人：没有“导出与打印报表”的权限，不能定时生成报告。"))
    recipients = list(recipients or [])
    if spec is not None:
        if isinstance(schedule.params, dict):
            try:
                report_params(spec, schedule.params, owner)
            except ValidationFailed as error:
                details = error.extra.get("details") or [{"field": error.extra.get("field"), "message": error.message}]
                for detail in details:
                    problem("params", _g("参数：%(message)s") % {"message": detail["message"]})
        if not owner.has_perm(spec.permission):
            problem("code", _g("报表：创建人没有查看“%(title)s”的权限。") % {"title": spec.title})
        refused = [r for r in recipients if not r.has_perm(spec.permission)]
        if refused:
            from ioudesk.core.names import staff_name

            problem("recipients", _g("接收人：%(names)s 没有查看“%(title)s”的权限。") % {
                "names": "、".join(staff_name(r) for r in refused), "title": spec.title})
    if schedule.by_email and recipients and not any(r.email for r in recipients):
        problem("by_email", _g("同时发送邮件：接收人都没有登记邮箱。"))
    if problems:
        raise ValidationFailed("；".join(str(p["message"]) for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    before = audit.snapshot(ReportSchedule.objects.get(pk=schedule.pk)) if schedule.pk else None
    schedule.name = schedule.name.strip()
    schedule.owner = owner
    if not schedule.branch_id:
        schedule.branch = _user_branch(owner)
    schedule.save()
    schedule.recipients.set(recipients)
    audit.record_change(obj=schedule, before=before, after=audit.snapshot(schedule),
                        verb=_g("修改定时报告") if before else _g("新增定时报告"))
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: ReportSchedule, user) -> None:
    """Delete a schedule (the reports it generated stay, without their schedule); audited."""
    audit.record_change(obj=schedule, before=audit.snapshot(schedule), after=None, verb=_g("删除定时报告"))
    schedule.delete()


def schedule_text(schedule: ReportSchedule) -> str:
    """每月1日 08:00, 每周一 09:30, 每日 08:00."""
    at = schedule.at.strftime("%H:%M") if isinstance(schedule.at, time) else str(schedule.at)[:5]
    if schedule.frequency == Frequency.DAILY:
        return _g("每日 %(at)s") % {"at": at}
    if schedule.frequency == Frequency.WEEKLY:
        days = [_g("一"), _g("二"), _g("三"), _g("四"), _g("五"), _g("六"), _g("日")]
        return _g("每周%(day)s %(at)s") % {"day": days[(schedule.weekday or 1) - 1], "at": at}
    return _g("每月%(day)d日 %(at)s") % {"day": schedule.day_of_month, "at": at}


def register() -> None:
    from ioudesk.jobs.scheduler import every, register_periodic
    from ioudesk.reports.generation import AFTER_RUN

    if schedule_deliver not in AFTER_RUN:
        AFTER_RUN.append(schedule_deliver)
    from ioudesk.notify.channels import register_email_attachments

    register_email_attachments("reports.generatedreport", email_attachments)

    register_periodic(PERIODIC, label=_("定时报告"), due=every(minutes=SLOT_MINUTES), run=schedules_run)
