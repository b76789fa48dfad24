"""Worked examples: an IOU through its whole life, every balance and posting to the fen.

Given ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly installments (30/360):
the payment is ¥888.49 (10,000 × 0.01 × 1.01¹² / (1.01¹² − 1) = 888.4879 → 888.49), and the first
installment is interest 10,000 × 1 % = 100.00 plus principal 788.49. Penalty interest is the
contract rate +50 % = 18 % a year, ACT/360, on overdue principal.
"""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.corrections import iou_waive, transaction_reverse
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote
from ioudesk.ious.services.writeoff import iou_recover, iou_write_off
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify


def lines(entry_id):
    entry = JournalEntry.objects.get(pk=entry_id)
    return sorted((p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account"))


def last_entries(iou, count):
    return [lines(e.pk) for e in JournalEntry.objects.filter(iou_id=iou.pk).order_by("-id")[:count]][::-1]


def balances(iou):
    iou.refresh_from_db()
    return (iou.principal_outstanding, iou.interest_outstanding, iou.penalty_outstanding, iou.fee_outstanding,
            iou.overpayment)


@pytest.fixture
def loan(debtor, manager, approver, finance):
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver, comment="同意")
        iou_disburse(iou=iou, user=finance, idempotency_key="disburse-1")
    return iou


def test_whole_life_of_an_iou(loan, finance):
    iou = loan
    assert last_entries(iou, 1) == [[("100201", D("0.00"), D("10000.00")), ("1301", D("10000.00"), D("0.00"))]]
    assert balances(iou) == (D("10000.00"), 0, 0, 0, 0) and iou.maturity_date == date(2027, 1, 15)
    assert iou.limitation_expires_on == date(2030, 1, 15)

    # 1. On time, 2026-02-15: interest 100.00 falls due and is paid with principal 788.49.
    with clock.frozen(date(2026, 2, 15)):
        first = iou_repay(iou=iou, amount="888.49", user=finance, method="bank_transfer", idempotency_key="r1")
        again = iou_repay(iou=iou, amount="888.49", user=finance, method="bank_transfer", idempotency_key="r1")
    assert again.pk == first.pk and Transaction.objects.filter(kind="repayment").count() == 1
    assert last_entries(iou, 2) == [
        [("1302", D("100.00"), D("0.00")), ("6011", D("0.00"), D("100.00"))],
        [("100201", D("888.49"), D("0.00")), ("1301", D("0.00"), D("788.49")), ("1302", D("0.00"), D("100.00"))],
    ]
    assert balances(iou) == (D("9211.51"), 0, 0, 0, 0)

    # 2. Ten days late, 2026-03-25: interest 9,211.51 × 1 % = 92.12; penalty on the overdue
    #    principal 796.37 × 18 % × 10 / 360 = 3.98; paid first, by the default order.
    with clock.frozen(date(2026, 3, 25)):
        late = iou_repay(iou=iou, amount="892.47", user=finance, method="wechat")
    assert late.allocation == [{"number": 2, "penalty": "3.98", "fee": "0", "interest": "92.12", "principal": "796.37"}]
    assert last_entries(iou, 3) == [
        [("1302", D("92.12"), D("0.00")), ("6011", D("0.00"), D("92.12"))],
        [("1303", D("3.98"), D("0.00")), ("6012", D("0.00"), D("3.98"))],
        [("100201", D("892.47"), D("0.00")), ("1301", D("0.00"), D("796.37")), ("1302", D("0.00"), D("92.12")),
         ("1303", D("0.00"), D("3.98"))],
    ]
    assert balances(iou) == (D("8415.14"), 0, 0, 0, 0)
    # Art. 29: overdue charges are protected up to 4×LPR (3.00 % × 4 = 12 %) a year on the overdue
    # principal, ACT/365: 796.37 × 12 % × 10 / 365 = 2.62; the other 1.36 of the 3.98 is not.
    assert iou.cap_rate == D("0.12") and iou.cap_unprotected_penalty == D("1.36")
    assert JournalEntry.objects.filter(iou_id=iou.pk, kind="penalty_accrual").get().memo.endswith("（超出法定上限 1.36）")

    # 3. On time, 2026-04-15: interest 84.15, principal 804.34.
    with clock.frozen(date(2026, 4, 15)):
        iou_repay(iou=iou, amount="888.49", user=finance, method="cash")
    assert last_entries(iou, 1)[0][0] == ("1001", D("888.49"), D("0.00"))
    assert balances(iou) == (D("7610.80"), 0, 0, 0, 0)

    # 4. 2026-05-20, five days after the fourth due date: interest 76.11 falls due; penalty
    #    812.38 × 18 % × 5 / 360 = 2.03 is waived; the payment then bounces and is reversed.
    with clock.frozen(date(2026, 5, 20)):
        waiver = iou_waive(iou=iou, component="penalty", amount="2.03", reason="首次逾期，予以减免", user=finance)
        assert last_entries(iou, 1) == [[("1303", D("0.00"), D("2.03")), ("6012", D("2.03"), D("0.00"))]]
        iou.refresh_from_db()
        assert (iou.status, iou.days_past_due, iou.bucket, iou.classification) == ("overdue", 5, "M1", "special_mention")
        # 812.38 × 12 % × 5 / 365 = 1.34 protected of the 2.03: 0.69 more above the cap.
        assert iou.cap_unprotected_penalty == D("2.05")
        bounced = iou_repay(iou=iou, amount="888.49", user=finance)
        assert balances(iou) == (D("6798.42"), 0, 0, 0, 0) and iou.status == "active"
        reversal = transaction_reverse(record=bounced, reason="银行退票", user=finance)
    assert reversal.reverses == bounced and waiver.amount == D("2.03")
    assert last_entries(iou, 1) == [
        [("100201", D("0.00"), D("888.49")), ("1301", D("812.38"), D("0.00")), ("1302", D("76.11"), D("0.00"))]]
    assert balances(iou) == (D("7610.80"), D("76.11"), 0, 0, 0)
    iou.refresh_from_db()
    assert iou.status == "overdue"
    with pytest.raises(InvalidState, match="已于此前冲正"):
        transaction_reverse(record=bounced, reason="再次", user=finance)
    with pytest.raises(InvalidState, match="冲正交易不能再冲正"):
        transaction_reverse(record=reversal, reason="再次", user=finance)

    # 5. Extension on 2026-05-21 over 6 months: what is owed (principal 812.38, interest 76.11,
    #    one more day of penalty 812.38 × 18 % / 360 = 0.41) is carried as installment 0; the
    #    remaining 6,798.42 is scheduled again.
    with clock.frozen(date(2026, 5, 21)):
        version = iou_extend(iou=iou, term=6, user=finance, reason="客户经营困难申请展期")
    rows = list(version.installments.order_by("number"))
    assert (rows[0].number, rows[0].principal_due, rows[0].interest_due, rows[0].penalty_charged) == (
        0, D("812.38"), D("76.11"), D("0.41"))
    assert sum(r.principal_due for r in rows[1:]) == D("6798.42") and len(rows) == 7
    iou.refresh_from_db()
    assert iou.status == "extended" and iou.maturity_date == date(2026, 11, 21)
    assert iou.limitation_expires_on == date(2029, 11, 21)
    assert iou.schedules.count() == 2

    # 6. Early settlement on 2026-06-01: principal 7,610.80 + interest owed 76.11 + broken
    #    interest on the principal not yet due only, 6,798.42 × 12 % × 10/360 = 22.66 (the overdue
    #    812.38 of installment 0 bears penalty instead: docs/domain.md §10) + penalty 0.41 +
    #    812.38 × 18 % × 11/360 = 4.47; total 7,714.45.
    with clock.frozen(date(2026, 6, 1)):
        quote = iou_settlement_quote(iou=iou, user=finance)
        assert (quote.broken_interest, quote.penalty, quote.total) == (D("22.66"), D("4.88"), D("7714.45"))
        with pytest.raises(ValidationFailed, match="7,714.45"):
            iou_settle_early(iou=iou, amount="7700", user=finance)
        iou_settle_early(iou=iou, amount="7714.45", user=finance)
    iou.refresh_from_db()
    assert iou.status == "settled" and iou.settled_on == date(2026, 6, 1)
    assert balances(iou) == (0, 0, 0, 0, 0)
    with clock.frozen(date(2026, 6, 2)), pytest.raises(InvalidState, match="已结清"):
        iou_repay(iou=iou, amount="1", user=finance)

    report = verify()
    assert report.ok, report.differences
    assert report.debit_total == report.credit_total
    call_command("ledger", "verify")  # exits 0


def test_write_off_and_recovery(debtor, manager, approver, finance):
    with clock.frozen(date(2026, 1, 10)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("5000"), term=3, rate_text="10%",
                                    method="bullet", contract_date=date(2026, 1, 10)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    # Bullet: 5,000 × 10 % × 3/12 = 125.00 at 2026-04-10. Unpaid; on 2026-07-19, 100 days late,
    # penalty 5,000 × 15 % × 100 / 360 = 208.33.
    with clock.frozen(date(2026, 7, 19)):
        write_off = iou_write_off(iou=iou, user=finance, reason="债务人失联，诉讼执行无财产", recovery_method="write_off")
    assert write_off.amount == D("5333.33") and write_off.principal == D("5000.00")
    assert last_entries(iou, 1) == [[
        ("1301", D("0.00"), D("5000.00")), ("1302", D("0.00"), D("125.00")), ("1303", D("0.00"), D("208.33")),
        ("6701", D("5333.33"), D("0.00")), ("9001", D("5000.00"), D("0.00")), ("9002", D("333.33"), D("0.00")),
        ("9901", D("0.00"), D("5333.33")),
    ]]
    iou.refresh_from_db()
    assert iou.status == "written_off" and iou.recovery_method == "write_off" and iou.days_past_due == 100
    assert balances(iou) == (0, 0, 0, 0, 0)
    assert (iou.written_off_principal, iou.written_off_interest) == (D("5000.00"), D("333.33"))
    # Art. 29 at 12 %: 5,000 × 12 % × 100 / 365 = 164.38 of the 208.33 penalty is protected.
    assert iou.cap_unprotected_penalty == D("43.95")

    with clock.frozen(date(2026, 9, 1)):
        with pytest.raises(InvalidState, match="已核销"):
            iou_repay(iou=iou, amount="100", user=finance)
        iou_recover(iou=iou, amount="1200", user=finance, payer="债务人家属")
    assert last_entries(iou, 1) == [[
        ("100201", D("1200.00"), D("0.00")), ("6051", D("0.00"), D("1200.00")), ("9001", D("0.00"), D("1200.00")),
        ("9901", D("1200.00"), D("0.00")),
    ]]
    iou.refresh_from_db()
    assert (iou.written_off_principal, iou.written_off_interest) == (D("3800.00"), D("333.33"))
    assert verify().ok


def test_bad_input_is_refused_and_nothing_posted(loan, finance, debtor, manager):
    entries = JournalEntry.objects.count()
    with clock.frozen(date(2026, 2, 1)):
        with pytest.raises(ValidationFailed, match="大于0"):
            iou_repay(iou=loan, amount="-5", user=finance)
        with pytest.raises(ValidationFailed, match="早于放款日"):
            iou_repay(iou=loan, amount="100", user=finance, day=date(2026, 1, 10))
        with pytest.raises(ValidationFailed, match="两位小数"):
            iou_repay(iou=loan, amount="100.001", user=finance)
        draft, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("1000"), term=3, rate_text="12%",
                                      contract_date=date(2026, 2, 1)), user=manager)
        with pytest.raises(InvalidState, match="草稿"):
            iou_write_off(iou=draft, user=finance, reason="试试")
        with pytest.raises(InvalidState, match="草稿"):
            iou_repay(iou=draft, amount="100", user=finance)
    assert JournalEntry.objects.count() == entries


def test_loan_paid_out_in_two_tranches(debtor, manager, approver, finance):
    from ioudesk.ious.services.disbursement import disbursed_total, iou_disburse_tranche

    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("100000"), term=12, rate_text="12%",
                                    method="interest_only", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance, amount="60000")
    # Interest only on the ¥60,000 paid out: 600.00 a month.
    first = iou.schedules.get().installments.get(number=1)
    assert (first.principal_due, first.interest_due) == (D("0.00"), D("600.00"))
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount="600", user=finance)
        with pytest.raises(ValidationFailed, match="40,000.00"):
            iou_disburse_tranche(iou=iou, amount="50000", user=finance)
        iou_disburse_tranche(iou=iou, amount="40000", user=finance, idempotency_key="t2")
        again = iou_disburse_tranche(iou=iou, amount="40000", user=finance, idempotency_key="t2")

    iou.refresh_from_db()
    assert disbursed_total(iou) == D("100000.00") and again.principal == D("40000.00")
    assert balances(iou) == (D("100000.00"), 0, 0, 0, 0)
    current = iou.schedules.get(is_current=True)
    rows = list(current.installments.order_by("number"))
    # The 11 remaining months now carry interest on ¥100,000: 1,000.00 each; principal at the end.
    assert len(rows) == 11 and rows[0].interest_due == D("1000.00") and rows[-1].principal_due == D("100000.00")
    assert iou.schedules.count() == 2 and iou.maturity_date == date(2027, 1, 15)
    assert last_entries(iou, 1) == [[("100201", D("0.00"), D("40000.00")), ("1301", D("40000.00"), D("0.00"))]]
    assert verify().ok


def test_a_licensed_lender_counts_no_penalty_above_the_cap(organisation, debtor, manager, approver, finance):
    """The cap is a per-organisation setting (docs/domain.md §6: off for 小额贷款公司 and other licensed
    lenders): the same ten-day-late installment as the worked example, nothing counted above it."""
    organisation.interest_cap_applies = False
    organisation.save(update_fields=["interest_cap_applies"])
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount="888.49", user=finance)
    with clock.frozen(date(2026, 3, 25)):
        late = iou_repay(iou=iou, amount="892.47", user=finance)
    iou.refresh_from_db()
    assert late.penalty == D("3.98") and iou.cap_rate is None and iou.cap_unprotected_penalty == D("0.00")
