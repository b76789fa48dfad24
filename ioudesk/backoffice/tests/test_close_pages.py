"""日终 pages (ioudesk/backoffice/close_pages.py): the history with its counts and durations, one
run with its steps, partitions and failed IOUs, the progress the page polls, the start button and
the retry for the administrator only, refusals shown in Chinese; the business date in every page's
header; 后台作业.

The runs are written here as the close engine records them (ioudesk/closing/models.py); the
services the pages call (close_start, close_retry_failed) are the engine's: the view tests replace
them by recorders to check what the page passes and shows, and the last test starts a real close
when the engine is there."""

import sys
import types
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ioudesk.closing.models import CloseFailure, ClosePartition, CloseRun, CloseSettings
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError, InvalidState
from ioudesk.jobs.models import Job

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUNS = reverse("backoffice:close_runs")
DAY = date(2026, 11, 27)


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


@pytest.fixture
def finished_run(organisation, admin_user_zh, loan_iou):
    """The close of 2026-11-27, started from the back office at 23:30:00 and done 83.4 s later: two
    partitions, the IOU step and a reminders day step, one failed IOU."""
    started = datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI)
    run = CloseRun.objects.create(
        organisation=organisation, day=DAY, state="done", origin="backoffice", started_by=admin_user_zh,
        counts={"ious": {"live": 1999, "falling_due": 60, "falling_overdue": 12},
                "partitions": {"bulk": 60, "single": 11, "failed": 1, "dpd_advanced": 140},
                "steps_done": ["reminders"], "reminders": {"提醒消息": 7, "未发送": 0}},
        timings={"partition": 0.42, "ious": 80.25, "reminders": 3.15}, partitions_total=2, partitions_done=2, ious_total=1999,
        ious_done=1999, started_at=started, finished_at=started + timedelta(seconds=83.4))
    ClosePartition.objects.create(close_run=run, lo=1, hi=1000, state="done", owner="web1:4242", ious=1000,
                                  attempts=1, started_at=started, finished_at=started + timedelta(seconds=40))
    ClosePartition.objects.create(close_run=run, lo=1001, hi=2000, state="done", owner="web2:77", ious=999,
                                  attempts=2, started_at=started, finished_at=started + timedelta(seconds=125))
    CloseFailure.objects.create(close_run=run, iou=loan_iou, step="ious", message="余额与账不符",
                                traceback="Traceback (most recent call last):\n  ...")
    return run


@pytest.fixture
def loan_iou(debtor, manager, approver, finance):
    from decimal import Decimal

    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 10, 3)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("10000"), term=12,
                                    rate_text="12%", method="equal_installment", contract_date=date(2026, 10, 3)),
                            user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


@pytest.fixture
def services(monkeypatch):
    """close_start and close_retry_failed replaced by recorders (the engine's module, or a stand-in
    while it is not there yet). `services.refuse` makes the next call refuse."""
    try:
        import ioudesk.closing.services as module
    except ImportError:
        module = types.ModuleType("ioudesk.closing.services")
        monkeypatch.setitem(sys.modules, "ioudesk.closing.services", module)
    recorder = types.SimpleNamespace(calls=[], refuse=None)

    def close_start(*, through=None, started_by=None, origin):
        recorder.calls.append(("start", through, started_by, origin))
        if recorder.refuse:
            raise recorder.refuse
        from ioudesk.core.services import organisation_current

        return CloseRun.objects.create(organisation=organisation_current(), day=through, origin=origin,
                                       started_by=started_by)

    def close_retry_failed(*, close_run, user):
        recorder.calls.append(("retry", close_run.pk, user))
        if recorder.refuse:
            raise recorder.refuse
        close_run.failures.update(resolved_at=datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI), retried_by=user)
        return {"resolved": 1, "failed": 0}

    monkeypatch.setattr(module, "close_start", close_start, raising=False)
    monkeypatch.setattr(module, "close_retry_failed", close_retry_failed, raising=False)
    return recorder


def test_history_lists_runs_with_counts_and_duration(admin_client, finished_run, business_date):
    page = admin_client.get(RUNS).content.decode()
    assert "当前营业日：<strong>2026-11-28</strong>" in page
    assert "尚未执行过日终" in page  # closed_through is the engine's: not set by these rows
    row = page.split('data-testid="close-run-list"')[1]
    assert "2026-11-27" in row and "已完成" in row and "后台" in row and "admin" in row
    assert "1999 / 1999" in row and "2 / 2" in row
    assert '<span class="text-red-600 font-semibold">1</span>' in row  # one open failure
    assert "1 分 23 秒" in row  # 83.4 s
    assert 'value="2026-11-28"' in page  # the start form defaults to the business date
    assert reverse("backoffice:close_run", args=[finished_run.pk]) in page


def test_history_says_how_far_the_days_are_closed(admin_client, organisation, business_date):
    CloseSettings.objects.update_or_create(organisation=organisation, defaults={"closed_through": DAY})
    page = admin_client.get(RUNS).content.decode()
    assert "已日终至 <strong>2026-11-27</strong>" in page and "还没有日终记录。" in page


def test_run_page_shows_steps_partitions_and_failures(admin_client, finished_run, loan_iou, business_date):
    page = admin_client.get(reverse("backoffice:close_run", args=[finished_run.pk])).content.decode()
    assert "日终 2026-11-27" in page and "100%" in page and "借据 1999 / 1999，分区 2 / 2" in page
    steps = page.split('data-testid="close-steps"')[1].split("</table>")[0]
    assert "借据日终" in steps and "1 分 20 秒" in steps and "3.1 秒" in steps  # 80.25 s, 3.15 s
    assert "划分分区" in steps and "0.4 秒" in steps and "各分区合计" in steps and "还款提醒" in steps
    assert "在贷借据：1999" in steps and "当日有到期：60" in steps and "逾期天数推进：140" in steps
    assert "提醒消息：7" in steps and "steps_done" not in steps
    partitions = page.split('data-testid="close-partitions"')[1].split("</table>")[0]
    assert "1–1000" in partitions and "1001–2000" in partitions and "web2:77" in partitions
    assert "40.0 秒" in partitions and "2 分 5 秒" in partitions
    failures = page.split('data-testid="close-failures"')[1]
    assert loan_iou.number in failures and "余额与账不符" in failures and "未解决" in failures
    assert reverse("backoffice:iou_detail", args=[loan_iou.pk]) in failures
    assert "重试失败的借据（1 笔）" in failures


def test_progress_is_polled_while_running_and_reloads_when_done(admin_client, organisation, business_date):
    run = CloseRun.objects.create(organisation=organisation, day=DAY, state="running", origin="scheduler",
                                  partitions_total=4, partitions_done=1, ious_total=8000, ious_done=2500,
                                  phase="借据", started_at=datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI))
    url = reverse("backoffice:close_run_progress", args=[run.pk])
    page = admin_client.get(reverse("backoffice:close_run", args=[run.pk])).content.decode()
    assert f'hx-get="{url}"' in page and "25%" in page and "可以离开本页" in page
    assert admin_client.get(url, HTTP_ACCEPT="application/json").json() == {
        "state": "running", "state_label": "进行中", "phase": "借据", "partitions_done": 1, "partitions_total": 4,
        "ious_done": 2500, "ious_total": 8000, "percent": 25, "finished": False}
    assert "HX-Refresh" not in admin_client.get(url, HTTP_HX_REQUEST="true")
    CloseRun.objects.filter(pk=run.pk).update(state="done", partitions_done=4, ious_done=8000)
    done = admin_client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and url not in done.content.decode()


def test_start_calls_the_engine_and_opens_the_run(admin_client, admin_user_zh, services, business_date):
    response = admin_client.post(RUNS, {"through": "2026-11-28"})
    run = CloseRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:close_run", args=[run.pk])
    assert services.calls == [("start", date(2026, 11, 28), admin_user_zh, "backoffice")]


def test_a_refusal_is_shown_next_to_the_date(admin_client, services, business_date):
    services.refuse = ApplicationError("日终日期 2026-11-29 晚于营业日 2026-11-28，不能日终。")
    page = admin_client.post(RUNS, {"through": "2026-11-29"}).content.decode()
    assert "日终日期 2026-11-29 晚于营业日 2026-11-28，不能日终。" in page
    assert not CloseRun.objects.exists()
    assert "输入一个有效的日期" in admin_client.post(RUNS, {"through": "明天"}).content.decode()
    assert len(services.calls) == 1  # a date that does not parse never reaches the engine


def test_retry_failed(admin_client, admin_user_zh, finished_run, services, business_date):
    url = reverse("backoffice:close_run", args=[finished_run.pk])
    response = admin_client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert services.calls == [("retry", finished_run.pk, admin_user_zh)]
    page = admin_client.get(url).content.decode()
    assert "已重新处理失败的项目：1 项成功，0 项仍然失败。" in page and "已重试成功" in page and "重试失败的借据" not in page
    services.refuse = InvalidState("日终正在进行，请完成后再重试。")
    assert "日终正在进行，请完成后再重试。" in admin_client.get(admin_client.post(url)["Location"]).content.decode()


def test_who_sees_and_who_starts(client, make_staff, finished_run, services, business_date):
    auditor = make_staff("zhouqiang", role="审计")
    client.force_login(auditor)
    page = client.get(RUNS).content.decode()
    assert "2026-11-27" in page and 'data-testid="close-start"' not in page  # reads, starts nothing
    run_page = client.get(reverse("backoffice:close_run", args=[finished_run.pk])).content.decode()
    assert "余额与账不符" in run_page and 'data-testid="close-retry"' not in run_page
    assert client.post(RUNS, {"through": "2026-11-28"}).status_code == 404
    assert client.post(reverse("backoffice:close_run", args=[finished_run.pk])).status_code == 404
    assert services.calls == []
    client.force_login(make_staff("zhangsan", role="客户经理"))
    assert client.get(RUNS).status_code == 403


def test_every_page_says_the_business_date(admin_client, business_date):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "营业日 2026-11-28" in page


def test_background_jobs_page_lists_the_users_jobs(admin_client, admin_user_zh, make_staff):
    Job.objects.create(kind="customer_import", user=admin_user_zh, title="客户.xlsx", state="running", total=200,
                       processed=50)
    Job.objects.create(kind="customer_import", user=make_staff("lisi", role="客户经理"), title="别人的.xlsx")
    page = admin_client.get(reverse("backoffice:jobs")).content.decode()
    assert "客户.xlsx" in page and "25%" in page and "进行中" in page and "别人的.xlsx" not in page


# --- with the real engine ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_start_with_the_engine_runs_the_close_in_a_task(client, organisation, head_office, django_user_model):
    """The start button records the close and queues the task on commit; the task (run here as a
    worker would) closes the business date and moves it on; the page then shows the run done and
    a start for a later date refused with the engine's reason."""
    from django.contrib.auth.models import Group
    from django_tasks_db.models import DBTaskResult

    from ioudesk.closing.tasks import close_task
    from ioudesk.core.models import Organisation
    from ioudesk.core.roles import ADMINISTRATOR

    admin = django_user_model.objects.create_superuser(username="admin", password="Admin-pass-2026", email="",
                                                       branch=head_office)
    admin.groups.add(Group.objects.get(name=ADMINISTRATOR))
    Organisation.objects.filter(pk=organisation.pk).update(business_date=date(2026, 11, 28))
    client.force_login(admin)
    response = client.post(RUNS, {"through": "2026-11-28"})
    run = CloseRun.objects.get()
    assert response.status_code == 302 and run.day == date(2026, 11, 28) and run.state == "queued"
    assert run.origin == "backoffice" and run.started_by == admin
    queued = DBTaskResult.objects.get()  # enqueued once the start was committed
    assert queued.task_path == "ioudesk.closing.tasks.close_task"
    assert queued.args_kwargs["args"] == ["2026-11-28", "backoffice", admin.pk]

    close_task.call("2026-11-28", "backoffice", admin.pk)  # what the worker does with the queued task
    run.refresh_from_db()
    assert run.state == "done" and run.ious_total == 0
    assert CloseSettings.objects.get().closed_through == date(2026, 11, 28)
    assert Organisation.objects.get().business_date == date(2026, 11, 29)  # auto advance
    page = client.get(reverse("backoffice:close_run", args=[run.pk])).content.decode()
    assert "已完成" in page and "100%" in page
    assert reverse("backoffice:close_run_progress", args=[run.pk]) not in page  # done: no more polling
    history = client.get(RUNS).content.decode()
    assert "已日终至 <strong>2026-11-28</strong>" in history and "当前营业日：<strong>2026-11-29</strong>" in history
    refused = client.post(RUNS, {"through": "2026-11-30"}).content.decode()
    assert "不能日终 2026-11-30：晚于营业日 2026-11-29。" in refused
    again = client.post(RUNS, {"through": "2026-11-28"}).content.decode()
    assert "2026-11-28 已完成日终（已日终至 2026-11-28），无需再做。" in again
    assert CloseRun.objects.count() == 1


def test_the_header_says_when_days_before_the_business_date_are_not_closed(admin_client, organisation,
                                                                           business_date):
    CloseSettings.objects.update_or_create(organisation=organisation, defaults={"closed_through": date(2026, 11, 24)})
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "营业日 2026-11-28 · 未日终 3 天" in page  # 11-25, 11-26 and 11-27
    CloseSettings.objects.filter(organisation=organisation).update(closed_through=date(2026, 11, 27))
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "营业日 2026-11-28" in page and "未日终" not in page


def test_the_administrator_sets_the_close_time_and_auto_advance(admin_client, organisation):
    from ioudesk.core.models import AuditEvent

    page = admin_client.get(RUNS).content.decode()
    assert "每天 23:30 自动日终" in page and "修改日终设置" in page

    response = admin_client.post(reverse("backoffice:close_settings"),
                                 {"close_time": "22:15", "partition_size": "50"})  # auto_advance unticked
    assert response.status_code == 200
    assert "确保该值大于或等于100" in response.content.decode()  # the field's own error, nothing saved
    assert CloseSettings.objects.get().close_time.strftime("%H:%M") == "23:30"

    response = admin_client.post(reverse("backoffice:close_settings"),
                                 {"close_time": "22:15", "partition_size": "5000"})
    assert response.status_code == 302
    settings = CloseSettings.objects.get()
    assert (settings.close_time.strftime("%H:%M"), settings.auto_advance, settings.partition_size) == ("22:15", False, 5000)
    assert AuditEvent.objects.filter(verb="修改日终设置").count() == 1
    page = admin_client.get(RUNS).content.decode()
    assert "每天 22:15 自动日终" in page and "营业日由管理员手工推进" in page


def test_finance_sees_the_close_settings_but_may_not_change_them(client, finance):
    client.force_login(finance)
    page = client.get(RUNS).content.decode()
    assert "每天 23:30 自动日终" in page and "修改日终设置" not in page
    assert client.get(reverse("backoffice:close_settings")).status_code == 403
    assert client.post(reverse("backoffice:close_settings"), {"close_time": "01:00", "partition_size": "5000"}
                       ).status_code == 403
    assert CloseSettings.objects.get().close_time.strftime("%H:%M") == "23:30"
