"""Customer credit (溢缴款): applied when the next installment falls due, told apart from a real
payment by a typed field (defect 13), and left out when later payments are posted again.

Given ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly installments (30/360) of
¥888.49: installment 1 (2026-02-15) is interest 100.00 + principal 788.49; installment 2
(2026-03-15) is interest 9,211.51 × 1 % = 92.12 + principal 796.37.
"""

from datetime import date
from decimal import Decimal as D

from ioudesk.core import clock
from ioudesk.ious.models import PaymentSource, Transaction
from ioudesk.ious.services import allocation
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.corrections import transaction_reverse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.models import JournalEntry, Posting
from ioudesk.ledger.verify import verify


def entry_lines(entry_id):
    return sorted((p.account.code, p.debit, p.credit)
                  for p in JournalEntry.objects.get(pk=entry_id).postings.select_related("account"))


def cash_received(iou):
    """Net cash into 100201 from the IOU's repayments and their reversals (all but the payout)."""
    return sum((p.debit - p.credit for p in Posting.objects.filter(account__code="100201", entry__iou_id=iou.pk)
                .exclude(entry__kind="disbursement")), D("0.00"))


def test_credit_pays_the_next_installment_when_it_falls_due(loan, finance):
    # When ¥1,000.00 is paid on 2026-02-15, 888.49 pays installment 1 and 111.51 is kept as credit.
    with clock.frozen(date(2026, 2, 15)):
        paid = iou_repay(iou=loan, amount="1000", user=finance)
    assert (paid.source, paid.overpayment) == (PaymentSource.PAYMENT, D("111.51"))
    # Then on 2026-03-15 the daily close applies it to installment 2, interest first:
    # 92.12 interest and 111.51 − 92.12 = 19.39 principal. Dr 2241 / Cr 1302, 1301; no cash.
    with clock.frozen(date(2026, 3, 15)):
        iou_close_day(iou=loan)
    applied = Transaction.objects.get(iou=loan, source=PaymentSource.CREDIT)
    assert (applied.day, applied.amount, applied.interest, applied.principal) == (
        date(2026, 3, 15), D("111.51"), D("92.12"), D("19.39"))
    assert applied.allocation == [{"number": 2, "principal": "19.39", "interest": "92.12", "fee": "0",
                                   "penalty": "0"}]
    assert entry_lines(applied.entry_id) == [
        ("1301", D("0.00"), D("19.39")), ("1302", D("0.00"), D("92.12")), ("2241", D("111.51"), D("0.00"))]
    loan.refresh_from_db()
    # 10,000 − 788.49 − 19.39 = 9,192.12 principal; installment 2 still owes 796.37 − 19.39 = 776.98.
    assert (loan.principal_outstanding, loan.interest_outstanding, loan.overpayment) == (
        D("9192.12"), D("0.00"), D("0.00"))
    row = loan.schedules.get(is_current=True).installments.get(number=2)
    assert (row.interest_paid, row.principal_paid) == (D("92.12"), D("19.39"))
    assert verify().ok


def test_credit_smaller_than_the_interest_due_pays_interest_only(loan, finance):
    # ¥900.00 on 2026-02-15 leaves 11.51 of credit; on 2026-03-15 it pays 11.51 of the 92.12 interest.
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=loan, amount="900", user=finance)
    with clock.frozen(date(2026, 3, 15)):
        iou_close_day(iou=loan)
    applied = Transaction.objects.get(iou=loan, source=PaymentSource.CREDIT)
    assert (applied.amount, applied.interest, applied.principal) == (D("11.51"), D("11.51"), D("0.00"))
    loan.refresh_from_db()
    assert (loan.interest_outstanding, loan.overpayment) == (D("80.61"), D("0.00"))


def test_replay_after_a_reversal_does_not_post_credit_again_as_cash(loan, finance, monkeypatch):
    # Given installment 1 paid on 2026-02-15 (888.49), ¥200.00 paid early on 2026-02-20 (all credit:
    # nothing else is due), and the credit applied on 2026-03-15 (92.12 interest, 107.88 principal).
    with clock.frozen(date(2026, 2, 15)):
        first = iou_repay(iou=loan, amount="888.49", user=finance)
    with clock.frozen(date(2026, 2, 20)):
        iou_repay(iou=loan, amount="200", user=finance)
    with clock.frozen(date(2026, 3, 15)):
        iou_close_day(iou=loan)
    applied = Transaction.objects.get(iou=loan, source=PaymentSource.CREDIT)
    assert (applied.amount, applied.interest, applied.principal) == (D("200.00"), D("92.12"), D("107.88"))
    assert cash_received(loan) == D("1088.49")

    # When the first payment bounces and is reversed on 2026-03-16 by someone working in another
    # language (the payer label of the credit application no longer matches its translation):
    monkeypatch.setattr(allocation, "_g", lambda text: "Customer credit applied" if text == "溢缴款冲抵" else text)
    with clock.frozen(date(2026, 3, 16)):
        transaction_reverse(record=first, reason="银行退票", user=finance)

    # Then the ¥200.00 is posted again on 2026-02-20 and now meets installment 1, five days
    # overdue: penalty 788.49 × 18 % × 5/360 = 1.97, interest 100.00, principal 98.03. The credit
    # application is taken back and not posted again: the only cash is the 200.00 really paid.
    assert cash_received(loan) == D("200.00")
    assert not Transaction.objects.filter(iou=loan, source=PaymentSource.CREDIT, reversed_by__isnull=True).exists()
    replayed = Transaction.objects.filter(iou=loan, kind="repayment", reversed_by__isnull=True).get()
    assert (replayed.day, replayed.penalty, replayed.interest, replayed.principal, replayed.overpayment) == (
        date(2026, 2, 20), D("1.97"), D("100.00"), D("98.03"), D("0.00"))
    loan.refresh_from_db()
    assert loan.overpayment == D("0.00") and loan.principal_outstanding == D("9901.97")
    assert verify().ok
