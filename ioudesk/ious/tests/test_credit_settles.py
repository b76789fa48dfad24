"""Customer credit (溢缴款) that pays an IOU's last amounts in the daily close settles it (docs/domain.md §10).

Given ¥1,000.00 lent on 2026-01-15 at 12 % a year, 2 equal monthly installments (30/360) of
1,000 × 0.01 × 1.01² / (1.01² − 1) = ¥507.51 (`ioudesk calc schedule --principal 1000 --rate 12%
--term 2`): installment 1 (2026-02-15) is interest 10.00 + principal 497.51; installment 2
(2026-03-15) is interest 502.49 × 1 % = 5.02 + principal 502.49.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou, PaymentSource, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.verify import verify


@pytest.fixture
def loan(debtor, manager, approver, finance):
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("1000"), term=2, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


def test_credit_paying_the_last_installment_in_the_daily_close_settles_the_iou(loan, finance):
    # Given installment 1 paid on its due date with 1,015.02: 507.51 pays it, 507.51 is credit
    # (installment 2 is not due yet), and 502.49 principal is still owed, so the IOU stays live.
    with clock.frozen(date(2026, 2, 15)):
        paid = iou_repay(iou=loan, amount="1015.02", user=finance)
    assert (paid.source, paid.overpayment) == (PaymentSource.PAYMENT, D("507.51"))
    loan.refresh_from_db()
    assert (loan.status, loan.principal_outstanding, loan.overpayment) == ("active", D("502.49"), D("507.51"))

    # When the day closes on 2026-03-15, installment 2 falls due (interest 5.02) and the credit pays
    # it in full: 5.02 interest + 502.49 principal = 507.51, Dr 2241 / Cr 1302, 1301.
    with clock.frozen(date(2026, 3, 15)):
        iou_close_day(iou=loan)
    applied = Transaction.objects.get(iou=loan, source=PaymentSource.CREDIT)
    assert (applied.day, applied.amount, applied.interest, applied.principal) == (
        date(2026, 3, 15), D("507.51"), D("5.02"), D("502.49"))

    # Then nothing is owed and no credit is left: the IOU is 已结清 as of 2026-03-15.
    loan.refresh_from_db()
    assert (loan.principal_outstanding, loan.interest_outstanding, loan.fee_outstanding,
            loan.penalty_outstanding, loan.overpayment) == (D("0.00"),) * 5
    assert (loan.status, loan.settled_on) == ("settled", date(2026, 3, 15))
    assert verify().ok

    # And a second close the next day changes nothing.
    with clock.frozen(date(2026, 3, 16)):
        iou_close_day(iou=loan)
    loan.refresh_from_db()
    assert (loan.status, loan.settled_on) == ("settled", date(2026, 3, 15))
    assert Transaction.objects.filter(iou=loan, source=PaymentSource.CREDIT).count() == 1
