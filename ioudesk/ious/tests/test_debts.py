"""欠条 (kind "debt", money already owed): payable on demand when no due date was agreed, due on
its own date, on every 账期, and entered late when already past due. Worked examples with the
numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Installment, Iou, Status
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.corrections import transaction_reverse
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote
from ioudesk.ledger.verify import verify

pytestmark = pytest.mark.django_db


def debt(debtor, manager, approver, finance, *, effective: date | None = None, **fields) -> Iou:
    """A 欠条 for goods, created, approved and brought into effect (on `effective`, default the
    business date)."""
    iou, _ = iou_create(user=manager, **{"kind": "debt", "debt_reason": "goods", "reason": "货款",
                                         "customer": debtor, "rate_text": "0%", **fields})
    iou_submit(iou=iou, user=manager)
    iou_approve(iou=iou, user=approver)
    iou_disburse(iou=iou, user=finance, day=effective, idempotency_key=f"debt-activate-{iou.pk}")
    iou.refresh_from_db()
    return iou


def current_rows(iou: Iou) -> list[tuple]:
    return list(Installment.objects.filter(schedule__iou=iou, schedule__is_current=True).order_by("number")
                .values_list("due_date", "principal_due", "interest_due"))


# --- no due date: payable on demand -------------------------------------------------------------

def test_a_payment_on_demand_reduces_the_debt(debtor, manager, approver, finance):
    """Given a 欠条 of ¥500.00 at 0 % with no due date, in effect on 2026-01-15, when ¥200.00 is
    paid on 2026-02-15, then ¥300.00 is owed, there is no 溢缴款, nothing is overdue; when the
    other ¥300.00 is paid on 2026-03-15 it is 已结清 owing nothing."""
    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("500"), contract_date=date(2026, 1, 15))
    with clock.frozen(date(2026, 2, 15)):
        payment = iou_repay(iou=iou, amount=Decimal("200.00"), user=finance, idempotency_key="p1")
        iou.refresh_from_db()
        assert (iou.principal_outstanding, iou.overpayment, iou.status, iou.days_past_due) == (
            Decimal("300.00"), Decimal("0.00"), Status.ACTIVE, 0)
        assert (payment.principal, payment.interest, payment.overpayment) == (
            Decimal("200.00"), Decimal("0.00"), Decimal("0.00"))
    with clock.frozen(date(2026, 3, 15)):
        iou_repay(iou=iou, amount=Decimal("300.00"), user=finance, idempotency_key="p2")
        iou.refresh_from_db()
    assert (iou.status, iou.total_outstanding, iou.overpayment, iou.settled_on) == (
        Status.SETTLED, Decimal("0.00"), Decimal("0.00"), date(2026, 3, 15))
    assert verify().ok


def test_a_payment_on_demand_pays_the_interest_to_its_date_first(debtor, manager, approver, finance):
    """Given ¥10,000.00 at 12 % (30/360) with no due date, in effect on 2026-01-15, when ¥3,000.00
    is paid on 2026-03-15, then it pays the interest to that day first, 10,000 × 12 % × 60/360 =
    200.00 (民法典第五百六十一条), and 2,800.00 of principal: 7,200.00 owed. On 2026-04-15 the
    settlement quote is 7,200.00 + 7,200 × 12 % × 30/360 = 72.00 → 7,272.00. When the payment is
    reversed, its interest goes with it: 10,000.00 owed, and the quote is 10,000 + 300.00."""
    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("10000"), rate_text="12%",
                   contract_date=date(2026, 1, 15))
    with clock.frozen(date(2026, 3, 15)):
        payment = iou_repay(iou=iou, amount=Decimal("3000.00"), user=finance, idempotency_key="p1")
    assert (payment.interest, payment.principal) == (Decimal("200.00"), Decimal("2800.00"))
    iou.refresh_from_db()
    assert (iou.principal_outstanding, iou.interest_outstanding, iou.overpayment) == (
        Decimal("7200.00"), Decimal("0.00"), Decimal("0.00"))

    with clock.frozen(date(2026, 4, 15)):
        quote = iou_settlement_quote(iou=iou, user=finance)
        assert (quote.principal, quote.broken_interest, quote.total) == (
            Decimal("7200.00"), Decimal("72.00"), Decimal("7272.00"))
        transaction_reverse(record=payment, reason="录入错误", user=finance)
        iou.refresh_from_db()
        assert (iou.principal_outstanding, iou.interest_outstanding) == (Decimal("10000.00"), Decimal("0.00"))
        assert iou_settlement_quote(iou=iou, user=finance).total == Decimal("10300.00")
        iou_settle_early(iou=iou, amount=Decimal("10300.00"), user=finance, idempotency_key="s1")
    iou.refresh_from_db()
    assert iou.status == Status.SETTLED and iou.total_outstanding == 0
    assert current_rows(iou) == [(date(2026, 4, 15), Decimal("10000.00"), Decimal("300.00"))]
    assert verify().ok


def test_a_late_entered_payment_on_demand_is_posted_before_the_later_ones(debtor, manager, approver, finance):
    """Given ¥10,000.00 at 12 % (30/360) with no due date from 2026-01-15 and ¥1,000.00 paid on
    2026-03-15, when on 2026-03-20 a payment of ¥2,000.00 made on 2026-02-15 is entered, then it
    pays 10,000 × 12 % × 30/360 = 100.00 interest and 1,900.00 principal, and the 1,000.00 of
    03-15, posted again after it, pays 8,100 × 12 % × 30/360 = 81.00 and 919.00: 7,181.00 owed."""
    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("10000"), rate_text="12%",
                   contract_date=date(2026, 1, 15))
    with clock.frozen(date(2026, 3, 15)):
        iou_repay(iou=iou, amount=Decimal("1000.00"), user=finance, idempotency_key="p1")
    with clock.frozen(date(2026, 3, 20)):
        late = iou_repay(iou=iou, amount=Decimal("2000.00"), day=date(2026, 2, 15), user=finance,
                         idempotency_key="p2")
    assert (late.interest, late.principal) == (Decimal("100.00"), Decimal("1900.00"))
    replayed = iou.transactions.filter(kind="repayment", day=date(2026, 3, 15), reversed_by__isnull=True).get()
    assert (replayed.interest, replayed.principal) == (Decimal("81.00"), Decimal("919.00"))
    iou.refresh_from_db()
    assert (iou.principal_outstanding, iou.interest_outstanding) == (Decimal("7181.00"), Decimal("0.00"))
    assert verify().ok


# --- a due date on the day of the debt, on every 账期, already past -----------------------------

def test_a_debt_due_the_day_it_is_written_takes_effect_and_falls_overdue_the_next_day(
        debtor, manager, approver, finance):
    """Given a 欠条 of ¥800.00 at 0 % dated and due 2026-03-10, when it takes effect on 2026-03-10,
    then it is 生效 with one installment of 800.00 due that day and nothing overdue; at the close
    of 2026-03-11 it is 逾期, 1 day past due."""
    with clock.frozen(date(2026, 3, 10)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("800"), contract_date=date(2026, 3, 10),
                   due_date=date(2026, 3, 10))
    assert (iou.status, iou.principal_outstanding, iou.days_past_due, iou.maturity_date) == (
        Status.ACTIVE, Decimal("800.00"), 0, date(2026, 3, 10))
    assert current_rows(iou) == [(date(2026, 3, 10), Decimal("800.00"), Decimal("0.00"))]
    with clock.frozen(date(2026, 3, 11)):
        iou = iou_close_day(iou=iou)
    assert (iou.status, iou.days_past_due) == (Status.OVERDUE, 1)


@pytest.mark.parametrize("payment_terms, due", [
    ("on_delivery", date(2026, 11, 28)), ("net_30", date(2026, 12, 28)), ("net_60", date(2027, 1, 27)),
    ("net_90", date(2027, 2, 26)), ("eonm", date(2026, 12, 31)), ("eonq", date(2027, 3, 31))])
def test_every_payment_term_makes_one_installment_on_its_due_date(debtor, manager, approver, finance,
                                                                  payment_terms, due):
    """Given ¥58,000.00 owed for goods from 2026-11-28, when the 欠条 is made on each of the six
    账期 and takes effect that day, then it is due on 货到付款 2026-11-28, 月结30天 2026-12-28,
    发票后60天 2027-01-27, 发票后90天 2027-02-26, 次月末 2026-12-31, 下季度末 2027-03-31: one
    installment of 58,000.00 on that date."""
    with clock.frozen(date(2026, 11, 28)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("58000"),
                   contract_date=date(2026, 11, 28), payment_terms=payment_terms)
    assert (iou.status, iou.due_date, iou.maturity_date) == (Status.ACTIVE, due, due)
    assert current_rows(iou) == [(due, Decimal("58000.00"), Decimal("0.00"))]


def test_a_debt_with_interest_on_a_long_payment_term(debtor, manager, approver, finance):
    """Given ¥58,000.00 at 12 % (30/360) on 发票后90天 from 2026-11-28 (due 2027-02-26), when it
    takes effect, then its one installment holds 58,000 × 12 % × 88/360 = 1,701.33 interest
    (30/360 counts 2026-11-28 → 2027-02-26 as 88 days)."""
    with clock.frozen(date(2026, 11, 28)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("58000"), rate_text="12%",
                   contract_date=date(2026, 11, 28), payment_terms="net_90")
    assert current_rows(iou) == [(date(2027, 2, 26), Decimal("58000.00"), Decimal("1701.33"))]


def test_an_old_debt_entered_after_its_due_date_is_overdue_at_once(debtor, manager, approver, finance):
    """Given a 欠条 of ¥800.00 at 0 % dated 2026-01-05 and due 2026-02-05, entered and brought into
    effect on 2026-03-10, then it is in effect and 逾期 at once: one installment of 800.00 due
    2026-02-05, 33 days past due, and overdue interest at the one-year LPR (3.00 %) from the due
    date (法释〔2020〕17号 art. 28): 800 × 3 % × 33/360 = 2.20."""
    with clock.frozen(date(2026, 3, 10)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("800"), contract_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 5))
    assert (iou.status, iou.days_past_due, iou.disbursed_on, iou.maturity_date) == (
        Status.OVERDUE, 33, date(2026, 3, 10), date(2026, 2, 5))
    assert current_rows(iou) == [(date(2026, 2, 5), Decimal("800.00"), Decimal("0.00"))]
    assert (iou.principal_outstanding, iou.penalty_outstanding) == (Decimal("800.00"), Decimal("2.20"))
    assert verify().ok


def test_an_old_debt_taking_effect_before_its_due_date_is_not_overdue(debtor, manager, approver, finance):
    """Given the same 欠条 (dated 2026-01-05, due 2026-02-05), when on 2026-03-10 it is brought into
    effect as of 2026-01-05, then it is 逾期 33 days from the due date as well, the effect dated
    2026-01-05."""
    with clock.frozen(date(2026, 3, 10)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("800"), contract_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 5), effective=date(2026, 1, 5))
        iou = iou_close_day(iou=iou)
    assert (iou.status, iou.days_past_due, iou.disbursed_on) == (Status.OVERDUE, 33, date(2026, 1, 5))


def test_a_payment_on_demand_is_not_reversed_after_the_debt_was_settled_early(debtor, manager, approver, finance):
    """Given ¥500.00 at 0 % with no due date from 2026-01-15, ¥200.00 paid and the other 300.00
    settled early on 2026-02-15 (schedule version 1: 300.00 due that day, paid), when the ¥200.00
    payment is reversed, then it is refused and nothing changes: it was put on no installment, and
    the settlement schedule holds only the 300.00."""
    from ioudesk.core.errors import InvalidState

    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal=Decimal("500"), contract_date=date(2026, 1, 15))
    with clock.frozen(date(2026, 2, 15)):
        payment = iou_repay(iou=iou, amount=Decimal("200.00"), user=finance, idempotency_key="p1")
        assert iou_settlement_quote(iou=iou, user=finance).total == Decimal("300.00")
        iou_settle_early(iou=iou, amount=Decimal("300.00"), user=finance, idempotency_key="s1")
        with pytest.raises(InvalidState, match="提前结清"):
            transaction_reverse(record=payment, reason="录入错误", user=finance)
    iou.refresh_from_db()
    assert (iou.status, iou.total_outstanding) == (Status.SETTLED, Decimal("0.00"))
    assert current_rows(iou) == [(date(2026, 2, 15), Decimal("300.00"), Decimal("0.00"))]
    assert verify().ok
