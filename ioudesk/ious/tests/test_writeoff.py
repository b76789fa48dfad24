"""Write-off (核销): the document's breakdown is the entry's, component by component (defect 11:
the transaction list showed penalty as interest), and customer credit is set off before the rest
is written off (docs/domain.md §10)."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState
from ioudesk.ious import predicates
from ioudesk.ious.models import Iou, PaymentSource, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.writeoff import iou_write_off
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify


def test_a_write_off_records_interest_and_penalty_apart(debtor, manager, approver, finance):
    # Given ¥5,000 lent on 2026-01-10 at 10 % a year, bullet over 3 months: interest
    # 5,000 × 10 % × 3/12 = 125.00 falls due on 2026-04-10 with the principal, and is not paid.
    with clock.frozen(date(2026, 1, 10)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("5000"), term=3, rate_text="10%",
                                    method="bullet", contract_date=date(2026, 1, 10)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    # When it is written off on 2026-07-19, 100 days late: penalty at 10 % × 1.5 = 15 % a year,
    # ACT/360, on the overdue principal: 5,000 × 15 % × 100 / 360 = 208.33.
    with clock.frozen(date(2026, 7, 19)):
        record = iou_write_off(iou=iou, user=finance, reason="债务人失联", recovery_method="write_off")

    # Then the document says 本金 5,000.00, 利息 125.00, 罚息 208.33, 费用 0.00 — as the entry credits
    # 1301, 1302 and 1303 — and the total 5,333.33 goes off balance (9001 principal, 9002 the rest).
    record = Transaction.objects.get(pk=record.pk)
    assert (record.amount, record.principal, record.interest, record.penalty, record.fee) == (
        D("5333.33"), D("5000.00"), D("125.00"), D("208.33"), D("0.00"))
    credits = {p.account.code: p.credit for p in JournalEntry.objects.get(pk=record.entry_id).postings.all()}
    assert (credits["1301"], credits["1302"], credits["1303"]) == (record.principal, record.interest, record.penalty)
    iou.refresh_from_db()
    assert (iou.written_off_principal, iou.written_off_interest) == (D("5000.00"), D("333.33"))
    assert verify().ok


def _loan(debtor, manager, approver, finance, **terms):
    iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, contract_date=date(2026, 1, 15), **terms), user=manager)
    iou_submit(iou=iou, user=manager)
    iou_approve(iou=iou, user=approver)
    iou_disburse(iou=iou, user=finance)
    return iou


def test_customer_credit_is_set_off_before_the_rest_is_written_off(debtor, manager, approver, finance):
    # Given ¥2,000 lent on 2026-01-15 at 12 % in 2 equal-principal installments (30/360):
    # installment 1 due 2026-02-15 owes 1,000.00 + interest 20.00; installment 2 due 2026-03-15
    # owes 1,000.00 + 10.00. Installment 1 is paid with 1,070.00: 溢缴款 50.00.
    with clock.frozen(date(2026, 1, 15)):
        iou = _loan(debtor, manager, approver, finance, principal=D("2000"), term=2, rate_text="12%",
                    method="equal_principal")
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount="1070", user=finance)
    iou.refresh_from_db()
    assert (iou.principal_outstanding, iou.overpayment) == (D("1000.00"), D("50.00"))

    # When it is written off on 2026-03-01 (the debtor declared bankrupt):
    with clock.frozen(date(2026, 3, 1)):
        record = iou_write_off(iou=iou, user=finance, reason="债务人破产", recovery_method="write_off")

    # Then the 50.00 owed back to the debtor is set off against the debt first (民法典第五百六十八条):
    # a credit application of 50.00 on installment 2's principal, and 1,000.00 − 50.00 = 950.00 is
    # written off (installment 2's 10.00 interest had not fallen due: neither set off nor written off).
    set_off = Transaction.objects.get(iou=iou, source=PaymentSource.CREDIT)
    assert (set_off.day, set_off.amount, set_off.principal, set_off.interest) == (
        date(2026, 3, 1), D("50.00"), D("50.00"), D("0.00"))
    assert "第五百六十八条" in set_off.reason
    record = Transaction.objects.get(pk=record.pk)
    assert (record.amount, record.principal, record.interest, record.penalty, record.fee, record.overpayment) == (
        D("950.00"), D("950.00"), D("0.00"), D("0.00"), D("0.00"), D("50.00"))
    debits = {p.account.code: p.debit for p in JournalEntry.objects.get(pk=set_off.entry_id).postings.all()}
    assert debits[AccountCode.CUSTOMER_CREDIT] == D("50.00")
    iou.refresh_from_db()
    assert (iou.status, iou.overpayment, iou.principal_outstanding) == ("written_off", D("0.00"), D("0.00"))
    assert (iou.written_off_principal, iou.written_off_interest) == (D("950.00"), D("0.00"))
    assert verify().ok
    # and no credit is left standing as a liability that could no longer be refunded.
    assert not predicates.can_refund(iou)


def test_a_write_off_is_refused_when_the_credit_pays_everything(debtor, manager, approver, finance):
    # Given ¥1,000 at 0 % in one installment due 2026-02-15, paid in full on 2026-01-20 (nothing
    # due yet: 溢缴款 1,000.00):
    with clock.frozen(date(2026, 1, 15)):
        iou = _loan(debtor, manager, approver, finance, principal=D("1000"), term=1, rate_text="0%")
    with clock.frozen(date(2026, 1, 20)):
        iou_repay(iou=iou, amount="1000", user=finance)
    entries = JournalEntry.objects.count()
    assert not predicates.can_write_off(iou)  # the page does not offer it
    # When a write-off is asked for, then it is refused (the credit settles the debt: 提前结清), and
    # nothing is posted: no set-off, no write-off, the credit still stands.
    with clock.frozen(date(2026, 1, 25)), pytest.raises(InvalidState, match="提前结清"):
        iou_write_off(iou=iou, user=finance, reason="债务人失联")
    iou.refresh_from_db()
    assert (iou.status, iou.overpayment, iou.principal_outstanding) == ("active", D("1000.00"), D("1000.00"))
    assert JournalEntry.objects.count() == entries
    assert not Transaction.objects.filter(iou=iou, kind="write_off").exists()


def test_a_write_off_of_an_iou_owing_nothing_is_refused(debtor, manager, approver, finance):
    # Given ¥1,000 at 0 % in one installment, paid with 1,000.00 on its due date 2026-02-15
    # (已结清, owing 0.00, no credit), and left 生效 all the same — as a reversal of a payment that
    # paid nothing did before it was fixed (test_corrections.py), in data entered then:
    with clock.frozen(date(2026, 1, 15)):
        iou = _loan(debtor, manager, approver, finance, principal=D("1000"), term=1, rate_text="0%")
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount="1000", user=finance)
    Iou.objects.filter(pk=iou.pk).update(status="active", settled_on=None)
    iou.refresh_from_db()
    assert (iou.total_outstanding, iou.overpayment) == (D("0.00"), D("0.00"))
    entries = JournalEntry.objects.count()
    # When a write-off is asked for, then it is refused with the reason (before: AttributeError,
    # 'NoneType' object has no attribute 'pk' — an entry with nothing to post), and nothing is posted.
    with clock.frozen(date(2026, 2, 20)), pytest.raises(InvalidState, match="没有未还欠款，无需核销"):
        iou_write_off(iou=iou, user=finance, reason="债务人失联")
    iou.refresh_from_db()
    assert iou.status == "active" and JournalEntry.objects.count() == entries
    assert not Transaction.objects.filter(iou=iou, kind="write_off").exists()
