"""The matching rules on a small book, worked by hand (docs/domain.md §26)."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables.matching import match_receipts, memo_numbers, rules_ensure
from ioudesk.receivables.models import (
    Allocation,
    BillDue,
    BillStatus,
    MatchMethod,
    MatchSuggestion,
    PayerAlias,
    ReceiptStatus,
    ReceivablesSettings,
)
from ioudesk.receivables.receipts import ReceiptRow, receipt_create, receipts_create_bulk
from ioudesk.receivables.tests.b_book import company, doc_balance, open_bill

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


@pytest.fixture
def book(organisation, head_office, finance, manager):
    rules_ensure()
    with clock.frozen(DAY):
        steel = company("华东钢材有限公司", head_office, manager)
        trade = company("宏达贸易有限公司", head_office, manager)
        b1 = open_bill(steel, [(date(2026, 10, 31), "11300.00")], bill_date=date(2026, 10, 1))
        b2 = open_bill(steel, [(date(2026, 11, 30), "5650.00")], bill_date=date(2026, 10, 31))
        b3 = open_bill(steel, [(date(2026, 11, 15), "3000.00"), (date(2026, 12, 15), "7000.00")],
                       bill_date=date(2026, 10, 16))
        t1 = open_bill(trade, [(date(2026, 11, 20), "5650.00")], bill_date=date(2026, 10, 21))
        yield {"steel": steel, "trade": trade, "b1": b1, "b2": b2, "b3": b3, "t1": t1, "user": finance,
               "branch": head_office}


def receive(book, amount, **kw):
    with clock.frozen(DAY):
        return receipt_create(direction="receivable", channel="bank", account_code=AccountCode.BANK_BASIC, day=DAY,
                              amount=D(amount), branch=book["branch"], user=book["user"], **kw)


def test_memo_numbers_with_and_without_dash():
    assert memo_numbers("货款 ys20261128 0001，ＹＳ２０２６１１２８－０００２ 及 JD202611010003") == [
        "YS20261128-0001", "YS20261128-0002", "JD20261101-0003"]
    assert memo_numbers("付 YF20261128-12345 尾款") == ["YF20261128-12345"]
    assert memo_numbers("电话 13901012345") == []


def test_memo_number_pays_the_named_bill(book):
    b1 = book["b1"]
    receipt = receive(book, "11300.00", memo=f"支付{b1.number.replace('-', '')}货款", payer_name="某代付公司")
    assert receipt.status == ReceiptStatus.MATCHED and receipt.unmatched == 0
    allocation = Allocation.objects.get(receipt=receipt)
    assert allocation.method == MatchMethod.MEMO_NUMBER and allocation.amount == D("11300.00")
    b1.refresh_from_db()
    assert b1.status == BillStatus.PAID and b1.open_amount == 0
    # ledger: the receipt 2203 is cleared, the bill's 1122 is zero
    assert doc_balance("R", receipt.pk, AccountCode.ADVANCE_RECEIPTS) == 0
    assert doc_balance("B", b1.pk, AccountCode.RECEIVABLES) == 0
    # the payer was learned: next time 某代付公司 is 华东钢材
    assert PayerAlias.objects.get(value="某代付公司").customer == book["steel"]


def test_payer_exact_amount_never_across_customers(book):
    # ¥5,650.00 is open on b2 (华东钢材) and on t1 (宏达贸易); the payer is 宏达贸易, so only t1
    receipt = receive(book, "5650.00", payer_name="宏达贸易有限公司", memo="货款")
    allocation = Allocation.objects.get(receipt=receipt)
    assert allocation.due.bill == book["t1"] and allocation.method == MatchMethod.PAYER_EXACT
    assert BillDue.objects.get(bill=book["b2"]).open_amount == D("5650.00")


def test_payer_oldest_items_summing_to_the_amount(book):
    # 华东钢材's open items by due date: b1 10-31 11,300; b3#1 11-15 3,000; b2 11-30 5,650; b3#2 12-15 7,000.
    # 11,300 + 3,000 = 14,300.00: the two oldest
    receipt = receive(book, "14300.00", payer_name="华东钢材有限公司（上海）".replace("（上海）", ""))
    assert receipt.status == ReceiptStatus.MATCHED
    got = sorted((a.due.bill.number, a.due.seq, a.amount, a.method) for a in Allocation.objects.filter(receipt=receipt))
    assert got == sorted([(book["b1"].number, 1, D("11300.00"), MatchMethod.PAYER_OLDEST),
                          (book["b3"].number, 1, D("3000.00"), MatchMethod.PAYER_OLDEST)])


def test_no_rule_fits_leaves_it_unmatched_and_partial_is_only_suggested(book):
    ReceivablesSettings.objects.update_or_create(organisation=book["branch"].organisation,
                                                 defaults={"match_tolerance": D("50.00")})
    # 5,630.00 is ¥20.00 short of b2 (5,650.00; the only item within ¥50): suggested, not matched
    receipt = receive(book, "5630.00", payer_name="华东钢材有限公司")
    assert receipt.status == ReceiptStatus.UNMATCHED and not Allocation.objects.filter(receipt=receipt).exists()
    suggestion = MatchSuggestion.objects.get(receipt=receipt)
    assert suggestion.due.bill == book["b2"] and suggestion.amount == D("5630.00")
    # an unknown payer with no number: nothing
    other = receive(book, "999.00", payer_name="不认识的公司")
    assert other.status == ReceiptStatus.UNMATCHED and not other.suggestions.exists()


def test_bulk_then_match(book):
    rows = [
        ReceiptRow(direction="receivable", day=DAY, amount=D("11300.00"), memo=book["b1"].number),
        ReceiptRow(direction="receivable", day=DAY, amount=D("5650.00"), payer_name="宏达贸易有限公司",
                   payer_account="6222 0000 1111 2222"),
        ReceiptRow(direction="receivable", day=DAY, amount=D("1.00"), payer_name="无名"),
    ]
    with clock.frozen(DAY):
        ids = receipts_create_bulk(rows, branch=book["branch"], account_code=AccountCode.BANK_BASIC,
                                   user=book["user"])
        summary = match_receipts(ids, user=book["user"])
    assert (summary.receipts, summary.matched, summary.unmatched, summary.allocations) == (3, 2, 1, 2)
    assert summary.amount == D("16950.00")
    from ioudesk.receivables.models import Receipt

    for receipt in Receipt.objects.filter(pk__in=ids):
        assert -doc_balance("R", receipt.pk, AccountCode.ADVANCE_RECEIPTS) == receipt.unmatched
    assert [r.unmatched for r in Receipt.objects.filter(pk__in=ids).order_by("id")] == [0, 0, D("1.00")]
    # the account was learned too: its blind index, never the number
    alias = PayerAlias.objects.get(kind="account")
    assert alias.customer == book["trade"] and "2222" in alias.label and "6222" not in alias.value


def test_two_items_of_the_same_amount_take_the_oldest(book):
    # 宏达贸易: t1 (11-20, 5,650.00) and a second bill (12-20, 5,650.00): not "exactly one", so the
    # oldest-first rule takes t1
    with clock.frozen(DAY):
        later = open_bill(book["trade"], [(date(2026, 12, 20), "5650.00")], bill_date=date(2026, 11, 20))
    receipt = receive(book, "5650.00", payer_name="宏达贸易有限公司")
    allocation = Allocation.objects.get(receipt=receipt)
    assert allocation.due.bill == book["t1"] and allocation.method == MatchMethod.PAYER_OLDEST
    assert BillDue.objects.get(bill=later).open_amount == D("5650.00")


@pytest.fixture
def loan(book, manager, approver, finance):
    """¥10,000 at 12 % a year, 12 monthly installments of ¥888.49, paid out 2026-11-01 (first due 12-01)."""
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 11, 1)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=book["steel"], principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 11, 1)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


def test_iou_installment_matched_through_the_iou_and_undone(book, loan):
    from ioudesk.ious.models import Transaction
    from ioudesk.ledger.verify import verify
    from ioudesk.receivables.matching import allocation_undo

    # the memo names the IOU: its first installment (due 12-01) is 888.49
    receipt = receive(book, "888.49", memo=f"还款{loan.number.replace('-', '')}", payer_name="华东钢材有限公司")
    allocation = Allocation.objects.get(receipt=receipt)
    assert allocation.iou == loan and allocation.amount == D("888.49") and receipt.status == ReceiptStatus.MATCHED
    record = Transaction.objects.get(pk=allocation.iou_transaction_id)
    assert record.kind == "repayment" and record.amount == D("888.49") and record.day == DAY
    assert doc_balance("R", receipt.pk, AccountCode.ADVANCE_RECEIPTS) == 0
    with clock.frozen(DAY):
        assert verify().ok
        allocation_undo(allocation=allocation, reason="客户说是另一笔借据", user=book["user"])
        assert verify().ok
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.UNMATCHED and receipt.unmatched == D("888.49")
    assert Transaction.objects.filter(reverses=record).exists()
    assert -doc_balance("R", receipt.pk, AccountCode.ADVANCE_RECEIPTS) == D("888.49")
