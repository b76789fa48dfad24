"""Early settlement (提前结清): one prepayment-fee rule for the quote and the settlement
(defect 15), broken-period interest only on the principal not yet due, and the dates the IOU
shows afterwards (defect 12).

Given ¥12,000 lent on 2026-01-15 at 12 % a year, 12 equal-principal monthly installments (30/360),
a 2 % prepayment fee: each installment repays ¥1,000.00 principal; the first has interest
12,000 × 1 % = 120.00, the second 11,000 × 1 % = 110.00. The first is paid on time; the second,
due 2026-03-15, is not.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.calc.daycount import DayCount
from ioudesk.calc.interest import settlement_quote
from ioudesk.core import clock
from ioudesk.ious import selectors
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote
from ioudesk.ledger.verify import verify


@pytest.fixture
def loan(debtor, manager, approver, finance):
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("12000"), term=12, rate_text="12%",
                                    method="equal_principal", contract_date=date(2026, 1, 15),
                                    prepayment_fee_rate=D("0.02")), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount="1120", user=finance)
    return iou


def test_the_prepayment_fee_and_the_broken_interest_are_on_principal_not_yet_due(loan, finance):
    # When it is settled on 2026-03-25, ten days after the unpaid second installment fell due:
    #   principal outstanding 11,000.00, of which 1,000.00 is overdue and 10,000.00 not yet due;
    #   prepayment fee 2 % × 10,000.00 = 200.00 (not 2 % × 11,000.00 = 220.00: overdue principal
    #   is late, not early);
    #   interest on the books 110.00 (installment 2's, to its due date 2026-03-15);
    #   broken interest for the ten days since, on the principal not yet due only:
    #   10,000 × 12 % × 10/360 = 33.33 (not 11,000 × 12 % × 10/360 = 36.67: the overdue 1,000.00
    #   bears its penalty for those days, 1,000 × 18 % × 10/360 = 5.00, which already holds the
    #   contract rate — docs/domain.md §10);
    #   total 11,000.00 + 110.00 + 33.33 + 5.00 + 200.00 = 11,348.33.
    with clock.frozen(date(2026, 3, 25)):
        quote = iou_settlement_quote(iou=loan, user=finance)
        assert (quote.principal, quote.interest_due, quote.broken_interest, quote.penalty, quote.prepayment_fee) == (
            D("11000.00"), D("110.00"), D("33.33"), D("5.00"), D("200.00"))
        assert quote.total == D("11348.33")
        # The pure calculation gives the same interest and fee when told what is not yet due.
        pure = settlement_quote(outstanding_principal=D("11000.00"), annual_rate=D("0.12"),
                                interest_paid_to=date(2026, 3, 15), settle_on=date(2026, 3, 25),
                                prepayment_fee_rate=D("0.02"), principal_not_yet_due=D("10000.00"),
                                day_count=DayCount.THIRTY_360)
        assert (pure.interest, pure.prepayment_fee) == (quote.broken_interest, quote.prepayment_fee)
        record = iou_settle_early(iou=loan, amount="11348.33", user=finance)
    # Then the settlement charges what was quoted: interest 110.00 + 33.33, fees 200.00, penalty 5.00.
    assert (record.amount, record.principal, record.interest, record.penalty, record.fee, record.overpayment) == (
        D("11348.33"), D("11000.00"), D("143.33"), D("5.00"), D("200.00"), D("0.00"))
    loan.refresh_from_db()
    assert loan.status == "settled" and loan.total_outstanding == D("0.00") and loan.overpayment == D("0.00")
    assert verify().ok


def test_with_nothing_overdue_the_broken_interest_is_on_all_the_principal(loan, finance):
    # When it is settled on 2026-02-25, ten days after installment 1 was paid on its due date:
    #   nothing is overdue; 11,000.00 principal, all of it not yet due;
    #   broken interest 11,000 × 12 % × 10/360 = 36.67; fee 2 % × 11,000.00 = 220.00;
    #   total 11,000.00 + 36.67 + 220.00 = 11,256.67.
    with clock.frozen(date(2026, 2, 25)):
        quote = iou_settlement_quote(iou=loan, user=finance)
    assert (quote.interest_due, quote.broken_interest, quote.penalty, quote.prepayment_fee, quote.total) == (
        D("0.00"), D("36.67"), D("0.00"), D("220.00"), D("11256.67"))


def test_after_early_settlement_the_dates_follow_one_rule(loan, finance, manager):
    # Before: the last installment is due 2027-01-15; the limitation period runs three years from
    # it (民法典第188、189条): 2030-01-15.
    loan.refresh_from_db()
    assert (loan.maturity_date, loan.limitation_expires_on) == (date(2027, 1, 15), date(2030, 1, 15))
    with clock.frozen(date(2026, 3, 25)):
        iou_settle_early(iou=loan, amount="11348.33", user=finance)
    loan.refresh_from_db()
    # After: the settlement installment due 2026-03-25 is the last one; 最后到期日 and 诉讼时效届满
    # agree (three years from it), and 首期还款日 is still the original 2026-02-15.
    assert (loan.settled_on, loan.maturity_date, loan.limitation_expires_on) == (
        date(2026, 3, 25), date(2026, 3, 25), date(2029, 3, 25))
    with clock.frozen(date(2026, 3, 26)):
        page = selectors.iou_page(user=manager, pk=loan.pk)
    assert page.first_due == date(2026, 2, 15)
    assert page.current.rows[0].row.due_date == date(2026, 3, 25)


def test_an_agreed_first_due_date_is_for_the_original_schedule_only(debtor, manager, approver, finance):
    # Given ¥6,000 at 12 % over 6 months, drawn 2026-01-15 with a first due date of 2026-02-20:
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("6000"), term=6, rate_text="12%",
                                    method="equal_principal", contract_date=date(2026, 1, 15),
                                    first_due=date(2026, 2, 20)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    # When it is extended on 2026-03-01 over 6 months without a new first due date, the new
    # schedule runs monthly from 2026-03-01 (the agreed 2026-02-20 would lie before its start).
    with clock.frozen(date(2026, 3, 1)):
        version = iou_extend(iou=iou, term=6, user=finance, reason="客户申请展期")
    rows = list(version.installments.order_by("number"))
    assert rows[0].number == 0 and rows[1].due_date == date(2026, 4, 1) and rows[-1].due_date == date(2026, 9, 1)
    iou.refresh_from_db()
    assert (iou.first_due, iou.maturity_date, iou.limitation_expires_on) == (
        date(2026, 2, 20), date(2026, 9, 1), date(2029, 9, 1))
