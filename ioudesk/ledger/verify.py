"""``ioudesk ledger verify``: prove the books add up.

Checked with a handful of set-based queries, whatever the size of the ledger:
1. the whole ledger balances: total debits = total credits, on the balance sheet and off it;
2. every entry has at least two postings and balances (one GROUP BY … HAVING), its off-balance
   lines among themselves too;
3. no posting is negative, on both sides or on neither (the CHECK constraints say so; this proves
   nobody dropped them);
4. each posting's copied ``iou_id`` and ``day`` equal its entry's;
5. each reversal cancels its original exactly, account by account, for the same IOU;
6. the database's append-only triggers are in place;
7. every check in :data:`BALANCE_CHECKS` — the IOU app registers one that compares every IOU's
   stored balances with :func:`ioudesk.ledger.selectors.iou_balances_bulk`.

Bounded memory at any size: the checks are aggregate queries run by the database that hand back
only what is wrong, and the differences are consumed as they come (the first ``limit`` per check
kept, the rest counted). A balance check is a callable taking no arguments and returning an
iterable (a list, or better a generator streaming its findings) of differences, each one line in
Chinese (e.g. "借据 JD20261128-0001：未还本金 账面 ¥7,000.00，总账 ¥6,900.00"). Register
it by dotted path, e.g. from the IOU app's ``AppConfig.ready()``::

    from ioudesk.ledger.verify import register_balance_check
    register_balance_check("ioudesk.ious.verify.iou_balances_differences")
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils.module_loading import import_string

from ioudesk.calc.money import format_yuan, from_fen
from ioudesk.ledger import selectors, triggers
from ioudesk.ledger.models import MEMO_TYPES, Account

# Dotted paths of callables returning a list of difference strings; filled by the apps that keep
# balances denormalised from the ledger.
BALANCE_CHECKS: list[str] = []

DEFAULT_LIMIT = 200  # differences listed per check; the count is always complete


def register_balance_check(path: str) -> None:
    if path not in BALANCE_CHECKS:
        BALANCE_CHECKS.append(path)


@dataclass
class VerifyReport:
    entries: int = 0
    postings: int = 0
    debit_total: Decimal = Decimal("0.00")
    credit_total: Decimal = Decimal("0.00")
    memo_debit_total: Decimal = Decimal("0.00")
    memo_credit_total: Decimal = Decimal("0.00")
    differences: list[str] = field(default_factory=list)
    omitted: int = 0  # differences found but not listed (over the limit)
    checks: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.differences and not self.omitted

    @property
    def difference_count(self) -> int:
        return len(self.differences) + self.omitted

    def summary(self) -> str:
        head = (
            f"凭证 {self.entries:,} 张，分录 {self.postings:,} 条；表内借方合计 {format_yuan(self.debit_total)}，"
            f"贷方合计 {format_yuan(self.credit_total)}；表外借方合计 {format_yuan(self.memo_debit_total)}，"
            f"贷方合计 {format_yuan(self.memo_credit_total)}；余额核对 {len(self.checks)} 项；用时 {self.seconds:.2f} 秒。"
        )
        if self.ok:
            return f"总账核对通过：{head}"
        return f"总账核对未通过：发现 {self.difference_count:,} 处差异。{head}"


class _Collector:
    def __init__(self, report: VerifyReport, limit: int):
        self.report, self.limit = report, limit

    def add(self, items: Iterable[str]) -> None:
        """Keep the first `limit` of one check's differences and count the rest, consuming them as
        they come (a generator is never held in memory whole)."""
        count = 0
        for item in items:
            count += 1
            if count <= self.limit:
                self.report.differences.append(str(item))
        self.report.omitted += max(count - self.limit, 0)


def verify(*, limit: int = DEFAULT_LIMIT) -> VerifyReport:
    with _no_memory_map():
        return _verify(limit)


@contextmanager
def _no_memory_map() -> Iterator[None]:
    """SQLite: read through the page cache (64 MiB) instead of the 256 MiB memory map the settings
    give every connection. Verify reads every page of the ledger once; mapped, those pages count in
    the process's resident memory (hundreds of MB at a million IOUs) and are never read again."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        row = cursor.fetchone()  # none for an in-memory database: nothing mapped
        if row is None or not row[0]:
            yield
            return
        size = row[0]
        cursor.execute("PRAGMA mmap_size = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size = {int(size)}")


def _verify(limit: int) -> VerifyReport:
    started = time.perf_counter()
    report = VerifyReport()
    found = _Collector(report, limit)
    accounts = {a.pk: a for a in Account.objects.all()}
    memo_ids = [pk for pk, a in accounts.items() if a.type in MEMO_TYPES]

    _check_totals(report, found, accounts)
    _check_entries(found, memo_ids)
    _check_postings(found)
    _check_copies(found)
    _check_reversals(found, accounts)
    missing = triggers.missing(connection)
    if missing:
        found.add([f"数据库保护触发器缺失：{', '.join(missing)}（运行 ioudesk migrate，或见 ioudesk/ledger/triggers.py）"])
    for path in BALANCE_CHECKS:
        check = import_string(path)
        found.add(str(item) for item in check() or ())
        report.checks.append(path)
    report.seconds = time.perf_counter() - started
    return report


def _check_totals(report: VerifyReport, found: _Collector, accounts: dict) -> None:
    totals = selectors._totals_by_account(None)
    on = [0, 0]
    memo = [0, 0]
    for account_id, (debit, credit) in totals.items():
        target = memo if accounts[account_id].type in MEMO_TYPES else on
        target[0] += debit
        target[1] += credit
    report.debit_total, report.credit_total = from_fen(on[0]), from_fen(on[1])
    report.memo_debit_total, report.memo_credit_total = from_fen(memo[0]), from_fen(memo[1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ledger_journalentry")
        report.entries = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM ledger_posting")
        report.postings = cursor.fetchone()[0]
    if on[0] != on[1]:
        found.add([f"总账不平衡（表内）：借方合计 {format_yuan(from_fen(on[0]))}，贷方合计 "
                   f"{format_yuan(from_fen(on[1]))}，相差 {format_yuan(from_fen(abs(on[0] - on[1])))}"])
    if memo[0] != memo[1]:
        found.add([f"总账不平衡（表外）：借方合计 {format_yuan(from_fen(memo[0]))}，贷方合计 "
                   f"{format_yuan(from_fen(memo[1]))}，相差 {format_yuan(from_fen(abs(memo[0] - memo[1])))}"])


def _rows(sql: str) -> Iterator[tuple]:
    """The rows of one query as they come (a server-side cursor on PostgreSQL), a chunk at a time."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(2_000)
            if not rows:
                return
            yield from rows


def _check_entries(found: _Collector, memo_ids: list[int]) -> None:
    memo_case = (
        f"CASE WHEN account_id IN ({', '.join(str(int(pk)) for pk in memo_ids)}) THEN debit - credit ELSE 0 END"
        if memo_ids else "0"
    )
    bad = _rows(
        f"""SELECT p.entry_id, e.number, p.lines, p.debits, p.credits, p.memo_net
            FROM (SELECT entry_id, COUNT(*) AS lines, SUM(debit) AS debits, SUM(credit) AS credits,
                         SUM({memo_case}) AS memo_net
                  FROM ledger_posting GROUP BY entry_id
                  HAVING COUNT(*) < 2 OR SUM(debit) <> SUM(credit) OR SUM({memo_case}) <> 0) p
            JOIN ledger_journalentry e ON e.id = p.entry_id
            ORDER BY p.entry_id"""
    )
    empty = _rows(
        """SELECT e.id, e.number FROM ledger_journalentry e
           WHERE NOT EXISTS (SELECT 1 FROM ledger_posting p WHERE p.entry_id = e.id) ORDER BY e.id"""
    )

    def items() -> Iterator[str]:
        for _entry_id, number, lines, debits, credits, memo_net in bad:
            debits, credits, memo_net = int(debits), int(credits), int(memo_net)
            if lines < 2:
                yield f"凭证 {number} 只有 {lines} 条分录，至少需要两条"
            if debits != credits:
                yield (f"凭证 {number} 借贷不平衡：借方 {format_yuan(from_fen(debits))}，"
                       f"贷方 {format_yuan(from_fen(credits))}")
            if memo_net:
                yield f"凭证 {number} 的表外分录借贷不平衡，相差 {format_yuan(from_fen(abs(memo_net)))}"
        for _id, number in empty:
            yield f"凭证 {number} 没有任何分录"

    found.add(items())


def _check_postings(found: _Collector) -> None:
    rows = _rows(
        """SELECT p.id, e.number, p.debit, p.credit FROM ledger_posting p
           JOIN ledger_journalentry e ON e.id = p.entry_id
           WHERE p.debit < 0 OR p.credit < 0 OR (p.debit = 0 AND p.credit = 0) OR (p.debit <> 0 AND p.credit <> 0)
           ORDER BY p.id"""
    )
    found.add(
        f"凭证 {number} 的分录 #{pk} 借贷方向有误（借方 {from_fen(int(debit))}，贷方 {from_fen(int(credit))}）："
        "必须且只能一方大于零"
        for pk, number, debit, credit in rows
    )


def _check_copies(found: _Collector) -> None:
    rows = _rows(
        """SELECT p.id, e.number FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id
           WHERE p.day <> e.day OR (p.iou_id IS NULL AND e.iou_id IS NOT NULL)
              OR (p.iou_id IS NOT NULL AND e.iou_id IS NULL) OR p.iou_id <> e.iou_id
           ORDER BY p.id"""
    )
    found.add(f"凭证 {number} 的分录 #{pk} 的借据或日期与凭证不一致" for pk, number in rows)


def _check_reversals(found: _Collector, accounts: dict) -> None:
    """A reversal and its original net to zero on every account; both belong to the same IOU."""
    rows = _rows(
        """SELECT r.number, o.number, pair.account_id
           FROM (SELECT COALESCE(e.reverses_id, e.id) AS original_id, p.account_id
                 FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id
                 WHERE e.reverses_id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM ledger_journalentry x WHERE x.reverses_id = e.id)
                 GROUP BY COALESCE(e.reverses_id, e.id), p.account_id
                 HAVING SUM(p.debit - p.credit) <> 0) pair
           JOIN ledger_journalentry o ON o.id = pair.original_id
           JOIN ledger_journalentry r ON r.reverses_id = o.id
           ORDER BY o.id"""
    )
    other_iou = _rows(
        """SELECT r.number, o.number FROM ledger_journalentry r JOIN ledger_journalentry o ON o.id = r.reverses_id
           WHERE (r.iou_id IS NULL AND o.iou_id IS NOT NULL) OR (r.iou_id IS NOT NULL AND o.iou_id IS NULL)
              OR r.iou_id <> o.iou_id"""
    )

    def items() -> Iterator[str]:
        for reversal, original, account_id in rows:
            yield f"冲正凭证 {reversal} 未完全冲销原凭证 {original}：科目 {accounts[account_id].code} 仍有余额"
        for reversal, original in other_iou:
            yield f"冲正凭证 {reversal} 与原凭证 {original} 的借据不同"

    found.add(items())
