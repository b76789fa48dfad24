"""Receivables' half of ``ioudesk ledger verify`` (registered at start-up through registrations.py):

- every posted bill's ``open_amount`` equals its ``B`` postings: on 1122 应收账款 Dr − Cr for a
  receivable, on 2202 应付账款 Cr − Dr for a payable; and the open amounts of its open items
  (``BillDue``) add up to it;
- every receipt's ``unmatched`` equals its ``R`` postings: on 2203 预收账款 Cr − Dr for money in, on
  1123 预付账款 Dr − Cr for money out;
- postings naming a bill or receipt that does not exist.

Set-based: one GROUP BY per check, handing back only the documents that differ (bounded memory).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from ioudesk.calc.money import format_yuan, from_fen
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Account, Posting
from ioudesk.receivables.models import Bill, BillDue, Receipt


def _ids(*codes: str) -> dict[str, int]:
    return dict(Account.objects.filter(code__in=codes).values_list("code", "id"))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def bill_balances_differences() -> Iterator[str]:
    ids = _ids(AccountCode.RECEIVABLES, AccountCode.PAYABLES)
    if len(ids) < 2:
        return
    posting, bill, due = _q(Posting._meta.db_table), _q(Bill._meta.db_table), _q(BillDue._meta.db_table)
    ledger = (f"SELECT doc_id, SUM(CASE WHEN account_id = {ids[AccountCode.RECEIVABLES]} THEN debit - credit "
              f"WHEN account_id = {ids[AccountCode.PAYABLES]} THEN credit - debit ELSE 0 END) AS amount "
              f"FROM {posting} WHERE doc_kind = 'B' AND doc_id IS NOT NULL GROUP BY doc_id")
    dues = f"SELECT bill_id, SUM(open_amount) AS amount FROM {due} GROUP BY bill_id"
    sql = (f"SELECT b.number, b.open_amount, COALESCE(l.amount, 0), d.amount FROM {bill} b "
           f"LEFT JOIN ({ledger}) l ON l.doc_id = b.id LEFT JOIN ({dues}) d ON d.bill_id = b.id "
           f"WHERE b.open_amount <> COALESCE(l.amount, 0) "
           f"OR (d.amount IS NOT NULL AND d.amount <> b.open_amount) ORDER BY b.id")
    orphans = (f"SELECT DISTINCT p.doc_id FROM {posting} p WHERE p.doc_kind = 'B' AND p.doc_id IS NOT NULL "
               f"AND NOT EXISTS (SELECT 1 FROM {bill} b WHERE b.id = p.doc_id) ORDER BY p.doc_id")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for number, stored, ledger_amount, due_amount in cursor.fetchall():
            stored, ledger_amount = from_fen(int(stored)), from_fen(int(ledger_amount))
            if stored != ledger_amount:
                yield (f"单据 {number}：未结金额 账面 {format_yuan(stored)}，总账 {format_yuan(ledger_amount)}")
            if due_amount is not None and from_fen(int(due_amount)) != stored:
                yield (f"单据 {number}：到期明细未结合计 {format_yuan(from_fen(int(due_amount)))}，"
                       f"单据未结金额 {format_yuan(stored)}")
        cursor.execute(orphans)
        for (doc_id,) in cursor.fetchall():
            yield f"总账有单据 ID {doc_id} 的往来分录，但没有这张单据"


def receipt_balances_differences() -> Iterator[str]:
    ids = _ids(AccountCode.ADVANCE_RECEIPTS, AccountCode.PREPAYMENTS)
    if len(ids) < 2:
        return
    posting, receipt = _q(Posting._meta.db_table), _q(Receipt._meta.db_table)
    ledger = (f"SELECT doc_id, SUM(CASE WHEN account_id = {ids[AccountCode.ADVANCE_RECEIPTS]} THEN credit - debit "
              f"WHEN account_id = {ids[AccountCode.PREPAYMENTS]} THEN debit - credit ELSE 0 END) AS amount "
              f"FROM {posting} WHERE doc_kind = 'R' AND doc_id IS NOT NULL GROUP BY doc_id")
    sql = (f"SELECT r.number, r.unmatched, COALESCE(l.amount, 0) FROM {receipt} r "
           f"LEFT JOIN ({ledger}) l ON l.doc_id = r.id WHERE r.unmatched <> COALESCE(l.amount, 0) ORDER BY r.id")
    orphans = (f"SELECT DISTINCT p.doc_id FROM {posting} p WHERE p.doc_kind = 'R' AND p.doc_id IS NOT NULL "
               f"AND NOT EXISTS (SELECT 1 FROM {receipt} r WHERE r.id = p.doc_id) ORDER BY p.doc_id")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for number, stored, ledger_amount in cursor.fetchall():
            yield (f"收付款 {number}：未核销 账面 {format_yuan(from_fen(int(stored)))}，"
                   f"总账 {format_yuan(from_fen(int(ledger_amount)))}")
        cursor.execute(orphans)
        for (doc_id,) in cursor.fetchall():
            yield f"总账有收付款 ID {doc_id} 的往来分录，但没有这笔收付款"


def register() -> None:
    from ioudesk.ledger.verify import register_balance_check

    register_balance_check("ioudesk.receivables.verify.bill_balances_differences")
    register_balance_check("ioudesk.receivables.verify.receipt_balances_differences")
