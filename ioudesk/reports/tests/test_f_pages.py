"""报告管理, 自定义报表 and the 定时报告 admin (F) as pages: the roles see them, generate, download again,
progress of a running one, refusals next to the field, the pivot and saving it."""

from __future__ import annotations

import sys
import types
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.reports.models import (
    FlowDay,
    GeneratedReport,
    GeneratedState,
    PortfolioDay,
    ReportSchedule,
    SavedPivot,
)
from ioudesk.reports.registry import (
    Column,
    ReportResult,
    ReportSpec,
    Table,
    register_report,
    unregister_report,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ioudesk.reports.tests.urls_f")]
PASSWORD = "Secret-pass-2026"


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def dummy_report(monkeypatch):
    def run(params, user):
        return ReportResult(title="测试报表", tables=[Table(columns=[Column("name", "名称"),
                                                                 Column("amount", "金额", "money", total=True)],
                                                         rows=[{"name": "甲", "amount": D("100.00")}])],
                            as_of=params.as_of)

    register_report(ReportSpec(code="f-page-dummy", title="测试报表", group="business", run=run, filters=("as_of",)))
    register_report(ReportSpec(code="f-page-long", title="测试明细", group="business", run=run, filters=("as_of",),
                               paginated=True))
    try:
        import ioudesk.reports.render  # noqa: F401
    except ImportError:
        fake = types.ModuleType("ioudesk.reports.render")
        fake.render_xlsx = lambda result, spec, params, user=None: b"xlsx"
        fake.render_pdf = lambda result, spec, params, user=None: b"%PDF"
        monkeypatch.setitem(sys.modules, "ioudesk.reports.render", fake)
    yield
    unregister_report("f-page-dummy")
    unregister_report("f-page-long")


def login(client, user):
    client.force_login(user)
    return client


def test_generate_download_again_and_the_list(client, private_dir, finance, dummy_report, business_date):
    login(client, finance)
    url = reverse("backoffice:reports_generated")
    page = client.get(url, {"code": "f-page-dummy"})
    assert page.status_code == 200 and "生成报告" in page.content.decode() and 'name="as_of"' in page.content.decode()
    response = client.post(url, {"code": "f-page-dummy", "as_of": "2026-11-27", "format": "xlsx"})
    assert response.status_code == 302
    generated = GeneratedReport.objects.get()
    assert generated.state == GeneratedState.DONE and generated.params == {"as_of": "2026-11-27"}
    listing = client.get(url).content.decode()
    assert "测试报表" in listing and "数据日期：2026-11-27" in listing
    download = reverse("backoffice:reports_generated_download", args=[generated.pk])
    first, again = client.get(download), client.get(download)
    assert first.status_code == 200 and first.content == again.content
    assert "attachment" in first["Content-Disposition"]


def test_a_bad_parameter_is_shown_next_to_its_field(client, private_dir, finance, dummy_report, business_date):
    login(client, finance)
    response = client.post(reverse("backoffice:reports_generated"),
                           {"code": "f-page-dummy", "as_of": "2026-13-40", "format": "xlsx"})
    assert response.status_code == 200
    assert "数据日期应为日期" in response.content.decode()
    response = client.post(reverse("backoffice:reports_generated"),
                           {"code": "iou-statement", "numbers": "JK-X", "format": "pdf"})
    assert response.status_code == 200 and "借据编号：JK-X 不存在" in response.content.decode()
    assert GeneratedReport.objects.count() == 0


def test_a_running_report_shows_its_progress_and_polls(client, private_dir, finance, dummy_report, business_date):
    login(client, finance)
    client.post(reverse("backoffice:reports_generated"), {"code": "f-page-long", "format": "pdf"})
    generated = GeneratedReport.objects.get()
    assert generated.state == GeneratedState.QUEUED
    progress = reverse("backoffice:reports_generated_progress", args=[generated.pk])
    listing = client.get(reverse("backoffice:reports_generated")).content.decode()
    assert f'hx-get="{progress}"' in listing and 'hx-trigger="every 1s"' in listing
    from ioudesk.jobs import services as jobs

    jobs.job_start(generated.job, total=3)
    jobs.job_progress(generated.job, 2)
    partial = client.get(progress).content.decode()
    assert "66%" in partial and "hx-trigger" in partial
    from ioudesk.reports.generation import report_generate_run

    generated.job.state = "queued"
    generated.job.save(update_fields=["state"])
    report_generate_run(job_id=generated.job_id)
    partial = client.get(progress).content.decode()
    assert "hx-trigger" not in partial and "下载" in partial


def test_an_auditor_sees_the_list_but_cannot_generate(client, private_dir, make_staff, dummy_report, business_date):
    login(client, make_staff("zhouqiang", role="审计"))
    page = client.get(reverse("backoffice:reports_generated"))
    assert page.status_code == 200 and "您没有生成报告的权限" in page.content.decode()
    response = client.post(reverse("backoffice:reports_generated"), {"code": "f-page-dummy", "format": "xlsx"})
    assert response.status_code == 200 and GeneratedReport.objects.count() == 0


def test_the_custom_report_page_pivots_exports_and_saves(client, private_dir, finance, head_office, business_date):
    """One PortfolioDay row on 2026-11-28 (2 IOUs, balance 12,000.00) and a repayment's interest of 90.00."""
    PortfolioDay.objects.create(day=date(2026, 11, 28), branch=head_office, kind="loan", guarantee="credit",
                                classification="normal", bucket="M0", count=2, principal=D("20000"),
                                principal_outstanding=D("12000"))
    FlowDay.objects.create(day=date(2026, 11, 2), branch=head_office, kind="repayment", count=1, amount=D("900"),
                           interest=D("90"))
    login(client, finance)
    url = reverse("backoffice:reports_custom")
    page = client.get(url).content.decode()  # the default: by branch, count, balance, overdue
    assert "12,000.00" in page and "总部" in page
    page = client.get(url, {"rows": "bucket", "measures": ["balance", "income"]}).content.decode()
    assert "M0" in page and "12,000.00" in page and "90.00" in page  # income by bucket (FlowDay keeps it)
    page = client.get(url, {"rows": "bucket", "measures": ["balance", "profit"]}).content.decode()
    assert "指标：没有“profit”这个指标。" in page  # refused, naming the measure
    page = client.get(url, {"rows": "month", "measures": ["income"], "date_from": "2026-11-01"}).content.decode()
    assert "2026-11" in page and "90.00" in page
    export = client.get(url, {"rows": "branch", "measures": "balance", "format": "xlsx"})
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    response = client.post(url, {"name": "按网点余额", "query": "rows=branch&measures=balance"})
    saved = SavedPivot.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?saved={saved.pk}")
    page = client.get(url, {"saved": saved.pk}).content.decode()
    assert "按网点余额" in page and "12,000.00" in page
    client.post(url, {"action": "delete", "pk": saved.pk})
    assert SavedPivot.objects.count() == 0


def test_the_schedule_admin_saves_through_the_service(client, finance, manager, dummy_report, business_date):
    login(client, finance)
    add = reverse("admin:reports_reportschedule_add")
    assert client.get(add).status_code == 200
    data = {"name": "每日测试", "code": "f-page-dummy", "params": "{}", "format": "xlsx", "frequency": "daily",
            "day_of_month": "1", "weekday": "1", "at": "08:00", "recipients": [manager.pk], "active": "on"}
    response = client.post(add, {**data, "params": '{"as_of": "2026-99-01"}'})
    assert response.status_code == 200 and "数据日期应为日期" in response.content.decode()
    assert ReportSchedule.objects.count() == 0
    response = client.post(add, data)
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.owner == finance and list(schedule.recipients.all()) == [manager]
    listing = client.get(reverse("admin:reports_reportschedule_changelist")).content.decode()
    assert "每日 08:00" in listing
