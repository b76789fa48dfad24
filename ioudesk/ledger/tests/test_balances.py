"""Worked examples: the trial balance, an account's ledger and the per-IOU balances, to the fen."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.ledger import selectors
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.services import Line, account_add, post_entry, reverse_entry

D = Decimal
NOV = {day: date(2026, 11, day) for day in range(1, 31)}


def post(kind, day, *lines, iou_id=1):
    return post_entry(kind=kind, day=NOV[day], iou_id=iou_id,
                      lines=[Line(code, debit=D(d), credit=D(c)) for code, d, c in lines])


@pytest.fixture
def worked_example(chart):
    """IOU 1: ¥10,000 disbursed from the bank on 11-01, ¥100 interest falls due on 11-10, and on
    11-15 the customer pays ¥3,100 (interest 100 first, then principal 3,000)."""
    post("disbursement", 1, (C.LOANS, "10000", "0"), (C.BANK_BASIC, "0", "10000"))
    post("interest_accrual", 10, (C.INTEREST_RECEIVABLE, "100", "0"), (C.INTEREST_INCOME, "0", "100"))
    post("repayment", 15, (C.BANK_BASIC, "3100", "0"), (C.INTEREST_RECEIVABLE, "0", "100"), (C.LOANS, "0", "3000"))


def rows(section):
    return {r.account.code: (r.debit, r.credit, r.debit_balance, r.credit_balance) for r in section.rows}


def test_trial_balance_of_the_worked_example(worked_example):
    balance = selectors.trial_balance(day=NOV[30], include_empty=False)

    assert rows(balance.on_balance) == {
        "1002": (D("3100.00"), D("10000.00"), D("0.00"), D("6900.00")),  # summary: rolled up
        "100201": (D("3100.00"), D("10000.00"), D("0.00"), D("6900.00")),
        "1301": (D("10000.00"), D("3000.00"), D("7000.00"), D("0.00")),
        "1302": (D("100.00"), D("100.00"), D("0.00"), D("0.00")),
        "6011": (D("0.00"), D("100.00"), D("0.00"), D("100.00")),
    }
    section = balance.on_balance
    assert (section.debit_total, section.credit_total) == (D("13200.00"), D("13200.00"))  # 1002 not counted twice
    assert (section.debit_balance_total, section.credit_balance_total) == (D("7000.00"), D("7000.00"))
    assert balance.balanced and balance.entries == 3 and balance.postings == 7
    assert balance.memo.rows == [] and balance.memo.balanced


def test_trial_balance_as_of_an_earlier_date(worked_example):
    balance = selectors.trial_balance(day=NOV[10], include_empty=False)

    assert rows(balance.on_balance)["1301"] == (D("10000.00"), D("0.00"), D("10000.00"), D("0.00"))
    assert balance.on_balance.debit_total == D("10100.00") and balance.entries == 2


def test_trial_balance_lists_every_account_when_asked(worked_example):
    codes = [row.account.code for row in selectors.trial_balance(day=NOV[30]).on_balance.rows]
    assert codes[:3] == ["1001", "1002", "100201"] and "6702" in codes and "9001" not in codes


def test_account_balance_by_its_normal_side(worked_example):
    assert selectors.account_balance(C.LOANS) == D("7000.00")
    assert selectors.account_balance(C.LOANS, day=NOV[14]) == D("10000.00")
    assert selectors.account_balance(C.BANK) == D("-6900.00")  # an asset overdrawn: a credit balance
    assert selectors.account_balance(C.INTEREST_INCOME) == D("100.00")


def test_account_ledger_runs_the_balance_across_pages(worked_example):
    loans = selectors.account_get(code=C.LOANS)
    post("disbursement", 20, (C.LOANS, "500", "0"), (C.BANK_BASIC, "0", "500"), iou_id=2)

    page1 = selectors.account_ledger(account=loans, per_page=2)
    page2 = selectors.account_ledger(account=loans, per_page=2, page=2)

    assert [(r.day, r.debit, r.credit, r.balance) for r in page1.rows] == [
        (NOV[1], D("10000.00"), D("0.00"), D("10000.00")), (NOV[15], D("0.00"), D("3000.00"), D("7000.00"))]
    assert [(r.day, r.balance, r.iou_id) for r in page2.rows] == [(NOV[20], D("7500.00"), 2)]
    assert (page1.opening, page1.closing) == (D("0.00"), D("7500.00"))


def test_account_ledger_within_a_date_range(worked_example):
    bank = selectors.account_get(code=C.BANK)  # a summary account: its sub-accounts' postings

    ledger = selectors.account_ledger(account=bank, start=NOV[10], end=NOV[20])

    assert ledger.opening == D("-10000.00") and ledger.closing == D("-6900.00")
    assert (ledger.debit_total, ledger.credit_total) == (D("3100.00"), D("0.00"))
    assert [(r.number, r.balance, r.account_code) for r in ledger.rows] == [("PZ20261115-0001", D("-6900.00"), "100201")]


def test_iou_component_balances_through_write_off_and_recovery(chart):
    """IOU 2: ¥5,000 lent, ¥200 interest due, written off (off the books into memo accounts),
    then ¥1,000 recovered."""
    post("disbursement", 1, (C.LOANS, "5000", "0"), (C.BANK_BASIC, "0", "5000"), iou_id=2)
    post("interest_accrual", 5, (C.INTEREST_RECEIVABLE, "200", "0"), (C.INTEREST_INCOME, "0", "200"), iou_id=2)
    post("write_off", 10, (C.LOAN_LOSS, "5200", "0"), (C.LOANS, "0", "5000"), (C.INTEREST_RECEIVABLE, "0", "200"),
         (C.MEMO_WRITTEN_OFF_PRINCIPAL, "5000", "0"), (C.MEMO_WRITTEN_OFF_INTEREST, "200", "0"),
         (C.MEMO_CONTRA, "0", "5200"), iou_id=2)
    post("recovery", 20, (C.BANK_BASIC, "1000", "0"), (C.RECOVERY_INCOME, "0", "1000"),
         (C.MEMO_CONTRA, "1000", "0"), (C.MEMO_WRITTEN_OFF_PRINCIPAL, "0", "1000"), iou_id=2)

    assert selectors.iou_component_balances(2) == {
        "principal": D("0.00"), "interest": D("0.00"), "penalty": D("0.00"), "fee": D("0.00"),
        "overpayment": D("0.00"), "written_off_principal": D("4000.00"), "written_off_interest": D("200.00"),
    }
    assert selectors.iou_component_balances(2, day=NOV[5])["principal"] == D("5000.00")
    memo = selectors.trial_balance(day=NOV[30], include_empty=False).memo
    assert rows(memo) == {
        "9001": (D("5000.00"), D("1000.00"), D("4000.00"), D("0.00")),
        "9002": (D("200.00"), D("0.00"), D("200.00"), D("0.00")),
        "9901": (D("1000.00"), D("5200.00"), D("0.00"), D("4200.00")),
    }
    assert memo.balanced and memo.debit_balance_total == D("4200.00")


def test_overpayment_refund_and_reversal_in_the_bulk_balances(chart):
    post("disbursement", 1, (C.LOANS, "1000", "0"), (C.BANK_BASIC, "0", "1000"), iou_id=3)
    repayment = post("repayment", 2, (C.BANK_BASIC, "1050", "0"), (C.LOANS, "0", "1000"),
                     (C.CUSTOMER_CREDIT, "0", "50"), iou_id=3)
    post("disbursement", 3, (C.LOANS, "800", "0"), (C.BANK_BASIC, "0", "800"), iou_id=4)
    post("penalty_accrual", 4, (C.PENALTY_RECEIVABLE, "8.88", "0"), (C.PENALTY_INCOME, "0", "8.88"), iou_id=4)
    post("fee_charge", 4, (C.FEES_RECEIVABLE, "20", "0"), (C.FEE_INCOME, "0", "20"), iou_id=4)

    before = selectors.iou_balances_bulk([3, 4, 99])
    assert before[3]["principal"] == D("0.00") and before[3]["overpayment"] == D("50.00")
    assert (before[4]["principal"], before[4]["penalty"], before[4]["fee"]) == (D("800.00"), D("8.88"), D("20.00"))
    assert set(before[99].values()) == {D("0.00")}  # asked for, no postings

    reverse_entry(entry=repayment, reason="退票")
    after = selectors.iou_balances_bulk()
    assert after[3]["principal"] == D("1000.00") and after[3]["overpayment"] == D("0.00")
    assert set(after) == {3, 4}


def test_sub_accounts_count_towards_their_component(chart):
    account_add(code="130101", name="个人贷款", parent_code=C.LOANS)
    post("disbursement", 1, ("130101", "300", "0"), (C.BANK_BASIC, "0", "300"), iou_id=5)
    assert selectors.iou_component_balances(5)["principal"] == D("300.00")


def test_funding_accounts_are_active_leaves_under_cash_and_bank(chart):
    account_add(code="100202", name="一般户", parent_code=C.BANK)
    assert [a.code for a in selectors.funding_accounts()] == ["1001", "100201", "100202"]
