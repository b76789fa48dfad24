"""L (ledger days): LedgerDay, each leaf account's debits and credits per posting day, and
``account_balances(day)``, every account's cumulative debits and credits to the end of a day, exact
(what the trial balance over all postings says) at any date, read from a few grouped rows.

The invariant the writer keeps: LedgerDay holds, for every day, the postings of the journal entries
with id ≤ LedgerDayMark.entry_max, and none above it. So

    balances(day) = Σ LedgerDay[d ≤ day]  +  Σ postings[entry_id > entry_max, d ≤ day]

— the first a sum over (days × accounts) rows (≈ 12,000 a year), the second a range of the posting's
entry index (the entries made since the writer last ran: today's, not yet closed). A back-dated entry
entered after a close is in the second part until the next run, which rewrites the day it is dated on.

Why not the month-end snapshot as the base: MonthEndAccount is frozen (an entry dated on or before a
snapshotted month end but entered after it is not in it), and correcting it means reading every posting
entered since the snapshot. LedgerDay is rewritten for such a day, so it needs no correction.

The day writer (DayWriter ``ledger_days``) rewrites, each time the close's day step runs, day D and
every day the entries entered since its own watermark are dated on (back-dated ones, and entries dated
ahead of D), reading those postings only up to the watermark it records (the max entry id when it
started), so an entry being written during the run is left to the next one, never counted twice.
Its watermark is its own (LedgerDayMark), not DayMark.entry_max: the day step reads that before
the writers run, and an entry made in between would be summed into LedgerDay and again as "entered
since". The first run (no mark yet) and ``backfill`` sum every posting in one INSERT … SELECT … GROUP BY.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import from_fen
from ioudesk.reports.model_ledger import LedgerDay, LedgerDayMark

DAYS_PER_STATEMENT = 400  # days rewritten per INSERT (parameters stay well under every driver's limit)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _posting_table() -> str:
    from ioudesk.ledger.models import Posting

    return _q(Posting._meta.db_table)


def _account_ids() -> list[int]:
    from ioudesk.ledger.models import Account

    return list(Account.objects.order_by("pk").values_list("pk", flat=True))


def _entry_max() -> int:
    from ioudesk.ledger.models import JournalEntry

    return JournalEntry.objects.aggregate(m=Max("id"))["m"] or 0


def _insert(cursor, entry_max: int, days: list[date] | None) -> int:
    """INSERT … SELECT the postings of `days` (None: every day) with entry id ≤ entry_max, grouped by day
    and account. Every account id is listed, so that SQLite reads a day's postings by the (account, day)
    index instead of scanning the table."""
    accounts = _account_ids()
    if not accounts:
        return 0
    columns = ", ".join(_q(c) for c in ("day", "account_id", "debit", "credit"))
    where = [f"p.{_q('entry_id')} <= %s"]
    params: list = [entry_max]
    if days is not None:
        where.append(f"p.{_q('account_id')} IN ({', '.join(['%s'] * len(accounts))})")
        where.append(f"p.{_q('day')} IN ({', '.join(['%s'] * len(days))})")
        params += [*accounts, *days]
    sql = (f"INSERT INTO {_q(LedgerDay._meta.db_table)} ({columns}) "
           f"SELECT p.{_q('day')}, p.{_q('account_id')}, SUM(p.{_q('debit')}), SUM(p.{_q('credit')}) "
           f"FROM {_posting_table()} p WHERE {' AND '.join(where)} "
           f"GROUP BY p.{_q('day')}, p.{_q('account_id')}")
    cursor.execute(sql, params)
    return cursor.rowcount


def _rebuild(entry_max: int) -> int:
    """Every day, from the postings of entries ≤ entry_max (the first run and the backfill)."""
    with connection.cursor() as cursor:
        LedgerDay.objects.all().delete()
        return _insert(cursor, entry_max, None)


def _rewrite(days: list[date], entry_max: int) -> int:
    rows = 0
    with connection.cursor() as cursor:
        for start in range(0, len(days), DAYS_PER_STATEMENT):
            chunk = days[start:start + DAYS_PER_STATEMENT]
            LedgerDay.objects.filter(day__in=chunk).delete()
            rows += _insert(cursor, entry_max, chunk)
    return rows


def _mark_save(mark: LedgerDayMark | None, entry_max: int) -> None:
    if mark is None:
        LedgerDayMark.objects.create(entry_max=entry_max)
    else:
        mark.entry_max = entry_max
        mark.save(update_fields=["entry_max", "written_at"])


def _mark_locked() -> LedgerDayMark | None:
    return LedgerDayMark.objects.select_for_update().order_by("pk").first()


def ledger_day_write(day: date, *, latest: bool = True, previous=None) -> int:
    """The day writer: rewrite `day` and every day the entries entered since the writer's watermark are
    dated on (earlier days: back-dated entries; later ones: entries dated ahead), from the postings of
    entries up to the max entry id read now, and move the watermark there. Returns the rows written.
    `latest` does not matter (the ledger's days are flows, written whichever day runs); `previous`
    (the day step's DayMark) is not needed: the writer's own watermark says what it has read."""
    from ioudesk.ledger.models import Posting

    with transaction.atomic():
        mark = _mark_locked()
        entry_max = _entry_max()
        if mark is None:
            rows = _rebuild(entry_max)
        else:
            days = set(Posting.objects.filter(entry_id__gt=mark.entry_max, entry_id__lte=entry_max)
                       .order_by().values_list("day", flat=True).distinct())
            days.add(day)
            rows = _rewrite(sorted(days), entry_max)
        _mark_save(mark, entry_max)
    return rows


def ledger_day_backfill(first: date, last: date) -> int:
    """The history (an upgrade, the bench): every day, in one INSERT … SELECT … GROUP BY day, account.
    The range is not a limit: LedgerDay must hold every posting up to its watermark, whatever its day
    (postings dated before `first` or after `last` would otherwise be missing from the balances)."""
    with transaction.atomic():
        mark = _mark_locked()
        entry_max = _entry_max()
        rows = _rebuild(entry_max)
        _mark_save(mark, entry_max)
    return rows


# --- balances -------------------------------------------------------------------------------------


def _grouped(cursor, sql: str, params: list, into: dict[int, list[int]]) -> None:
    cursor.execute(sql, params)
    for account_id, debit, credit in cursor.fetchall():
        pair = into.setdefault(account_id, [0, 0])
        pair[0] += int(debit or 0)
        pair[1] += int(credit or 0)


def account_balances_fen(day: date) -> dict[int, tuple[int, int]]:
    """{account id: (debit fen, credit fen)}: every posting dated on or before `day`, summed (leaf accounts:
    postings land on leaves only). Before the writer has run (a new installation, most unit tests): one
    GROUP BY over the postings."""
    posting = _posting_table()
    totals: dict[int, list[int]] = {}
    mark = LedgerDayMark.objects.order_by("pk").values_list("entry_max", flat=True).first()
    sums = f"{_q('account_id')}, SUM({_q('debit')}), SUM({_q('credit')})"
    with connection.cursor() as cursor:
        if mark is None:
            _grouped(cursor, f"SELECT {sums} FROM {posting} WHERE {_q('day')} <= %s GROUP BY {_q('account_id')}",
                     [day], totals)
        else:
            _grouped(cursor, f"SELECT {sums} FROM {_q(LedgerDay._meta.db_table)} WHERE {_q('day')} <= %s "
                             f"GROUP BY {_q('account_id')}", [day], totals)
            # The entries made since the writer ran, by the posting's entry index: a closed range (mark, max],
            # so that SQLite's planner takes it (with `entry_id > mark` alone it skip-scans the (account, day)
            # index for `day <= …`: every posting, 15 s at 12.3M).
            newest = _entry_max()
            if newest > mark:
                _grouped(cursor, f"SELECT {sums} FROM {posting} WHERE {_q('entry_id')} > %s AND {_q('entry_id')} <= %s "
                                 f"AND {_q('day')} <= %s GROUP BY {_q('account_id')}", [mark, newest, day], totals)
    return {account_id: (debit, credit) for account_id, (debit, credit) in totals.items()}


def account_balances(day: date) -> dict[int, tuple[Decimal, Decimal]]:
    """{account id: (debit, credit)} in yuan, cumulative to the end of `day`, as the ledger stands now
    (equal to the trial balance over all postings: ioudesk.ledger.selectors.trial_balance(day=day))."""
    return {account_id: (from_fen(debit), from_fen(credit))
            for account_id, (debit, credit) in account_balances_fen(day).items()}


def register() -> None:
    from ioudesk.reports.snapshots import DayWriter, register_day_writer

    register_day_writer(DayWriter(name="ledger_days", label=_("科目日发生额"), write=ledger_day_write,
                                  backfill=ledger_day_backfill))
