"""冲正 (reversal) as worked examples: a reversal undoes the original on the installments it
touched, reopens a settled IOU that owes again, leaves one owing nothing settled, and never makes
customer credit negative (docs/domain.md §10, docs/decisions/0003)."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState
from ioudesk.ious.models import Installment, Iou, Status, TransactionKind
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.corrections import iou_waive, transaction_reverse
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_refund_credit, iou_settle_early
from ioudesk.ledger.verify import verify


def _loan(debtor, manager, approver, finance, **terms):
    """¥1,000.00 lent on 2026-01-15 in one monthly installment (due 2026-02-15)."""
    fields = {**dict(kind="loan", customer=debtor, principal=D("1000"), term=1, rate_text="0%",
                     method="equal_installment", contract_date=date(2026, 1, 15)), **terms}
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(**fields), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


def _penalty_of_5_waived(debtor, manager, approver, finance):
    """At 0 % with penalty at 0.05 % a day: on 2026-02-25, 10 days late, 1,000.00 × 0.0005 × 10 =
    5.00 penalty, all of it waived."""
    iou = _loan(debtor, manager, approver, finance, penalty_daily_rate=D("0.0005"))
    iou_close_day(iou=iou)
    iou.refresh_from_db()
    assert iou.penalty_outstanding == D("5.00")
    return iou, iou_waive(iou=iou, component="penalty", amount=D("5.00"), reason="困难减免", user=finance)


def test_reversing_a_waiver_after_early_settlement_undoes_it_on_the_replaced_schedule(
        debtor, manager, approver, finance):
    # Given the 5.00 penalty waived on 2026-02-25 and the IOU settled early that day with
    # 1,000.00 (schedule version 2: one installment holding what was owed, penalty 0.00)
    with clock.frozen(date(2026, 2, 25)):
        iou, waiver = _penalty_of_5_waived(debtor, manager, approver, finance)
        iou_settle_early(iou=iou, amount=D("1000.00"), user=finance)
        iou.refresh_from_db()
        assert iou.status == Status.SETTLED

        # When the waiver is reversed
        transaction_reverse(record=waiver, reason="减免审批未通过", user=finance)

    # Then version 1's installment (the one waived) has its 5.00 waiver taken back, version 2's
    # settlement installment owes the 5.00 again, and the IOU is reopened owing 罚息 5.00.
    iou.refresh_from_db()
    v1 = Installment.objects.get(schedule__iou=iou, schedule__version=1)
    v2 = Installment.objects.get(schedule__iou=iou, schedule__version=2)
    assert (v1.penalty_charged, v1.penalty_waived) == (D("5.00"), D("0.00"))
    assert (v2.penalty_charged, v2.penalty_paid, v2.penalty_waived) == (D("5.00"), D("0.00"), D("0.00"))
    assert (iou.status, iou.settled_on, iou.penalty_outstanding, iou.total_outstanding) == (
        Status.ACTIVE, None, D("5.00"), D("5.00"))
    assert verify().ok


def test_reversing_a_waiver_reopens_a_settled_iou(debtor, manager, approver, finance):
    # Given the 5.00 penalty waived on 2026-02-25 and the 1,000.00 principal paid that day (已结清)
    with clock.frozen(date(2026, 2, 25)):
        iou, waiver = _penalty_of_5_waived(debtor, manager, approver, finance)
        iou_repay(iou=iou, amount=D("1000.00"), user=finance)
        iou.refresh_from_db()
        assert iou.status == Status.SETTLED

        # When the waiver is reversed
        transaction_reverse(record=waiver, reason="减免审批未通过", user=finance)

    # Then the IOU owes 罚息 5.00 again and is no longer 已结清 (撤销结清): 逾期 since 2026-02-15.
    iou.refresh_from_db()
    assert (iou.status, iou.settled_on, iou.penalty_outstanding) == (Status.OVERDUE, None, D("5.00"))
    assert verify().ok


def test_a_payment_whose_credit_was_refunded_is_reversed_after_the_refund(debtor, manager, approver, finance):
    # Given ¥1,000.00 at 12 % in one installment (due 2026-02-15: 1,000.00 + 10.00 interest),
    # paid with 1,020.00 on 2026-02-15 (已结清, 溢缴款 10.00) and the 10.00 refunded
    iou = _loan(debtor, manager, approver, finance, rate_text="12%")
    with clock.frozen(date(2026, 2, 15)):
        payment = iou_repay(iou=iou, amount=D("1020.00"), user=finance)
        refund = iou_refund_credit(iou=iou, user=finance)
        iou.refresh_from_db()
        assert (iou.status, iou.overpayment) == (Status.SETTLED, D("0.00"))

        # When the payment is reversed, then it is refused while the refund stands (the customer
        # would owe the refunded 10.00 as a credit of −10.00), and nothing changes
        with pytest.raises(InvalidState, match="请先冲正退还溢缴款") as refused:
            transaction_reverse(record=payment, reason="录入错误", user=finance)
        assert "¥10.00" in str(refused.value)
        iou.refresh_from_db()
        assert (iou.status, iou.overpayment, iou.total_outstanding) == (Status.SETTLED, D("0.00"), D("0.00"))
        assert not iou.transactions.filter(kind=TransactionKind.REVERSAL).exists()

        # When the refund is reversed first (the 10.00 is the customer's credit again), then the
        # payment can be: the IOU is reopened owing 1,000.00 + 10.00 and no credit is left.
        transaction_reverse(record=refund, reason="退款未付出", user=finance)
        iou.refresh_from_db()
        assert (iou.status, iou.overpayment) == (Status.SETTLED, D("10.00"))
        transaction_reverse(record=payment, reason="录入错误", user=finance)

    iou.refresh_from_db()
    assert (iou.status, iou.principal_outstanding, iou.interest_outstanding, iou.overpayment) == (
        Status.ACTIVE, D("1000.00"), D("10.00"), D("0.00"))
    assert iou.transactions.filter(kind=TransactionKind.REVERSAL).count() == 2
    assert verify().ok


def test_reversing_a_payment_that_paid_nothing_leaves_the_iou_settled(debtor, manager, approver, finance):
    # Given ¥1,000.00 at 0 % paid in full early on 2026-01-20 (nothing due yet: 溢缴款 1,000.00),
    # then settled early that day on the quote of 0.00 with 0.01 (the credit pays the principal,
    # the 0.01 is credit again)
    iou = _loan(debtor, manager, approver, finance)
    with clock.frozen(date(2026, 1, 20)):
        iou_repay(iou=iou, amount=D("1000.00"), user=finance)
        settling = iou_settle_early(iou=iou, amount=D("0.01"), user=finance)

        # When the 0.01 is reversed
        transaction_reverse(record=settling, reason="录入错误", user=finance)

    # Then the IOU owes nothing and has no credit, and is still 已结清 as of 2026-01-20
    iou.refresh_from_db()
    assert (iou.status, iou.settled_on, iou.total_outstanding, iou.overpayment) == (
        Status.SETTLED, date(2026, 1, 20), D("0.00"), D("0.00"))
    assert verify().ok


def test_reversing_a_payment_made_before_an_extension(debtor, manager, approver, finance):
    # Given ¥1,200.00 at 0 % in three monthly installments of 400.00 from 2026-01-15, the first
    # (due 2026-02-15) paid that day, and the IOU extended on 2026-02-20 over 4 months (version 2:
    # the 800.00 not yet due scheduled again; nothing owed then, so no installment 0)
    iou = _loan(debtor, manager, approver, finance, principal=D("1200"), term=3)
    with clock.frozen(date(2026, 2, 15)):
        payment = iou_repay(iou=iou, amount=D("400.00"), user=finance)
    with clock.frozen(date(2026, 2, 20)):
        iou_extend(iou=iou, term=4, reason="客户申请展期", user=finance)
        assert not Installment.objects.filter(schedule__iou=iou, schedule__version=2, number=0).exists()

        # When the 400.00 payment is reversed
        transaction_reverse(record=payment, reason="录入错误", user=finance)

    # Then version 1's installment 1 is unpaid again, and the 400.00 owed again is on version 2
    # as installment 0 due 2026-02-20 (where an extension puts what is owed when it is made);
    # version 2's installments 1–4 are untouched (800.00), and the IOU owes 1,200.00.
    iou.refresh_from_db()
    first = Installment.objects.get(schedule__iou=iou, schedule__version=1, number=1)
    assert (first.principal_due, first.principal_paid) == (D("400.00"), D("0.00"))
    current = list(Installment.objects.filter(schedule__iou=iou, schedule__is_current=True).order_by("number"))
    assert [(r.number, r.principal_due, r.principal_paid) for r in current][0] == (0, D("400.00"), D("0.00"))
    assert current[0].due_date == date(2026, 2, 20)
    assert sum((r.principal_due for r in current[1:]), D("0")) == D("800.00")
    assert iou.principal_outstanding == D("1200.00")
    assert verify().ok
