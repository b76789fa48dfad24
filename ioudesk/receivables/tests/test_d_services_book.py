"""The statement against entries made by the real doors (A's bills, credit notes, adjustments and void;
B's receipts, manual match and undo): the closing balance equals the ledger and the documents' own
open amounts, and every entry lands in its column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioudesk.core import clock
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables import statements
from ioudesk.receivables.bills import bill_adjust, bill_void, credit_note_create
from ioudesk.receivables.matching import allocation_undo, match_manual
from ioudesk.receivables.models import Bill, BillKind, Direction, Receipt
from ioudesk.receivables.receipts import receipt_create
from ioudesk.receivables.tests import d_book
from ioudesk.receivables.tests.a_book import goods, make_bill
from ioudesk.receivables.tests.test_d_statements import ledger_balance

D = Decimal
DAY = date(2026, 11, 28)


def _receipt(customer, amount, user):
    return receipt_create(direction=Direction.RECEIVABLE, channel="bank", account_code=AccountCode.BANK_BASIC, day=DAY,
                          amount=amount, payer_name=customer.name, customer=customer, branch=customer.branch, user=user,
                          auto_match=False)


def test_statement_of_a_book_made_through_the_services(head_office, finance):
    with clock.frozen(DAY):
        customer = d_book.company("杭州明达贸易有限公司", "91330106MA2H0KQ38", branch=head_office, user=finance)
        bill1 = make_bill(customer=customer, user=finance)  # 100 × ¥50.00 + 13 % = ¥5,650.00
        bill2 = make_bill(customer=customer, user=finance, lines=[goods(quantity="10", unit_price="100.00")])  # 1,130
        credit_note_create(original=bill1, amount="565.00", reason="退货 10 个", user=finance)
        bill_adjust(bill=bill2, amount="-30.00", reason="尾差让利", user=finance)
        bill_adjust(bill=bill2, amount="50.00", reason="补收运费", user=finance)
        bill3 = make_bill(customer=customer, user=finance)
        bill_void(bill=bill3, reason="重复录入", user=finance)
        paid = _receipt(customer, "3000.00", finance)
        match_manual(receipt=paid, targets=[(bill1.dues.first(), D("3000.00"))], user=finance)
        _receipt(customer, "2000.00", finance)  # not matched
        undone = _receipt(customer, "500.00", finance)
        allocation = match_manual(receipt=undone, targets=[(bill2.dues.first(), D("500.00"))], user=finance)[0]
        allocation_undo(allocation=allocation, reason="核销错单据", user=finance)
        f = statements.statement_figures(customer=customer, period_from=date(2026, 11, 1), period_to=DAY)
    assert f.opening == D("0.00")
    assert f.billed == D("6780.00")  # 5,650 + 1,130 + 5,650 − 5,650 (the void's reversal)
    assert f.credited == D("565.00")
    assert f.adjusted == D("20.00")  # −30 + 50
    assert f.received == D("5500.00")  # 3,000 + 2,000 + 500
    assert f.closing == D("735.00")  # 6,780 − 565 + 20 − 5,500
    assert f.closing == ledger_balance(customer, DAY)
    # the documents' own figures agree: open bills 2,085 + 1,100 + 50 less unmatched 2,000 + 500
    bills = Bill.objects.filter(customer=customer).exclude(kind=BillKind.CREDIT_NOTE)
    open_bills = sum((b.open_amount for b in bills), D("0"))
    unmatched = sum((r.unmatched for r in Receipt.objects.filter(customer=customer)), D("0"))
    assert (f.bills_open, f.unmatched) == (open_bills, unmatched) == (D("3235.00"), D("2500.00"))
    assert sum(f.aging.values()) == f.bills_open
    # the match and its undo are shown, balance-neutral
    assert sorted(m.amount for m in f.matches) == [D("-500.00"), D("500.00"), D("3000.00")]
    assert [m.category for m in f.movements].count("received") == 3
