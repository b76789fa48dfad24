"""A repayment entered late with an earlier date, and a reversal: the penalty charged since that
date is taken back and accrued again on what was really overdue (decision 0003).

The loan of the worked example: ¥10,000 on 2026-01-15 at 12 %, 12 equal monthly installments of
888.49; installment 1 (principal 788.49, interest 100.00) due 2026-02-15, installment 2 (796.37 +
92.12) due 2026-03-15. Penalty: 18 % a year on overdue principal, ACT/360, no grace days. The
art. 29 cap is 12 % a year (4 × LPR 3.00 %), ACT/365.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState
from ioudesk.ious.models import Transaction
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.corrections import iou_waive, transaction_reverse
from ioudesk.ious.services.installments import current_installments
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify


def state(iou):
    iou.refresh_from_db()
    return (iou.principal_outstanding, iou.interest_outstanding, iou.penalty_outstanding, iou.overpayment,
            iou.status, iou.days_past_due)


def penalties(iou):
    """The live penalty accruals: (date, amount)."""
    return [(t.day, t.penalty) for t in Transaction.objects.filter(iou=iou, kind="penalty", reversed_by__isnull=True)
            .order_by("day", "pk")]


def test_a_payment_entered_after_the_close_takes_back_the_penalty_since_its_date(loan, finance):
    # The close of 2026-03-10 finds installment 1 unpaid: interest 100.00 falls due, and penalty
    # 788.49 × 18 % × 23 / 360 = 9.07 (of which 788.49 × 12 % × 23 / 365 = 5.96 is protected).
    with clock.frozen(date(2026, 3, 10)):
        iou_close_day(iou=loan)
        assert state(loan) == (D("10000.00"), D("100.00"), D("9.07"), 0, "overdue", 23)
        assert loan.cap_unprotected_penalty == D("3.11")
        # The interest is booked on the day it fell due, not the day the close ran, so the payment
        # of 02-20 below never meets an interest receivable the ledger books only later.
        assert JournalEntry.objects.get(iou_id=loan.pk, kind="interest_accrual").day == date(2026, 2, 15)

        # The bank statement shows ¥900.00 arrived on 2026-02-20; it is entered today with that date.
        record = iou_repay(iou=loan, amount="900.00", day=date(2026, 2, 20), user=finance, reference="B0220")

    # Penalty ran only from 02-15 to 02-20: 788.49 × 18 % × 5 / 360 = 1.97 (1.30 protected). The
    # payment covers it, the interest and the principal; 900.00 − 890.46 = 9.54 is kept as credit.
    assert (record.day, record.penalty, record.interest, record.principal, record.overpayment) == (
        date(2026, 2, 20), D("1.97"), D("100.00"), D("788.49"), D("9.54"))
    assert state(loan) == (D("9211.51"), D("0.00"), D("0.00"), D("9.54"), "active", 0)
    assert penalties(loan) == [(date(2026, 2, 20), D("1.97"))]
    assert loan.cap_unprotected_penalty == D("0.67")
    first = current_installments(loan)[0]
    assert (first.penalty_charged, first.penalty_paid, first.paid_off_on) == (D("1.97"), D("1.97"), date(2026, 2, 20))

    # The 9.07 stays visible, reversed: Dr 罚息收入 / Cr 应收罚息.
    taken_back = Transaction.objects.get(iou=loan, kind="penalty", reversed_by__isnull=False)
    reversal = Transaction.objects.get(reverses=taken_back)
    assert taken_back.penalty == D("9.07") and reversal.day == date(2026, 3, 10)
    entry = JournalEntry.objects.get(pk=reversal.entry_id)
    assert sorted((p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")) == [
        ("1303", D("0.00"), D("9.07")), ("6012", D("9.07"), D("0.00"))]
    assert verify().ok


def test_later_repayments_are_posted_again_after_the_earlier_one(loan, finance):
    # 2026-03-01: ¥400 pays penalty 788.49 × 18 % × 14 / 360 = 5.52, interest 100.00, principal 294.48.
    with clock.frozen(date(2026, 3, 1)):
        iou_repay(iou=loan, amount="400", user=finance, idempotency_key="pay-0301")
    assert state(loan) == (D("9705.52"), 0, 0, 0, "overdue", 14)

    # 2026-03-10: a ¥500 payment of 2026-02-20 turns up and is entered with its date.
    with clock.frozen(date(2026, 3, 10)):
        iou_repay(iou=loan, amount="500", day=date(2026, 2, 20), user=finance)

    # 02-20: penalty 5 days on 788.49 = 1.97; interest 100.00; principal 398.03 (390.46 left).
    # 03-01 again: penalty 9 days on 390.46 = 390.46 × 18 % × 9 / 360 = 1.76; principal 390.46
    # clears installment 1; 400 − 1.76 − 390.46 = 7.78 waits as credit for installment 2.
    live = Transaction.objects.filter(iou=loan, kind="repayment", reversed_by__isnull=True).order_by("day", "pk")
    assert [(t.day, t.amount, t.penalty, t.interest, t.principal, t.overpayment) for t in live] == [
        (date(2026, 2, 20), D("500.00"), D("1.97"), D("100.00"), D("398.03"), D("0.00")),
        (date(2026, 3, 1), D("400.00"), D("1.76"), D("0.00"), D("390.46"), D("7.78")),
    ]
    assert penalties(loan) == [(date(2026, 2, 20), D("1.97")), (date(2026, 3, 1), D("1.76"))]
    assert state(loan) == (D("9211.51"), D("0.00"), D("0.00"), D("7.78"), "active", 0)
    # Art. 29: 1.97 − 1.30 = 0.67, and 1.76 − 390.46 × 12 % × 9 / 365 (1.16) = 0.60.
    assert loan.cap_unprotected_penalty == D("1.27")
    # The first 400 stays on record as posted and reversed; its idempotency key still answers.
    original = Transaction.objects.get(idempotency_key="pay-0301")
    assert original.reversed_by.reason == "因补登 2026-02-20 的还款重新分摊"
    assert verify().ok


def test_a_reversal_accrues_the_penalty_again_on_what_is_unpaid_again(loan, finance):
    with clock.frozen(date(2026, 2, 20)):
        bounced = iou_repay(iou=loan, amount="890.46", user=finance)  # penalty 1.97 + 100.00 + 788.49
    # The close of 2026-03-20: installment 2 (due 03-15) is 5 days late: 796.37 × 18 % × 5 / 360 = 1.99.
    with clock.frozen(date(2026, 3, 20)):
        iou_close_day(iou=loan)
        assert state(loan) == (D("9211.51"), D("92.12"), D("1.99"), 0, "overdue", 5)

        transaction_reverse(record=bounced, reason="银行退票", user=finance)

    # Installment 1 is unpaid again from 02-20: penalty 788.49 × 18 % × 28 / 360 = 11.04 on top of
    # the 1.97 to 02-20, and installment 2's 1.99 again: 15.00 in all, up to 03-20 at once.
    assert penalties(loan) == [(date(2026, 2, 20), D("1.97")), (date(2026, 3, 20), D("13.03"))]
    assert state(loan) == (D("10000.00"), D("192.12"), D("15.00"), 0, "overdue", 33)
    assert verify().ok


def test_a_waiver_after_the_date_is_not_replayed_blindly(loan, finance):
    with clock.frozen(date(2026, 3, 10)):
        iou_close_day(iou=loan)
        iou_waive(iou=loan, component="penalty", amount="9.07", reason="首次逾期", user=finance)
        entries = JournalEntry.objects.count()

        with pytest.raises(InvalidState, match="2026-02-20 之后已计收罚息，并办理过减免。.*也可以按今天的营业日登记这笔还款"):
            iou_repay(iou=loan, amount="900", day=date(2026, 2, 20), user=finance)

    assert JournalEntry.objects.count() == entries
    assert state(loan) == (D("10000.00"), D("100.00"), D("0.00"), 0, "overdue", 23)


def test_a_reversal_over_a_later_waiver_asks_for_the_waiver_to_be_reversed_first(loan, finance):
    with clock.frozen(date(2026, 2, 20)):
        bounced = iou_repay(iou=loan, amount="890.46", user=finance)
    with clock.frozen(date(2026, 3, 20)):
        iou_close_day(iou=loan)  # installment 2: penalty 1.99
        waiver = iou_waive(iou=loan, component="penalty", amount="1.99", reason="客户申请", user=finance)
        with pytest.raises(InvalidState, match="2026-02-20 之后已计收罚息，并办理过减免。重算这段时间的罚息需要先冲正这些业务。$"):
            transaction_reverse(record=bounced, reason="银行退票", user=finance)

        transaction_reverse(record=waiver, reason="先冲正减免", user=finance)
        transaction_reverse(record=bounced, reason="银行退票", user=finance)
    assert state(loan) == (D("10000.00"), D("192.12"), D("15.00"), 0, "overdue", 33)
    assert verify().ok
