"""U: a scheduled report's e-mail carries the kept file (its name, its MIME type, the very bytes: SHA-256)
when it is at most the limit; a larger one is not attached and the e-mail says so and gives the link;
a file lost since it was generated fails the e-mail with the reason instead of sending it without."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from ioudesk.core import clock
from ioudesk.core.storage import private_storage
from ioudesk.notify import services as notify
from ioudesk.notify.models import Channel, Message, Status
from ioudesk.reports import generation, schedules
from ioudesk.reports.models import GeneratedReport, GeneratedState, ReportSchedule
from ioudesk.reports.registry import (
    Column,
    ReportResult,
    ReportSpec,
    Table,
    register_report,
    unregister_report,
)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tmp_path / "private"


@pytest.fixture
def monthly_report():
    def run(params, user):
        return ReportResult(title="月报", tables=[Table(columns=[Column("month", "月份"), Column("n", "笔数", "int")],
                                                      rows=[{"month": params.month.isoformat(), "n": 3}])],
                            as_of=params.month)

    register_report(ReportSpec(code="u-monthly", title="测试月报", group="regulatory", run=run, filters=("month",)))
    yield
    unregister_report("u-monthly")


def _schedule(fmt, finance, manager):
    finance.email, manager.email = "chenjing@example.com", "zhangwei@example.com"
    finance.save(update_fields=["email"])
    manager.save(update_fields=["email"])
    saved = schedules.schedule_save(
        schedule=ReportSchedule(name="业务状况月报（每月1日）", code="u-monthly", params={}, format=fmt,
                                frequency="monthly", day_of_month=1, at=time(8, 0), by_email=True),
        recipients=[finance, manager], user=finance)
    ReportSchedule.objects.filter(pk=saved.pk).update(created_at=datetime(2026, 11, 20, 9, 0, tzinfo=SH))
    saved.refresh_from_db()
    return saved


def _run_and_deliver(schedule, django_capture_on_commit_callbacks) -> GeneratedReport:
    with clock.frozen(date(2026, 12, 1)):
        with django_capture_on_commit_callbacks(execute=False):
            assert schedules.schedules_run("2026-12-01T08:00") == 1
        generated = GeneratedReport.objects.get(schedule=schedule)
        generation.report_generate_run(job_id=generated.job_id)
    generated.refresh_from_db()
    assert generated.state == GeneratedState.DONE
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    notify.messages_deliver(ids, now=datetime(2026, 12, 1, 10, 0, tzinfo=SH))
    return generated


def _kept(generated) -> bytes:
    with private_storage().open(generated.file_path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("fmt, mimetype", [("xlsx", XLSX), ("pdf", "application/pdf")])
def test_the_email_attaches_the_kept_file(private_dir, monthly_report, finance, manager, fmt, mimetype,
                                          django_capture_on_commit_callbacks):
    generated = _run_and_deliver(_schedule(fmt, finance, manager), django_capture_on_commit_callbacks)
    kept = _kept(generated)
    assert hashlib.sha256(kept).hexdigest() == generated.sha256 and len(kept) == generated.size
    assert sorted(m.to[0] for m in mail.outbox) == ["chenjing@example.com", "zhangwei@example.com"]
    for email in mail.outbox:
        assert len(email.attachments) == 1
        name, content, sent_type = email.attachments[0]
        assert name == generated.file_name and name.startswith("测试月报-") and name.endswith(f".{fmt}")
        assert sent_type == mimetype
        assert hashlib.sha256(content).hexdigest() == generated.sha256  # the very bytes kept
        assert f"报告文件“{generated.file_name}”" in email.body and "附在本邮件中" in email.body
        assert f"/reports/generated/{generated.pk}/download/" in email.body  # the link stays, to fetch it again
    # the in-app message has no file: it says where to download it
    inapp = Message.objects.filter(channel=Channel.INAPP).first()
    assert "附在本邮件中" not in inapp.body and "请在“报告管理”中下载" in inapp.body
    assert set(Message.objects.values_list("status", flat=True)) <= {Status.SENT, Status.DELIVERED}


def test_a_file_over_the_limit_is_linked_and_the_mail_says_so(private_dir, monthly_report, finance, manager,
                                                              monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(schedules, "MAIL_ATTACHMENT_MAX", 1024)  # 1.0 KB: any .xlsx is larger
    generated = _run_and_deliver(_schedule("xlsx", finance, manager), django_capture_on_commit_callbacks)
    assert generated.size > 1024
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert email.attachments == []
        assert f"报告文件 {schedules.size_text(generated.size)}，超过邮件附件上限 1.0 KB，未随本邮件附上。" in email.body
        assert f"请在“报告管理”中下载：/admin/reports/generated/{generated.pk}/download/" in email.body


def test_the_limit_is_ten_megabytes_by_default(settings):
    assert schedules.MAIL_ATTACHMENT_MAX == 10 * 1024 * 1024 == schedules.mail_attachment_max()
    settings.IOUDESK_REPORT_MAIL_ATTACHMENT_MAX = 5 * 1024 * 1024
    assert schedules.mail_attachment_max() == 5 * 1024 * 1024
    assert schedules.size_text(10 * 1024 * 1024) == "10.0 MB" and schedules.size_text(365_000) == "356.4 KB"


def test_a_lost_file_fails_the_email_with_the_reason(private_dir, monthly_report, finance, manager,
                                                    django_capture_on_commit_callbacks):
    schedule = _schedule("xlsx", finance, manager)
    with clock.frozen(date(2026, 12, 1)):
        with django_capture_on_commit_callbacks(execute=False):
            schedules.schedules_run("2026-12-01T08:00")
        generated = GeneratedReport.objects.get(schedule=schedule)
        generation.report_generate_run(job_id=generated.job_id)
    generated.refresh_from_db()
    private_storage().delete(generated.file_path)
    emails = list(Message.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
    notify.messages_deliver(emails, now=datetime(2026, 12, 1, 10, 0, tzinfo=SH))
    assert mail.outbox == []
    for message in Message.objects.filter(pk__in=emails):
        assert message.status == Status.FAILED and "报告文件已丢失" in message.status_reason
