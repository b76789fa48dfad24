"""Statements of account (对账单) from the ledger: a worked example whose closing balance equals the
ledger, with bills, a credit note, receipts, a partial match, an unmatched receipt and a match after
the period; the reply (agreed / disputed) and disputes; the PDF (pdftotext) and the .xlsx (openpyxl)."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.db.models import Sum

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Posting
from ioudesk.receivables import statements
from ioudesk.receivables.models import (
    BillEvent,
    BillKind,
    ConfirmationStatus,
    Direction,
    Nature,
    StatementDispute,
)
from ioudesk.receivables.tests import d_book

D = Decimal
TODAY = date(2026, 12, 5)


@pytest.fixture
def book(head_office, finance):
    """华东 owes for goods and a service; the figures of November 2026 are written in the test.

    before the period   2026-10-10 YS1 sales ¥11,300.00 (10,000 + 1,300 VAT) due 2026-11-09
                        2026-10-20 SK0 ¥3,000.00 matched to YS1                → opening ¥8,300.00
    in the period       2026-11-05 YS2 service ¥5,300.00 (5,000 + 300) due 2026-12-05
                        2026-11-10 YS3 sales ¥22,600.00 in two: ¥6,780.00 due 2026-11-20, ¥15,820.00 due 2026-12-10
                        2026-11-12 HZ1 credit note on YS3 ¥2,260.00 (2,000 + 260): the latest item → ¥13,560.00
                        2026-11-15 SK1 ¥8,300.00 matched to YS1 (paid)
                        2026-11-25 SK2 ¥4,000.00 matched to YS3-1 (partial: ¥2,780.00 left)
                        2026-11-28 SK3 ¥1,500.00 not matched
    after the period    2026-12-02 SK4 ¥2,780.00 matched to YS3-1
    """
    with clock.frozen(TODAY):
        customer = d_book.company("上海浦江建材有限公司", "91310115MA1K3XY82", branch=head_office, user=finance)
        ys1 = d_book.bill(customer, date(2026, 10, 10), "10000.00", "1300.00", [(date(2026, 11, 9), "11300.00")])
        sk0 = d_book.receipt(customer, date(2026, 10, 20), "3000.00")
        d_book.match(sk0, ys1.dues.get(), "3000.00", date(2026, 10, 20))
        ys2 = d_book.bill(customer, date(2026, 11, 5), "5000.00", "300.00", [(date(2026, 12, 5), "5300.00")],
                          kind=BillKind.SERVICE, nature=Nature.SERVICES)
        ys3 = d_book.bill(customer, date(2026, 11, 10), "20000.00", "2600.00",
                          [(date(2026, 11, 20), "6780.00"), (date(2026, 12, 10), "15820.00")])
        hz1 = d_book.credit_note(ys3, date(2026, 11, 12), "2000.00", "260.00")
        sk1 = d_book.receipt(customer, date(2026, 11, 15), "8300.00")
        d_book.match(sk1, ys1.dues.get(), "8300.00", date(2026, 11, 15))
        sk2 = d_book.receipt(customer, date(2026, 11, 25), "4000.00")
        d_book.match(sk2, ys3.dues.get(seq=1), "4000.00", date(2026, 11, 25))
        sk3 = d_book.receipt(customer, date(2026, 11, 28), "1500.00")
        sk4 = d_book.receipt(customer, date(2026, 12, 2), "2780.00")
        d_book.match(sk4, ys3.dues.get(seq=1), "2780.00", date(2026, 12, 2))
    return {"customer": customer, "ys1": ys1, "ys2": ys2, "ys3": ys3, "hz1": hz1, "sk1": sk1, "sk2": sk2, "sk3": sk3,
            "sk4": sk4, "user": finance}


def ledger_balance(customer, day: date) -> Decimal:
    """The customer's balance straight from the postings: 1122 of their bills + 2203 of their receipts."""
    bills = customer.bills.values("pk")
    receipts = customer.receipts.values("pk")
    b = Posting.objects.filter(doc_kind="B", doc_id__in=bills, account__code=AccountCode.RECEIVABLES, day__lte=day)
    r = Posting.objects.filter(doc_kind="R", doc_id__in=receipts, account__code=AccountCode.ADVANCE_RECEIPTS,
                               day__lte=day)
    total = D("0.00")
    for postings in (b, r):
        sums = postings.aggregate(d=Sum("debit", default=D("0")), c=Sum("credit", default=D("0")))
        total += sums["d"] - sums["c"]
    return total


def figures(book, **kwargs):
    return statements.statement_figures(customer=book["customer"], period_from=kwargs.get("start", date(2026, 11, 1)),
                                        period_to=kwargs.get("end", date(2026, 11, 30)))


def test_the_worked_example_closes_at_the_ledger_balance(book):
    f = figures(book)
    assert f.opening == D("8300.00")  # 11,300 − 3,000
    assert f.billed == D("27900.00")  # 5,300 + 22,600
    assert f.credited == D("2260.00")
    assert f.received == D("13800.00")  # 8,300 + 4,000 + 1,500
    assert f.adjusted == D("0.00")
    assert f.closing == D("20140.00")  # 8,300 + 27,900 − 2,260 − 13,800
    assert f.closing == ledger_balance(book["customer"], date(2026, 11, 30))
    # it splits into the open bills less the receipt not yet matched
    assert f.bills_open == D("21640.00")  # YS2 5,300 + YS3 (22,600 − 2,260 − 4,000) 16,340
    assert f.unmatched == D("1500.00")
    assert [(r.number, r.unmatched) for r in f.open_receipts] == [(book["sk3"].number, D("1500.00"))]
    assert f.bills_open - f.unmatched == f.closing


def test_lines_running_balance_and_matches(book):
    f = figures(book)
    rows = [(m.day, m.category, m.amount, m.balance) for m in f.movements]
    assert rows == [
        (date(2026, 11, 5), "billed", D("5300.00"), D("13600.00")),
        (date(2026, 11, 10), "billed", D("22600.00"), D("36200.00")),
        (date(2026, 11, 12), "credited", D("-2260.00"), D("33940.00")),
        (date(2026, 11, 15), "received", D("-8300.00"), D("25640.00")),
        (date(2026, 11, 25), "received", D("-4000.00"), D("21640.00")),
        (date(2026, 11, 28), "received", D("-1500.00"), D("20140.00")),
    ]
    credit_line = f.movements[2]
    assert book["hz1"].number in credit_line.document and book["ys3"].number in credit_line.document
    # matches leave the balance alone and are listed for information; SK4's is after the period
    assert [(m.receipt, m.bill, m.amount) for m in f.matches] == [
        (book["sk1"].number, book["ys1"].number, D("8300.00")),
        (book["sk2"].number, book["ys3"].number, D("4000.00")),
    ]


def test_aging_of_the_closing_balance_at_period_end(book):
    f = figures(book)
    items = [(i.bill, i.due_date, i.open, i.days_overdue, i.bucket) for i in f.open_items]
    ys2, ys3 = book["ys2"].number, book["ys3"].number
    assert items == [
        # YS3-1 at 2026-11-30: 6,780 − 4,000 (SK4's 2,780 came on 12-02, after the period): 10 days overdue
        (f"{ys3}-1", date(2026, 11, 20), D("2780.00"), 10, "d1_30"),
        (ys2, date(2026, 12, 5), D("5300.00"), 0, "current"),
        # YS3-2: 15,820 − the credit note's 2,260
        (f"{ys3}-2", date(2026, 12, 10), D("13560.00"), 0, "current"),
    ]
    assert f.aging["current"] == D("18860.00")
    assert f.aging["d1_30"] == D("2780.00")
    assert sum(f.aging.values()) == f.bills_open
    assert f.overdue == D("2780.00")


def test_a_later_period_and_today_agree_with_the_bills(book):
    with clock.frozen(TODAY):
        f = figures(book, start=date(2026, 12, 1), end=TODAY)
    assert f.opening == D("20140.00")  # November's closing
    assert f.received == D("2780.00")
    assert f.closing == D("17360.00")
    assert f.closing == ledger_balance(book["customer"], TODAY)
    # today the open items are the bills' own figures
    customer = book["customer"]
    open_now = sum((b.open_amount for b in customer.bills.exclude(kind=BillKind.CREDIT_NOTE)), D("0"))
    unmatched_now = sum((r.unmatched for r in customer.receipts.all()), D("0"))
    assert f.bills_open == open_now == D("18860.00")
    assert f.closing == open_now - unmatched_now
    assert {i.bill: i.bucket for i in f.open_items} == {
        book["ys2"].number: "current", f"{book['ys3'].number}-2": "current"}


def test_issue_freezes_the_figures(book):
    with clock.frozen(TODAY):
        statement = statements.statement_issue(customer=book["customer"], period_from=date(2026, 11, 1),
                                               period_to=date(2026, 11, 30), user=book["user"])
        assert statement.number.startswith("DZ20261205-")
        assert (statement.opening, statement.billed, statement.credited, statement.received, statement.closing) == (
            D("8300.00"), D("27900.00"), D("2260.00"), D("13800.00"), D("20140.00"))
        # a bill entered later for a day in the period does not change the issued statement
        d_book.bill(book["customer"], date(2026, 11, 20), "1000.00", "130.00", [(date(2026, 12, 20), "1130.00")])
        assert statements.statement_figures(customer=book["customer"], period_from=date(2026, 11, 1),
                                            period_to=date(2026, 11, 30)).closing == D("21270.00")
    frozen = statements.figures_of(statement)
    assert frozen.closing == D("20140.00")
    assert frozen.open_items[0].open == D("2780.00")
    assert [m.balance for m in frozen.movements][-1] == D("20140.00")


def test_issue_refuses_a_future_period_and_a_reversed_one(book):
    with clock.frozen(TODAY):
        with pytest.raises(ValidationFailed) as error:
            statements.statement_issue(customer=book["customer"], period_from=date(2026, 12, 1),
                                       period_to=date(2026, 12, 31), user=book["user"])
        assert error.value.extra["field"] == "period_to"
        assert "营业日" in str(error.value.message)
        with pytest.raises(ValidationFailed) as error:
            statements.statement_issue(customer=book["customer"], period_from=date(2026, 11, 30),
                                       period_to=date(2026, 11, 1), user=book["user"])
        assert error.value.extra["field"] == "period_from"


def test_payables_mirror(head_office, finance):
    with clock.frozen(TODAY):
        supplier = d_book.company("北京华信商贸有限公司", "91110105MA01ABCD1", branch=head_office, user=finance)
        d_book.bill(supplier, date(2026, 11, 3), "1000.00", "130.00", [(date(2026, 12, 3), "1130.00")],
                    direction=Direction.PAYABLE, kind=BillKind.PURCHASE)
        f = statements.statement_figures(customer=supplier, period_from=date(2026, 11, 1), period_to=date(2026, 11, 30),
                                         direction=Direction.PAYABLE)
    assert (f.opening, f.billed, f.closing) == (D("0.00"), D("1130.00"), D("1130.00"))  # what we owe
    assert f.aging["current"] == D("1130.00")


@pytest.fixture
def statement(book):
    with clock.frozen(TODAY):
        return statements.statement_issue(customer=book["customer"], period_from=date(2026, 11, 1),
                                          period_to=date(2026, 11, 30), user=book["user"])


def test_reply_agreed(book, statement):
    with clock.frozen(TODAY):
        statements.statement_mark(statement=statement, status=ConfirmationStatus.SENT, user=book["user"])
        statements.statement_reply(statement=statement, agreed=True, disputes=[], note="已盖章回函", day=TODAY,
                                   user=book["user"])
    statement.refresh_from_db()
    assert statement.status == ConfirmationStatus.AGREED
    assert statement.reply_on == TODAY and statement.reply_by == book["user"]
    with clock.frozen(TODAY), pytest.raises(InvalidState):
        statements.statement_reply(statement=statement, agreed=True, disputes=[], user=book["user"])


def test_reply_disputed_flags_the_bill_and_resolving_clears_it(book, statement):
    ys2 = book["ys2"]
    with clock.frozen(TODAY):
        statements.statement_reply(statement=statement, agreed=False,
                                   disputes=[(ys2, D("5300.00"), "服务未验收，不认可此笔服务费")], day=TODAY,
                                   user=book["user"])
    statement.refresh_from_db()
    ys2.refresh_from_db()
    assert statement.status == ConfirmationStatus.DISPUTED
    assert ys2.disputed and ys2.dispute_note == "服务未验收，不认可此笔服务费"
    assert BillEvent.objects.filter(bill=ys2, kind="disputed").exists()
    dispute = StatementDispute.objects.get(statement=statement)
    with clock.frozen(TODAY):
        statements.dispute_resolve(dispute=dispute, resolution="客户已补签验收单，撤回异议", user=book["user"])
    ys2.refresh_from_db()
    assert not ys2.disputed and ys2.dispute_note == ""
    assert BillEvent.objects.filter(bill=ys2, kind="resolved").exists()
    with clock.frozen(TODAY), pytest.raises(InvalidState):
        statements.dispute_resolve(dispute=dispute, resolution="again", user=book["user"])


def test_reply_problems_are_named_together(book, statement, head_office, finance):
    with clock.frozen(TODAY):
        other = d_book.company("广州南方物流有限公司", "91440101MA59XYW12", branch=head_office, user=finance)
        foreign = d_book.bill(other, date(2026, 11, 3), "100.00", "0.00", [(date(2026, 12, 3), "100.00")])
        with pytest.raises(ValidationFailed) as error:
            statements.statement_reply(statement=statement, agreed=False,
                                       disputes=[(foreign, D("100.00"), "x"), (book["ys2"], D("0"), "")],
                                       day=date(2026, 11, 29), user=book["user"])
    details = {d["field"]: d["message"] for d in error.value.extra["details"]}
    assert set(details) == {"day", "disputes.1", "disputes.2"}
    assert "不在这张对账单上" in details["disputes.1"]
    assert "争议金额须大于 0" in details["disputes.2"] and "请填写不符原因" in details["disputes.2"]
    with clock.frozen(TODAY), pytest.raises(ValidationFailed) as error:
        statements.statement_reply(statement=statement, agreed=False, disputes=[], day=TODAY, user=book["user"])
    assert "至少一项" in str(error.value.message)


def _pdftotext(content: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def test_statement_pdf_shows_the_figures(book, statement, tmp_path):
    content = statements.statement_pdf(statement, printed_by="陈静")
    assert content.startswith(b"%PDF")
    text = _pdftotext(content, tmp_path)
    for expected in ("往来对账单", statement.number, "上海浦江建材有限公司", "8,300.00", "27,900.00", "2,260.00",
                     "13,800.00", "20,140.00", "21,640.00", "1,500.00", book["ys3"].number, "1–30天",
                     "贰万零壹佰肆拾元整"):
        assert expected in text, expected


def test_confirmation_pdf_has_the_reply_slip(book, statement, tmp_path):
    text = _pdftotext(statements.confirmation_pdf(statement), tmp_path)
    for expected in ("往来款项询证函", "致：上海浦江建材有限公司", "本函仅为复核账目之用，并非催款结算", "20,140.00",
                     "2026-11-30", "信息证明无误", "信息不符，请列明不符项目及具体内容", "经办人", "盖章", "回"):
        assert expected in text, expected


def test_statement_xlsx_opens_with_the_figures(book, statement):
    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(statements.statement_xlsx(statement)))
    assert workbook.sheetnames == ["对账单", "未结单据及账龄", "核销明细", "未核销收付款"]
    sheet = workbook["对账单"]
    notes = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=13, max_col=2, values_only=True)}
    assert notes["期初余额"] == 8300 and notes["期末余额"] == 20140 and notes["本期应收"] == 27900
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[2] in ("期初余额", "期末余额")]
    assert rows[0][7] == 8300 and rows[-1][7] == 20140
    aging = workbook["未结单据及账龄"]
    values = [row for row in aging.iter_rows(min_row=2, values_only=True) if row and row[0]]
    assert (f"{book['ys3'].number}-1", 10, "1–30天", 2780) == (values[0][0], values[0][3], values[0][4], values[0][5])
    assert workbook["未核销收付款"]["A2"].value == book["sk3"].number
