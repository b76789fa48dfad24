"""The yardstick for the daily close benchmark: the same day's work as set-based raw SQL.

    python bench/close_anchor.py --sqlite /tmp/bench-1m/sqlite/ioudesk.sqlite3 [--day 2026-12-15] [--commit]
    python bench/close_anchor.py --postgres postgres://…/bench [--day …] [--commit]

What the close has to do for day D over the benchmark portfolio (bench/portfolio.py), written as
a handful of statements by hand, on the database driver alone (no Django):
1. interest and fees that fall due on D: for every live IOU with an installment due on D whose
   interest is not booked, one journal entry (Dr 1302 应收利息 / Cr 6011 利息收入, and the fee pair
   when there is one), numbered PZ<D>-NNNN after the day's counter, the installments marked booked,
   the IOU's interest and fee balances moved, the counter moved on;
2. days past due as of D for every live IOU already overdue (from its ``overdue_since``) or with an
   installment due since the last close (D − 1) not paid off, with the aging bucket, the five-tier
   floor (never better than a tier set by hand), ``overdue_since`` and status 逾期 (a payment cures
   an IOU when it is made, not in the close);
3. the business date moved on to D + 1.
Penalty is posted when an installment falls due, at month end and at events (decision 0006),
among them a change of bucket or class: for the IOUs whose bucket or class changes on D, penalty to
D on their unpaid installments (principal and interest overdue × the contract rate marked up, ACT/360;
without the legal-cap split the services also record), one entry and one 计罚息 document each.
Everything runs in one transaction, rolled back at the end unless --commit, so the same database
can be timed again and again. Prints the counts and the seconds.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from datetime import date, timedelta

LIVE = ("active", "overdue", "extended")


def run(conn, vendor: str, day: date, commit: bool) -> dict:
    p = "?" if vendor == "sqlite" else "%s"
    live = ", ".join(f"'{s}'" for s in LIVE)
    d = day.isoformat()
    pz = f"PZ{day:%Y%m%d}-"
    if vendor == "sqlite":
        number = f"'{pz}' || printf('%04d', seq.last_value + due.rn)"
        now, true = "strftime('%Y-%m-%d %H:%M:%f', 'now')", "1"
        days_between = f"CAST(julianday({p}) - julianday(late.since) AS INTEGER)"
    else:
        number = (f"'{pz}' || CASE WHEN seq.last_value + due.rn < 10000 THEN lpad((seq.last_value + due.rn)::text, 4, '0')"
                  " ELSE (seq.last_value + due.rn)::text END")
        now, true = "now()", "true"
        days_between = f"({p}::date - late.since)"
    cur = conn.cursor()
    counts = {}
    started = time.perf_counter()

    trace = bool(os.environ.get("ANCHOR_TRACE"))

    def q(sql, params=()):
        at = time.perf_counter()
        cur.execute(sql, params)
        if trace:
            print(f"{time.perf_counter() - at:8.3f} s  {' '.join(sql.split())[:100]}", file=sys.stderr)
        return cur

    def indexed(table, column="iou_id"):
        """A temp table is joined back by id: index it (and on PostgreSQL give the planner its size)."""
        q(f"CREATE INDEX {table}_{column} ON {table} ({column})")
        if vendor == "postgresql":
            q(f"ANALYZE {table}")

    if vendor == "sqlite":
        q("BEGIN IMMEDIATE")
    accounts = dict(q("SELECT code, id FROM ledger_account").fetchall())
    organisation = q("SELECT MIN(id) FROM core_organisation").fetchone()[0]
    q(f"""CREATE TEMP TABLE due AS
          SELECT s.iou_id, SUM(i.interest_due) AS interest, SUM(i.fee_due) AS fee,
                 ROW_NUMBER() OVER (ORDER BY s.iou_id) AS rn
          FROM ious_installment i
          JOIN ious_scheduleversion s ON s.id = i.schedule_id AND s.is_current
          JOIN ious_iou u ON u.id = s.iou_id AND u.status IN ({live})
          WHERE i.due_date = {p} AND NOT i.interest_accrued
          GROUP BY s.iou_id
          HAVING SUM(i.interest_due) + SUM(i.fee_due) > 0""", [d])
    indexed("due")
    counts["due"] = q("SELECT COUNT(*) FROM due").fetchone()[0]
    q(f"""INSERT INTO core_documentsequence (organisation_id, prefix, day, last_value)
          SELECT {p}, 'PZ', {p}, 0 WHERE NOT EXISTS (
              SELECT 1 FROM core_documentsequence WHERE organisation_id = {p} AND prefix = 'PZ' AND day = {p})""",
      [organisation, d, organisation, d])
    entry_base = q("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry").fetchone()[0]
    posting_base = q("SELECT COALESCE(MAX(id), 0) FROM ledger_posting").fetchone()[0]
    q(f"""INSERT INTO ledger_journalentry (id, number, day, kind, memo, iou_id, request_hash, created_at)
          SELECT {entry_base} + due.rn, {number}, {p}, 'interest_accrual', '利息到期', due.iou_id, '', {now}
          FROM due JOIN core_documentsequence seq
            ON seq.organisation_id = {p} AND seq.prefix = 'PZ' AND seq.day = {p}""", [d, organisation, d])
    lines = [(accounts["1302"], "interest", "interest", "debit"), (accounts["6011"], "interest", "income", "credit"),
             (accounts["1304"], "fee", "fee", "debit"), (accounts["6021"], "fee", "income", "credit")]
    for k, (account, amount, component, side) in enumerate(lines):
        debit, credit = (f"due.{amount}", "0") if side == "debit" else ("0", f"due.{amount}")
        q(f"""INSERT INTO ledger_posting (id, entry_id, account_id, debit, credit, iou_id, day, component)
              SELECT {posting_base} + 4 * (due.rn - 1) + {k + 1}, {entry_base} + due.rn, {account}, {debit}, {credit},
                     due.iou_id, {p}, '{component}'
              FROM due WHERE due.{amount} > 0""", [d])
    q(f"""UPDATE ious_installment SET interest_accrued = {true}
          WHERE due_date = {p} AND NOT interest_accrued
            AND schedule_id IN (SELECT s.id FROM ious_scheduleversion s JOIN due ON due.iou_id = s.iou_id
                                WHERE s.is_current)""", [d])
    if vendor == "sqlite":
        q("""UPDATE ious_iou SET interest_outstanding = interest_outstanding
                                     + (SELECT due.interest FROM due WHERE due.iou_id = ious_iou.id),
                                 fee_outstanding = fee_outstanding + (SELECT due.fee FROM due WHERE due.iou_id = ious_iou.id)
             WHERE id IN (SELECT iou_id FROM due)""")
    else:
        q("""UPDATE ious_iou u SET interest_outstanding = u.interest_outstanding + due.interest,
                                   fee_outstanding = u.fee_outstanding + due.fee
             FROM due WHERE due.iou_id = u.id""")
    q(f"""UPDATE core_documentsequence SET last_value = last_value + {p}
          WHERE organisation_id = {p} AND prefix = 'PZ' AND day = {p}""", [counts["due"], organisation, d])

    # 2. days past due, bucket, floor, status
    # Already overdue: the IOU keeps its oldest unpaid due date (overdue_since). Falling overdue:
    # an installment due since the last close (D - 1: the portfolio is closed through D - 1) and not
    # paid off. Both found from indexes, never by reading every installment.
    q(f"""CREATE TEMP TABLE late AS
          SELECT id AS iou_id, overdue_since AS since, 0 AS new FROM ious_iou
          WHERE overdue_since IS NOT NULL AND status IN ({live})
          UNION ALL
          SELECT s.iou_id, MIN(i.due_date), 1 FROM ious_installment i
          JOIN ious_scheduleversion s ON s.id = i.schedule_id AND s.is_current
          JOIN ious_iou u ON u.id = s.iou_id AND u.status IN ({live}) AND u.overdue_since IS NULL
          WHERE i.due_date >= {p} AND i.due_date < {p} AND i.paid_off_on IS NULL
          GROUP BY s.iou_id""", [(day - timedelta(days=1)).isoformat(), d])
    q(f"""CREATE TEMP TABLE dpd AS SELECT late.iou_id, late.since, late.new, {days_between} AS days FROM late""", [d])
    indexed("dpd")
    counts["overdue"] = q("SELECT COUNT(*) FROM dpd").fetchone()[0]
    bucket = ("CASE WHEN dpd.days <= 30 THEN 'M1' WHEN dpd.days <= 60 THEN 'M2' WHEN dpd.days <= 90 THEN 'M3' "
              "WHEN dpd.days <= 120 THEN 'M4' WHEN dpd.days <= 150 THEN 'M5' WHEN dpd.days <= 180 THEN 'M6' "
              "ELSE 'M7+' END")
    floor = ("CASE WHEN dpd.days > 360 THEN 'loss' WHEN dpd.days > 270 THEN 'doubtful' "
             "WHEN dpd.days > 90 THEN 'substandard' ELSE 'special_mention' END")
    # penalty to date where the classification or bucket changes on D (an event on the IOU,
    # decision 0006): one entry per IOU, Dr 1303 应收罚息 / Cr 6012 罚息收入, and its 计罚息 document
    q(f"""CREATE TEMP TABLE changed AS
          SELECT dpd.iou_id, ROW_NUMBER() OVER (ORDER BY dpd.iou_id) AS rn FROM dpd JOIN ious_iou u ON u.id = dpd.iou_id
          WHERE u.bucket <> {bucket} OR u.classification <> {floor}""")
    indexed("changed")
    since = "COALESCE(i.penalty_accrued_to, i.due_date)"
    if vendor == "sqlite":
        penalty_days = f"CAST(julianday({p}) - julianday({since}) AS INTEGER)"
    else:
        penalty_days = f"({p}::date - {since})"
    q(f"""CREATE TEMP TABLE pen AS
          SELECT i.id AS installment_id, s.iou_id,
                 CAST(ROUND(((i.principal_due - i.principal_paid) + (i.interest_due - i.interest_paid))
                            * u.annual_rate * (1 + u.penalty_markup) * {penalty_days} / 360.0) AS INTEGER) AS amount
          FROM changed c JOIN ious_scheduleversion s ON s.iou_id = c.iou_id AND s.is_current
          JOIN ious_installment i ON i.schedule_id = s.id
          JOIN ious_iou u ON u.id = s.iou_id
          WHERE i.due_date < {p} AND i.paid_off_on IS NULL""", [d, d])
    indexed("pen", "installment_id")
    q("""CREATE TEMP TABLE pen_iou AS SELECT pen.iou_id, SUM(pen.amount) AS amount, c.rn FROM pen
         JOIN changed c ON c.iou_id = pen.iou_id GROUP BY pen.iou_id, c.rn HAVING SUM(pen.amount) > 0""")
    indexed("pen_iou")
    counts["penalty"] = q("SELECT COUNT(*) FROM pen_iou").fetchone()[0]
    entry_base2 = entry_base + counts["due"]
    posting_base2 = posting_base + 4 * counts["due"]
    number2 = number.replace("due.rn", f"({counts['due']} + pen_iou.rn)")
    q(f"""INSERT INTO ledger_journalentry (id, number, day, kind, memo, iou_id, request_hash, created_at)
          SELECT {entry_base2} + pen_iou.rn, {number2}, {p}, 'penalty_accrual', '罚息计至', pen_iou.iou_id, '', {now}
          FROM pen_iou JOIN core_documentsequence seq
            ON seq.organisation_id = {p} AND seq.prefix = 'PZ' AND seq.day = {p}""", [d, organisation, d])
    for k, (account, debit, credit, component) in enumerate(
            [(accounts["1303"], "pen_iou.amount", "0", "penalty"), (accounts["6012"], "0", "pen_iou.amount", "income")]):
        q(f"""INSERT INTO ledger_posting (id, entry_id, account_id, debit, credit, iou_id, day, component)
              SELECT {posting_base2} + 2 * (pen_iou.rn - 1) + {k + 1}, {entry_base2} + pen_iou.rn, {account}, {debit},
                     {credit}, pen_iou.iou_id, {p}, '{component}'
              FROM pen_iou""", [d])
    q(f"""INSERT INTO ious_transaction (iou_id, kind, day, amount, principal, interest, penalty, fee, overpayment,
                                        method, reference, payer, funding_account, reason, allocation, entry_id,
                                        created_at)
          SELECT pen_iou.iou_id, 'penalty', {p}, pen_iou.amount, 0, 0, pen_iou.amount, 0, 0, '', '', '', '', '', '[]',
                 {entry_base2} + pen_iou.rn, {now}
          FROM pen_iou""", [d])
    if vendor == "sqlite":
        q(f"""UPDATE ious_installment SET penalty_accrued_to = {p},
                     penalty_charged = penalty_charged
                                       + (SELECT pen.amount FROM pen WHERE pen.installment_id = ious_installment.id)
              WHERE id IN (SELECT installment_id FROM pen)""", [d])
        q("""UPDATE ious_iou SET penalty_outstanding = penalty_outstanding
                                     + (SELECT pen_iou.amount FROM pen_iou WHERE pen_iou.iou_id = ious_iou.id)
             WHERE id IN (SELECT iou_id FROM pen_iou)""")
    else:
        q(f"""UPDATE ious_installment i SET penalty_accrued_to = {p}, penalty_charged = i.penalty_charged + pen.amount
              FROM pen WHERE pen.installment_id = i.id""", [d])
        q("""UPDATE ious_iou u SET penalty_outstanding = u.penalty_outstanding + pen_iou.amount
             FROM pen_iou WHERE pen_iou.iou_id = u.id""")
    q(f"""UPDATE core_documentsequence SET last_value = last_value + {p}
          WHERE organisation_id = {p} AND prefix = 'PZ' AND day = {p}""", [counts["penalty"], organisation, d])

    if vendor == "sqlite":
        q(f"""UPDATE ious_iou SET
                days_past_due = (SELECT days FROM dpd WHERE dpd.iou_id = ious_iou.id),
                bucket = (SELECT {bucket} FROM dpd WHERE dpd.iou_id = ious_iou.id),
                classification = (SELECT {floor} FROM dpd WHERE dpd.iou_id = ious_iou.id),
                overdue_since = (SELECT since FROM dpd WHERE dpd.iou_id = ious_iou.id),
                status = CASE WHEN status = 'active' THEN 'overdue' ELSE status END
              WHERE id IN (SELECT iou_id FROM dpd)""")
    else:
        q(f"""UPDATE ious_iou u SET days_past_due = dpd.days, bucket = {bucket}, classification = {floor},
                     overdue_since = dpd.since,
                     status = CASE WHEN u.status = 'active' THEN 'overdue' ELSE u.status END
              FROM dpd WHERE dpd.iou_id = u.id""")
    # the worse of the floor and a tier set by hand
    q("""UPDATE ious_iou SET classification = classification_manual
         WHERE classification_manual IS NOT NULL AND id IN (SELECT iou_id FROM dpd)
           AND (CASE classification_manual WHEN 'normal' THEN 1 WHEN 'special_mention' THEN 2
                WHEN 'substandard' THEN 3 WHEN 'doubtful' THEN 4 ELSE 5 END)
             > (CASE classification WHEN 'normal' THEN 1 WHEN 'special_mention' THEN 2
                WHEN 'substandard' THEN 3 WHEN 'doubtful' THEN 4 ELSE 5 END)""")
    # 3. the business date
    q(f"UPDATE core_organisation SET business_date = {p} WHERE id = {p}", [(day + timedelta(days=1)).isoformat(),
                                                                          organisation])
    work = time.perf_counter() - started
    if commit:
        conn.commit()
    else:
        conn.rollback()
    counts["seconds"] = round(work, 3)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="path of the SQLite file")
    where.add_argument("--postgres", help="PostgreSQL URL")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 12, 15))
    parser.add_argument("--commit", action="store_true", help="keep the changes (default: roll back)")
    args = parser.parse_args(argv)
    if args.sqlite:
        conn = sqlite3.connect(args.sqlite, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA cache_size=-65536")
        vendor = "sqlite"
    else:
        import psycopg

        conn = psycopg.connect(args.postgres)
        vendor = "postgresql"
    print(run(conn, vendor, args.day, args.commit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
