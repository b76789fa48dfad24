"""定时报告 (F): a monthly report on the 1st, generated once by the scheduler's slots whatever the number of
ticks, delivered in the app and by e-mail through the notify outbox and its (development) backends;
the service that saves schedules refuses bad input naming the field."""

from __future__ import annotations

import sys
import types
from datetime import date, datetime, time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from ioudesk.core.errors import ValidationFailed
from ioudesk.jobs import scheduler
from ioudesk.notify import services as notify
from ioudesk.notify.models import Channel, Message
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

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ioudesk.reports.tests.urls_f")]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def monthly_report(monkeypatch):
    """A registered report reading a month (default: the month before the business date)."""

    def run(params, user):
        return ReportResult(title="月报", tables=[Table(columns=[Column("month", "月份"), Column("n", "笔数", "int")],
                                                      rows=[{"month": params.month.isoformat(), "n": 3}])],
                            as_of=params.month)

    register_report(ReportSpec(code="f-monthly", title="测试月报", group="regulatory", run=run, filters=("month",)))
    try:
        import ioudesk.reports.render  # noqa: F401
    except ImportError:
        fake = types.ModuleType("ioudesk.reports.render")
        fake.render_xlsx = lambda result, spec, params, user=None: repr(result.tables[0].rows).encode()
        fake.render_pdf = fake.render_xlsx
        monkeypatch.setitem(sys.modules, "ioudesk.reports.render", fake)
        import ioudesk.reports as package

        monkeypatch.setattr(package, "render", fake, raising=False)
    yield
    unregister_report("f-monthly")


@pytest.fixture
def schedule(finance, manager, monthly_report):
    finance.email, manager.email = "chenjing@example.com", "zhangwei@example.com"
    finance.save(update_fields=["email"])
    manager.save(update_fields=["email"])
    saved = schedules.schedule_save(schedule=ReportSchedule(name="业务状况月报（每月1日）", code="f-monthly", params={},
                                                            format="xlsx", frequency="monthly", day_of_month=1,
                                                            at=time(8, 0), by_email=True),
                                    recipients=[finance, manager], user=finance)
    ReportSchedule.objects.filter(pk=saved.pk).update(created_at=datetime(2026, 11, 20, 9, 0, tzinfo=SH))
    saved.refresh_from_db()
    return saved


def test_occurrences():
    s = ReportSchedule(frequency="monthly", day_of_month=31, at=time(8, 0), created_at=datetime(2026, 1, 1, tzinfo=SH))
    # November has 30 days: the 31st falls on the 30th
    assert schedules.occurrence(s, datetime(2026, 12, 1, 7, 0, tzinfo=SH)) == datetime(2026, 11, 30, 8, 0, tzinfo=SH)
    weekly = ReportSchedule(frequency="weekly", weekday=1, at=time(9, 30), created_at=datetime(2026, 1, 1, tzinfo=SH))
    # 2026-12-03 is a Thursday; the Monday before is 2026-11-30
    assert schedules.occurrence(weekly, datetime(2026, 12, 3, 12, 0, tzinfo=SH)) == datetime(2026, 11, 30, 9, 30,
                                                                                              tzinfo=SH)
    fresh = ReportSchedule(frequency="daily", at=time(8, 0), created_at=datetime(2026, 12, 1, 9, 0, tzinfo=SH))
    assert schedules.occurrence(fresh, datetime(2026, 12, 1, 10, 0, tzinfo=SH)) is None  # no back-fill


def test_due_on_the_first_generates_once_across_two_ticks_and_is_delivered(private_dir, schedule, finance, manager,
                                                                           django_capture_on_commit_callbacks):
    names = [schedules.PERIODIC]
    from ioudesk.core import clock

    with clock.frozen(date(2026, 12, 1)):
        assert scheduler.tick(datetime(2026, 12, 1, 7, 55, tzinfo=SH), only=names) == [
            (schedules.PERIODIC, "2026-12-01T07:55")]
        assert GeneratedReport.objects.count() == 0  # not due before 08:00
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            scheduler.tick(datetime(2026, 12, 1, 8, 0, 10, tzinfo=SH), only=names)
            scheduler.tick(datetime(2026, 12, 1, 8, 0, 40, tzinfo=SH), only=names)  # same slot: skipped
            scheduler.tick(datetime(2026, 12, 1, 8, 5, 0, tzinfo=SH), only=names)  # next slot: already generated
        assert len(callbacks) == 1
        generated = GeneratedReport.objects.get()
        assert generated.schedule == schedule and generated.state == GeneratedState.QUEUED
        assert generated.requested_by == finance
        generation.report_generate_run(job_id=generated.job_id)
    generated.refresh_from_db()
    assert generated.state == GeneratedState.DONE
    # blank month → the month before the business date 2026-12-01: 2026-11-30
    assert generated.as_of == date(2026, 11, 30)
    schedule.refresh_from_db()
    assert schedule.last_run_at == datetime(2026, 12, 1, 8, 0, tzinfo=SH)
    messages = Message.objects.order_by("channel", "user__username")
    assert [(m.channel, m.user.username) for m in messages] == [
        (Channel.EMAIL, "chenjing"), (Channel.EMAIL, "zhangwei"), (Channel.INAPP, "chenjing"), (Channel.INAPP, "zhangwei")]
    assert "已生成" in messages[0].body and f"/reports/generated/{generated.pk}/download/" in messages[0].body
    notify.messages_deliver([m.pk for m in messages], now=datetime(2026, 12, 1, 10, 0, tzinfo=SH))
    assert sorted(m.to[0] for m in mail.outbox) == ["chenjing@example.com", "zhangwei@example.com"]
    assert mail.outbox[0].subject == "定时报告：业务状况月报（每月1日）"
    # a recipient who did not generate it downloads it
    assert generation.report_download(user=manager, pk=generated.pk).data
    # the next month's slot generates the next one
    with clock.frozen(date(2027, 1, 1)):
        scheduler.tick(datetime(2027, 1, 1, 8, 0, tzinfo=SH), only=names)
    assert GeneratedReport.objects.count() == 2


def test_a_schedule_the_owner_can_no_longer_run_fails_visibly(private_dir, schedule, finance):
    schedule.params = {"month": "2026-99"}
    ReportSchedule.objects.filter(pk=schedule.pk).update(params={"month": "2026-99"})
    from ioudesk.core import clock

    with clock.frozen(date(2026, 12, 1)):
        scheduler.tick(datetime(2026, 12, 1, 8, 0, tzinfo=SH), only=[schedules.PERIODIC])
    failed = GeneratedReport.objects.get()
    assert failed.state == GeneratedState.FAILED and "月份" in failed.error
    assert Message.objects.filter(user=finance, channel=Channel.INAPP, body__contains="未能生成").exists()


def test_schedule_save_names_the_field(finance, manager, make_staff, monthly_report, business_date):
    def refused(**fields):
        values = {"name": "月报", "code": "f-monthly", "params": {}, "format": "xlsx", "frequency": "monthly",
                  "day_of_month": 1, "at": time(8, 0)}
        values.update(fields)
        with pytest.raises(ValidationFailed) as error:
            schedules.schedule_save(schedule=ReportSchedule(**values), recipients=[finance], user=finance)
        return error.value.extra["field"], str(error.value.message)

    assert refused(code="nope") == ("code", "报表：请选择一个报表。")
    assert refused(code="iou-statement")[0] == "code"
    field, message = refused(day_of_month=32)
    assert field == "day_of_month" and "每月几号" in message
    field, message = refused(params={"month": "2026/11"})
    assert field == "params" and "月份应写成 2026-11" in message
    assert refused(name=" ")[0] == "name"
    with pytest.raises(ValidationFailed) as error:
        schedules.schedule_save(schedule=ReportSchedule(name="x", code="f-monthly", format="xlsx"), recipients=[],
                                user=make_staff("zhouqiang", role="审计"))
    assert error.value.extra["field"] == "owner"  # views everything, exports nothing
    assert ReportSchedule.objects.count() == 0
    ok = schedules.schedule_save(schedule=ReportSchedule(name="月报", code="f-monthly", params={"month": "2026-10"},
                                                         format="pdf"), recipients=[manager], user=finance)
    assert ok.owner == finance and list(ok.recipients.all()) == [manager] and D(ok.day_of_month) == 1
