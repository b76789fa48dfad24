"""Bank statement import end to end on a small book (docs/domain.md §26): the file kept with its
SHA-256, the lines saved and de-duplicated by their hash, receipts made and matched; importing the
same file again, or one whose period overlaps, imports nothing that is already in."""

from datetime import date, time
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.core import clock
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.storage import private_storage
from ioudesk.jobs.models import Job, JobState
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables import bankimport, tasks
from ioudesk.receivables.matching import rules_ensure
from ioudesk.receivables.models import (
    BankStatement,
    ImportStatus,
    Receipt,
    ReceiptStatus,
    StatementLine,
)
from ioudesk.receivables.tests.b_book import company, open_bill
from ioudesk.receivables.tests.bankfiles import Line, statement_file, statement_filename

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


@pytest.fixture
def book(organisation, head_office, finance, manager):
    rules_ensure()
    with clock.frozen(DAY):
        steel = company("华东钢材有限公司", head_office, manager)
        trade = company("宏达贸易有限公司", head_office, manager)
        b1 = open_bill(steel, [(date(2026, 10, 31), "11300.00")], bill_date=date(2026, 10, 1))
        b2 = open_bill(trade, [(date(2026, 11, 20), "5650.00")], bill_date=date(2026, 10, 21))
        yield {"steel": steel, "trade": trade, "b1": b1, "b2": b2, "user": finance, "branch": head_office}


def lines_for(book):
    return [
        Line(day=date(2026, 11, 2), at=time(9, 15), amount=D("11300.00"), name="某代付公司", memo=f"货款{book['b1'].number}"),
        Line(day=date(2026, 11, 3), at=time(10, 0), amount=D("5650.00"), name="宏达贸易有限公司", memo="货款"),
        Line(day=date(2026, 11, 3), at=time(11, 0), amount=D("999.00"), name="不认识的公司", memo="往来款"),
        Line(day=date(2026, 11, 4), at=time(16, 0), amount=D("25.00"), direction="out", memo="手续费"),
    ]


def upload(layout, lines, **kw):
    return SimpleUploadedFile(statement_filename(layout, kw.get("fmt")), statement_file(layout, lines, **kw))


def run(book, file, **kw):
    with clock.frozen(DAY):
        return bankimport.statement_import(upload=file, account_code=AccountCode.BANK_BASIC, branch=book["branch"],
                                           user=book["user"], **kw)


def test_import_makes_receipts_and_matches_them(book):
    data = statement_file("icbc", lines_for(book))
    statement = run(book, SimpleUploadedFile("工商银行11月.csv", data))
    statement.refresh_from_db()
    assert statement.status == ImportStatus.DONE and statement.bank == "icbc"
    assert statement.number.startswith("LS20261128-")
    assert (statement.lines_total, statement.lines_new, statement.lines_duplicate, statement.lines_matched) == (4, 4, 0, 2)
    assert statement.account_number_last4 == "2345"
    assert (statement.period_from, statement.period_to) == (date(2026, 11, 2), date(2026, 11, 4))
    # the file is kept as uploaded, with its SHA-256
    import hashlib

    assert statement.sha256 == hashlib.sha256(data).hexdigest()
    with private_storage().open(statement.file.name, "rb") as handle:
        assert handle.read() == data
    receipts = Receipt.objects.filter(statement_line__statement=statement).order_by("statement_line__row_number")
    assert [(r.direction, r.amount, r.status) for r in receipts] == [
        ("receivable", D("11300.00"), ReceiptStatus.MATCHED),  # the bill number in the memo
        ("receivable", D("5650.00"), ReceiptStatus.MATCHED),  # the customer's own name, the exact amount
        ("receivable", D("999.00"), ReceiptStatus.UNMATCHED),
        ("payable", D("25.00"), ReceiptStatus.UNMATCHED),
    ]
    assert receipts[0].channel == "bank" and receipts[0].day == date(2026, 11, 2)
    assert bankimport.matched_percent(statement) == D("50.0")
    counts = bankimport.statement_counts(statement)
    assert counts["matched"] == 2 and counts["unmatched"] == 2 and counts["in"] == 3 and counts["out"] == 1


def test_reimporting_the_same_file_imports_nothing(book):
    data = statement_file("ccb", lines_for(book))
    first = run(book, SimpleUploadedFile("a.xlsx", data))
    before = (Receipt.objects.count(), StatementLine.objects.count())
    again = run(book, SimpleUploadedFile("a.xlsx", data))
    again.refresh_from_db()
    assert (again.lines_total, again.lines_new, again.lines_duplicate, again.lines_matched) == (4, 0, 4, 0)
    assert (Receipt.objects.count(), StatementLine.objects.count()) == before
    assert again.sha256 == first.sha256 and again.pk != first.pk  # the attempt is recorded, as a batch of duplicates


def test_an_overlapping_statement_imports_only_the_new_days(book):
    lines = lines_for(book)
    run(book, upload("cmb", lines[:3]))
    later = lines[1:] + [Line(day=date(2026, 11, 6), at=time(9, 0), amount=D("3000.00"), name="宏达贸易有限公司")]
    statement = run(book, upload("cmb", later))
    statement.refresh_from_db()
    assert (statement.lines_total, statement.lines_new, statement.lines_duplicate) == (4, 2, 2)
    assert Receipt.objects.count() == 5


def test_two_identical_lines_on_one_day_are_two_lines(book):
    same = Line(day=date(2026, 11, 5), at=time(10, 0), amount=D("500.00"), name="李娜", memo="货款")
    statement = run(book, upload("abc", [same, same]))
    statement.refresh_from_db()
    assert statement.lines_new == 2
    assert run(book, upload("abc", [same, same])).lines_new == 0


def test_the_same_lines_in_another_export_of_the_same_account_are_duplicates(book):
    """A .csv and an .xlsx of the same account and period: the same lines."""
    lines = lines_for(book)
    run(book, upload("bocom", lines, fmt="xlsx"))
    statement = run(book, upload("bocom", lines, fmt="csv", encoding="gbk"))
    assert statement.lines_new == 0 and statement.lines_duplicate == 4


def test_a_file_that_cannot_be_read_stores_nothing(book):
    bad = SimpleUploadedFile("x.csv", "序号,日期,说明\n1,2026-11-02,货款\n".encode("gbk"))
    with pytest.raises(ValidationFailed, match="缺少必需的列"):
        run(book, bad)
    assert BankStatement.objects.count() == 0 and StatementLine.objects.count() == 0


def test_the_funding_account_must_be_a_bank_or_cash_leaf(book):
    with pytest.raises(ValidationFailed, match="资金科目"):
        with clock.frozen(DAY):
            bankimport.statement_import(upload=upload("icbc", lines_for(book)), account_code="6001",
                                        branch=book["branch"], user=book["user"])


def test_only_a_user_with_the_permission_imports(book, make_staff):
    collector = make_staff("zhaolei", role="催收员")
    with pytest.raises(PermissionDenied):
        with clock.frozen(DAY):
            bankimport.statement_import(upload=upload("icbc", lines_for(book)), account_code=AccountCode.BANK_BASIC,
                                        branch=book["branch"], user=collector)


def test_a_mapped_import_and_its_saved_mapping(book):
    text = ("记账日期,收入金额,支出金额,对方名称,附言\n"
            "2026/11/03,\"5,650.00\",,宏达贸易有限公司,货款\n").encode("gbk")
    with clock.frozen(DAY):
        mapping = bankimport.column_mapping_save(
            name="杭州联合银行", user=book["user"],
            columns={"day": "记账日期", "credit": "收入金额", "debit": "支出金额", "name": "对方名称", "memo": "附言"})
    statement = run(book, SimpleUploadedFile("联合.csv", text), bank="mapped", mapping=mapping)
    statement.refresh_from_db()
    assert statement.bank == "mapped" and statement.mapping == mapping
    assert (statement.lines_new, statement.lines_matched) == (1, 1)
    with pytest.raises(ValidationFailed, match="已有名为"):
        bankimport.column_mapping_save(name="杭州联合银行", user=book["user"], columns=mapping.columns)


def test_a_large_file_is_imported_by_the_worker_with_progress(book, settings, django_capture_on_commit_callbacks):
    settings.IOUDESK_STATEMENT_BACKGROUND_LINES = 2
    with clock.frozen(DAY):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            statement = bankimport.statement_import_start(
                upload=upload("boc", lines_for(book)), account_code=AccountCode.BANK_BASIC, branch=book["branch"],
                user=book["user"])
            tasks.statement_enqueue(statement)
        assert statement.status == ImportStatus.RUNNING and statement.job_id and len(callbacks) == 1
        assert StatementLine.objects.count() == 0  # nothing yet: the worker does it
        bankimport.statement_import_run(job_id=statement.job_id)
    statement.refresh_from_db()
    job = Job.objects.get(pk=statement.job_id)
    assert job.state == JobState.DONE and job.percent == 100
    assert job.get_kind_display() == "银行流水导入"  # named in 后台作业 (registered at start-up)
    assert job.result == {"statement": statement.pk, "number": statement.number, "lines": 4, "new": 4,
                          "duplicate": 0, "matched": 2, "percent": "50.0"}
    assert statement.status == ImportStatus.DONE and statement.lines_matched == 2
    bankimport.statement_import_run(job_id=job.pk)  # delivered twice: nothing more
    assert Receipt.objects.count() == 4


def test_lines_after_the_business_date_wait_for_a_later_import(book):
    lines = lines_for(book) + [Line(day=date(2026, 11, 30), at=time(9, 0), amount=D("700.00"), name="宏达贸易有限公司")]
    data = statement_file("icbc", lines)
    statement = run(book, SimpleUploadedFile("a.csv", data))
    statement.refresh_from_db()
    assert (statement.lines_total, statement.lines_new, statement.lines_duplicate) == (5, 4, 0)
    assert "1 笔流水的交易日期晚于营业日 2026-11-28（第9行），本次未导入" in statement.error
    with clock.frozen(date(2026, 11, 30)):
        later = bankimport.statement_import(upload=SimpleUploadedFile("a.csv", data), account_code=AccountCode.BANK_BASIC,
                                            branch=book["branch"], user=book["user"])
    later.refresh_from_db()
    assert (later.lines_new, later.lines_duplicate, later.error) == (1, 4, "")


def test_a_refused_receipt_leaves_no_line_behind(book, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationFailed("第 1 行：测试拒绝")

    monkeypatch.setattr(bankimport, "receipts_create_bulk", refuse)
    with pytest.raises(ValidationFailed):
        run(book, upload("icbc", lines_for(book)))
    assert StatementLine.objects.count() == 0
    assert BankStatement.objects.get().status == ImportStatus.FAILED
    monkeypatch.undo()
    assert run(book, upload("icbc", lines_for(book))).lines_new == 4  # the same file again: all of it
