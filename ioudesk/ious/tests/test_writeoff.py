"""Write-off (核销): the document's breakdown is the entry's, component by component (defect 11:
the transaction list showed penalty as interest)."""

from datetime import date
from decimal import Decimal as D

from ioudesk.core import clock
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.writeoff import iou_write_off
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
