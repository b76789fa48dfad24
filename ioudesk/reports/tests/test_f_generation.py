"""报告管理 (F): generating a report keeps it with its parameters, who and when, in private storage with
its SHA-256; downloading it again gives the same bytes; large ones run as a job with progress; bad
parameters are refused with a Chinese message naming the field; IOU reports for a set of IOUs."""

from __future__ import annotations

import hashlib
import io
import sys
import types
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from ioudesk.core import clock
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.jobs.models import Job, JobState
from ioudesk.reports import generation
from ioudesk.reports.models import GeneratedReport, GeneratedState
from ioudesk.reports.registry import (
    Column,
    ReportResult,
    ReportSpec,
    Table,
    register_report,
    unregister_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def two_loans(debtor, manager, approver, finance):
    """¥10,000 and ¥6,000 at 12 % a year over 12 months, disbursed 2026-01-15; the first repaid ¥888.49
    (its first installment: 10,000 × 1 % = 100.00 interest + 788.49 principal) on 2026-02-15."""
    ious = []
    for principal in ("10000", "6000"):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(principal), term=12,
                                        rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15)), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
        ious.append(iou)
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=ious[0], amount="888.49", user=finance, reference="B0215")
    for iou in ious:
        iou.refresh_from_db()
    return ious


@pytest.fixture
def dummy_report(monkeypatch):
    """A registered report with two rows, and E's render stubbed (bytes naming the rows) when E's
    module is not there yet."""

    def run(params, user):
        rows = [{"name": "甲", "amount": D("100.00")}, {"name": "乙", "amount": D("250.50")}]
        return ReportResult(title="测试报表", tables=[Table(columns=[Column("name", "名称"),
                                                                 Column("amount", "金额", "money", total=True)],
                                                         rows=rows)], as_of=date(2026, 11, 28))

    register_report(ReportSpec(code="f-dummy", title="测试报表", group="business", run=run, filters=("as_of",)))
    register_report(ReportSpec(code="f-dummy-long", title="测试明细", group="business", run=run,
                               filters=("as_of",), paginated=True))
    try:
        import ioudesk.reports.render  # noqa: F401
    except ImportError:
        fake = types.ModuleType("ioudesk.reports.render")
        fake.render_xlsx = lambda result, spec, params, user=None: f"xlsx {len(result.tables[0].rows)}".encode()
        fake.render_pdf = lambda result, spec, params, user=None: f"%PDF {len(result.tables[0].rows)}".encode()
        monkeypatch.setitem(sys.modules, "ioudesk.reports.render", fake)
        import ioudesk.reports as package

        monkeypatch.setattr(package, "render", fake, raising=False)
    yield
    unregister_report("f-dummy")
    unregister_report("f-dummy-long")


def test_a_small_report_is_generated_at_once_kept_and_downloaded_again_equal(private_dir, finance, dummy_report,
                                                                             business_date):
    generated = generation.report_generate("f-dummy", {"as_of": "2026-11-27"}, "xlsx", finance)
    assert generated.state == GeneratedState.DONE and generated.job is None
    assert generated.params == {"as_of": "2026-11-27"} and generated.requested_by == finance
    assert generated.rows == 2 and generated.as_of == date(2026, 11, 28)
    first = generation.report_download(user=finance, pk=generated.pk)
    again = generation.report_download(user=finance, pk=generated.pk)
    assert first.data == again.data and hashlib.sha256(first.data).hexdigest() == generated.sha256
    assert first.filename.startswith("测试报表-") and first.filename.endswith(".xlsx")
    assert str(private_dir) in str((private_dir / generated.file_path).resolve())
    verbs = list(AuditEvent.objects.filter(object_id=str(generated.pk), content_type__model="generatedreport")
                 .values_list("verb", flat=True))
    assert sorted(verbs) == ["下载报告", "下载报告", "生成报告"]


def test_a_changed_file_is_refused(private_dir, finance, dummy_report, business_date):
    generated = generation.report_generate("f-dummy", {}, "pdf", finance)
    (private_dir / generated.file_path).write_bytes(b"tampered")
    with pytest.raises(Exception, match="SHA-256"):
        generation.report_download(user=finance, pk=generated.pk)


def test_a_detail_list_runs_in_the_worker_with_progress(private_dir, finance, dummy_report, business_date,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        generated = generation.report_generate("f-dummy-long", {}, "xlsx", finance)
    assert len(callbacks) == 1  # the task is enqueued when the transaction commits
    assert generated.state == GeneratedState.QUEUED and generated.job.total == generation.STEPS
    assert generated.job.percent == 0
    generation.report_generate_run(job_id=generated.job_id)
    generated.refresh_from_db()
    job = Job.objects.get(pk=generated.job_id)
    assert generated.state == GeneratedState.DONE and job.state == JobState.DONE and job.percent == 100
    assert job.result["generated"] == generated.pk
    generation.report_generate_run(job_id=generated.job_id)  # delivered twice: drawn once
    assert GeneratedReport.objects.count() == 1
    assert generation.report_download(user=finance, pk=generated.pk).data


def test_a_kept_reports_state_moves_only_forward(private_dir, finance, dummy_report, business_date,
                                                 django_capture_on_commit_callbacks):
    """generated_move: queued → running once (a second worker is refused), running → done, and a done
    report is never moved back to running or to failed."""
    with django_capture_on_commit_callbacks():
        generated = generation.report_generate("f-dummy-long", {}, "xlsx", finance)
    other = GeneratedReport.objects.get(pk=generated.pk)  # a second worker's copy
    assert generation.generated_move(generated, GeneratedState.RUNNING) is True
    assert generation.generated_move(other, GeneratedState.RUNNING) is False and other.state == GeneratedState.QUEUED
    assert generation.generated_move(generated, GeneratedState.DONE, rows=3) is True
    assert generation.generated_move(generated, GeneratedState.FAILED, error="x") is False
    assert generation.generated_move(generated, GeneratedState.RUNNING) is False
    generated.refresh_from_db()
    assert generated.state == GeneratedState.DONE and generated.rows == 3 and generated.error == ""


def test_bad_parameters_name_the_field_in_chinese(private_dir, finance, dummy_report, business_date):
    with pytest.raises(ValidationFailed) as error:
        generation.report_generate("f-dummy", {"as_of": "2026-13-01"}, "xlsx", finance)
    assert error.value.extra["field"] == "as_of" and "数据日期" in str(error.value.message)
    with pytest.raises(ValidationFailed) as error:
        generation.report_generate("f-dummy", {}, "docx", finance)
    assert error.value.extra["field"] == "format" and "格式" in str(error.value.message)
    with pytest.raises(ValidationFailed) as error:
        generation.report_generate("no-such", {}, "pdf", finance)
    assert error.value.extra["field"] == "code"
    with pytest.raises(ValidationFailed) as error:
        generation.report_generate("iou-statement", {"numbers": "JK-NONE"}, "pdf", finance)
    assert error.value.extra["field"] == "numbers" and "JK-NONE" in str(error.value.message)
    assert GeneratedReport.objects.count() == 0


def test_without_the_export_right_nothing_is_generated(private_dir, make_staff, dummy_report, business_date):
    auditor = make_staff("zhouqiang", role="审计")  # views everything, exports nothing
    with pytest.raises(PermissionDenied):
        generation.report_generate("f-dummy", {}, "xlsx", auditor)


def test_someone_elses_report_is_not_found(private_dir, finance, manager, dummy_report, business_date):
    generated = generation.report_generate("f-dummy", {}, "xlsx", finance)
    assert list(generation.generated_for(manager)) == []
    with pytest.raises(Exception, match="不存在"):
        generation.report_download(user=manager, pk=generated.pk)


def test_iou_statement_xlsx_for_two_ious(private_dir, finance, two_loans, business_date):
    """Loan 1 after its first installment: principal 10,000.00 − 788.49 = 9,211.51 outstanding;
    loan 2 untouched: 6,000.00."""
    numbers = "\n".join(iou.number for iou in two_loans)
    generated = generation.report_generate("iou-statement", {"numbers": numbers}, "xlsx", finance)
    assert generated.state == GeneratedState.DONE and generated.rows == 2
    assert generated.params == {"numbers": [iou.number for iou in two_loans]}
    book = load_workbook(io.BytesIO(generation.report_download(user=finance, pk=generated.pk).data))
    summary = book["借据汇总"]
    header = [c.value for c in summary[4]]
    rows = [[c.value for c in row] for row in summary.iter_rows(min_row=5)]
    owed = header.index("未还本金")
    assert [r[0] for r in rows] == [iou.number for iou in two_loans]
    assert [D(str(r[owed])) for r in rows] == [D("9211.51"), D("6000.00")]
    plan = book["还款计划"]
    assert plan.max_row - 4 == 24  # 12 installments each


def test_iou_repayments_and_explanation_pdf(private_dir, finance, two_loans, business_date):
    first = two_loans[0]
    history = generation.report_generate("iou-repayments", {"numbers": first.number}, "xlsx", finance)
    book = load_workbook(io.BytesIO(generation.report_download(user=finance, pk=history.pk).data))
    sheet = book.active
    kinds = [row[3].value for row in sheet.iter_rows(min_row=5)]
    assert kinds == ["放款", "还款"] and history.rows == 2
    amounts = [D(str(row[4].value)) for row in sheet.iter_rows(min_row=5)]
    assert amounts == [D("10000.00"), D("888.49")]
    explanation = generation.report_generate("iou-explanation", {"numbers": first.number}, "pdf", finance)
    data = generation.report_download(user=finance, pk=explanation.pk).data
    assert data.startswith(b"%PDF")
    from ioudesk.reports.iou_reports import explanation_text

    text = explanation_text(first, date(2026, 11, 28))
    assert "已归还本金¥788.49" in text and "尚欠本金¥9,211.51" in text


def test_many_ious_run_in_the_worker(private_dir, finance, two_loans, business_date, monkeypatch):
    monkeypatch.setattr("ioudesk.reports.iou_reports.BACKGROUND_IOUS", 1)
    generated = generation.report_generate("iou-statement", {"numbers": [i.number for i in two_loans]}, "pdf",
                                           finance)
    assert generated.state == GeneratedState.QUEUED and generated.job.total == 2
    generation.report_generate_run(job_id=generated.job_id)
    generated.refresh_from_db()
    assert generated.state == GeneratedState.DONE
    assert generation.report_download(user=finance, pk=generated.pk).data.startswith(b"%PDF")
