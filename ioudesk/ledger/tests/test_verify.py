"""`ioudesk ledger verify`: exit 0 with a summary when the books add up, exit 1 with the list of
differences when they do not."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from ioudesk.ledger import verify as ledger_verify
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.services import Line, post_entry, reverse_entry


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_a_consistent_ledger_passes(disburse, business_date):
    entry = disburse("10000")
    reverse_entry(entry=entry, reason="错账")
    disburse("2500.50", iou_id=2)

    code, out, _ = run("verify")

    assert code == 0
    assert "总账核对通过：凭证 3 张，分录 6 条" in out
    assert "表内借方合计 ¥22,500.50，贷方合计 ¥22,500.50" in out


def test_an_empty_ledger_passes(chart):
    assert run("verify")[0] == 0


def _raw_entry(number, lines, iou_id=None):
    """Write past the service, with the balance triggers off: SQLite has none (only UPDATE is
    blocked); on PostgreSQL they are disabled inside the test's transaction, which rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check what was posted so far, then stop checking
            cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_balanced")
            cursor.execute("ALTER TABLE ledger_journalentry DISABLE TRIGGER ledger_journalentry_balanced")
        cursor.execute(
            "INSERT INTO ledger_journalentry (number, day, kind, memo, iou_id, request_hash, created_at) "
            "VALUES (%s, '2026-11-28', 'adjustment', '', %s, '', CURRENT_TIMESTAMP)", [number, iou_id]
        )
        cursor.execute("SELECT id FROM ledger_journalentry WHERE number = %s", [number])
        entry_id = cursor.fetchone()[0]
        for code, debit, credit, posting_iou in lines:
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, debit, credit, iou_id, day, component) "
                "SELECT %s, id, %s, %s, %s, '2026-11-28', '' FROM ledger_account WHERE code = %s",
                [entry_id, debit, credit, posting_iou, code],
            )


def test_an_unbalanced_entry_is_reported_and_exits_1(disburse, business_date):
    disburse("100")
    _raw_entry("BAD-1", [(C.LOANS, 10000, 0, None), (C.BANK_BASIC, 0, 9000, None)])
    _raw_entry("BAD-2", [(C.LOANS, 500, 0, None)])
    _raw_entry("BAD-3", [])
    _raw_entry("BAD-4", [(C.LOANS, 700, 0, 8), (C.BANK_BASIC, 0, 700, None)], iou_id=8)

    code, out, err = run("verify")

    assert code == 1
    assert "总账不平衡（表内）：借方合计 ¥212.00，贷方合计 ¥197.00，相差 ¥15.00" in out
    assert "凭证 BAD-1 借贷不平衡：借方 ¥100.00，贷方 ¥90.00" in out
    assert "凭证 BAD-2 只有 1 条分录，至少需要两条" in out and "凭证 BAD-2 借贷不平衡" in out
    assert "凭证 BAD-3 没有任何分录" in out
    assert "凭证 BAD-4 的分录" in out and "的借据或日期与凭证不一致" in out
    assert "总账核对未通过：发现 6 处差异" in err


def test_a_memo_only_imbalance_is_reported(chart, business_date):
    _raw_entry("BAD-5", [(C.MEMO_WRITTEN_OFF_PRINCIPAL, 100, 0, None), (C.LOANS, 0, 100, None)])

    report = ledger_verify.verify()

    assert not report.ok
    assert "凭证 BAD-5 的表外分录借贷不平衡，相差 ¥1.00" in report.differences
    assert "总账不平衡（表外）：借方合计 ¥1.00，贷方合计 ¥0.00，相差 ¥1.00" in report.differences
    assert "总账不平衡（表内）：借方合计 ¥0.00，贷方合计 ¥1.00，相差 ¥1.00" in report.differences


def test_the_listing_is_limited_but_the_count_complete(chart, business_date):
    for n in range(5):
        _raw_entry(f"BAD-{n}", [(C.LOANS, 100, 0, None), (C.BANK_BASIC, 0, 99, None)])

    code, out, err = run("verify", "--limit", "2")

    assert code == 1 and "另有 3 处差异未列出" in out and "发现 6 处差异" in err


def differences_from_iou_app():
    return ["借据 JD20261128-0001：未还本金 账面 ¥7,000.00，总账 ¥6,900.00"]


def test_registered_balance_checks_run_and_fail_the_verification(disburse, monkeypatch):
    disburse("100")
    monkeypatch.setattr(ledger_verify, "BALANCE_CHECKS", [])
    ledger_verify.register_balance_check(f"{__name__}.differences_from_iou_app")
    ledger_verify.register_balance_check(f"{__name__}.differences_from_iou_app")  # registered once

    code, out, _ = run("verify")

    assert code == 1 and ledger_verify.BALANCE_CHECKS == [f"{__name__}.differences_from_iou_app"]
    assert "借据 JD20261128-0001：未还本金 账面 ¥7,000.00，总账 ¥6,900.00" in out


@pytest.mark.django_db(transaction=True)
def test_missing_triggers_are_reported(chart):
    from ioudesk.ledger import triggers

    triggers.uninstall(connection=connection)
    try:
        report = ledger_verify.verify()
    finally:
        triggers.install(connection=connection)
    assert any("数据库保护触发器缺失" in line for line in report.differences)
    assert triggers.missing(connection) == []


def test_trial_balance_command(disburse, business_date):
    post_entry(kind="interest_accrual", iou_id=1, lines=[
        Line(C.INTEREST_RECEIVABLE, debit=Decimal("12.34")), Line(C.INTEREST_INCOME, credit=Decimal("12.34"))])
    disburse("10000")

    code, out, _ = run("trial-balance", "--date", "2026-11-28")

    assert code == 0
    assert "试算平衡表  截至 2026-11-28" in out
    assert "10,012.34" in out and "表内科目：平衡" in out and "表外科目：平衡" in out


def test_trial_balance_command_refuses_a_bad_date(chart):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="日期格式"):
        call_command("ledger", "trial-balance", "--date", "28/11/2026")
