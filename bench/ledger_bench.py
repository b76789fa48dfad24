"""Ledger benchmark: entries posted per second through ``post_entry`` and ``ledger verify`` time.

    python bench/ledger_bench.py                              # print the markdown section
    python bench/ledger_bench.py --ious 10000 --entries 500   # smaller, quicker
    python bench/ledger_bench.py --output docs/benchmarks.md  # replace "## Ledger" there

SQLite: a fresh database file in a temporary data directory (IOUDESK_DATA_DIR), never var/.
PostgreSQL: when DATABASE_URL points to one, the same runs again in a throwaway database created
beside it (Django's test-database machinery: ``test_<name>``, dropped afterwards).

1. ``post_entry`` one at a time, each its own transaction, like a repayment: Dr 100201 / Cr 1302 /
   Cr 1301, with an idempotency key, numbering and the audit event.
2. ``verify`` over ``--ious`` IOUs × 2 entries (a disbursement and a repayment), bulk-generated with
   raw INSERTs, including a balance check that compares every IOU's expected balances with
   ``iou_balances_bulk()`` (what the IOU app registers).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cpu_model, replace_section, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTION = "## Ledger"
CHUNK = 20_000
EXPECTED: dict[int, dict[str, Decimal]] = {}


def prepare_database(engine: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    if engine == "postgresql":
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        call_command("migrate", verbosity=0)
    from ioudesk.core.services import organisation_ensure
    from ioudesk.ledger.services import chart_ensure

    organisation_ensure()
    chart_ensure()


def drop_database(engine: str, name: str | None) -> None:
    if engine == "postgresql":
        from django.db import connection

        connection.creation.destroy_test_db(name, verbosity=0)


def posting_rate(count: int) -> float:
    from ioudesk.core import clock
    from ioudesk.ledger.chart import AccountCode as C
    from ioudesk.ledger.services import Line, post_entry

    def one(n: int) -> None:
        post_entry(kind="repayment", iou_id=10_000_000 + n, idempotency_key=f"bench-{n}", memo="还款", lines=[
            Line(C.BANK_BASIC, debit=Decimal("3100.00")), Line(C.INTEREST_RECEIVABLE, credit=Decimal("100.00")),
            Line(C.LOANS, credit=Decimal("3000.00")),
        ])

    with clock.frozen(date(2026, 11, 28)):
        for n in range(min(50, count)):  # warm-up
            one(-1 - n)
        started = time.perf_counter()
        for n in range(count):
            one(n)
        return count / (time.perf_counter() - started)


def generate(ious: int) -> float:
    """Two entries per IOU (disbursement, repayment), four postings, with raw INSERTs."""
    from django.db import connection, transaction

    from ioudesk.ledger.models import Account

    accounts = dict(Account.objects.values_list("code", "id"))
    loans, interest, bank, income = accounts["1301"], accounts["1302"], accounts["100201"], accounts["6011"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
        next_entry = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_posting")
        next_posting = cursor.fetchone()[0] + 1
    first_day = date(2026, 1, 1)
    for offset in range(0, ious, CHUNK // 2):
        entries, postings = [], []
        for iou_id in range(offset + 1, min(offset + CHUNK // 2, ious) + 1):
            principal_fen = 100_000 + (iou_id % 997) * 100
            repaid_fen = principal_fen // 3
            day = first_day + timedelta(days=iou_id % 300)
            for kind, lines in (
                ("disbursement", [(loans, principal_fen, 0), (bank, 0, principal_fen)]),
                ("repayment", [(bank, repaid_fen + 500, 0), (interest, 0, 500), (loans, 0, repaid_fen)]),
            ):
                entries.append((next_entry, f"BENCH-{next_entry}", day, kind, "", iou_id, ""))
                for account_id, debit, credit in lines:
                    postings.append((next_posting, next_entry, account_id, debit, credit, iou_id, day, ""))
                    next_posting += 1
                next_entry += 1
            # the repayment entry also accrues the interest it pays (Dr 1302 / Cr 6011): 1302 nets to zero
            postings.append((next_posting, next_entry - 1, interest, 500, 0, iou_id, day, ""))
            postings.append((next_posting + 1, next_entry - 1, income, 0, 500, iou_id, day, ""))
            next_posting += 2
            EXPECTED[iou_id] = {"principal": Decimal(principal_fen - repaid_fen) / 100, "interest": Decimal("0.00")}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO ledger_journalentry (id, number, day, kind, memo, iou_id, request_hash, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)", entries)
            cursor.executemany(
                "INSERT INTO ledger_posting (id, entry_id, account_id, debit, credit, iou_id, day, component) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", postings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def bench_balance_check() -> list[str]:
    """What the IOU app's check does: every IOU's stored balances against the ledger's."""
    from ioudesk.ledger.selectors import iou_balances_bulk

    ledger = iou_balances_bulk()
    differences = []
    for iou_id, expected in EXPECTED.items():
        actual = ledger.get(iou_id, {})
        for component, amount in expected.items():
            if actual.get(component, Decimal("0.00")) != amount:
                differences.append(f"借据 {iou_id}：{component} 账面 {amount}，总账 {actual.get(component)}")
    return differences


def server_version(engine: str) -> str:
    from django.db import connection

    if engine == "postgresql":
        number = connection.cursor().connection.info.server_version  # 150018 → 15.18
        return f"{number // 10000}.{number % 10000}"
    import sqlite3

    return sqlite3.sqlite_version


def run_engine(engine: str, entries: int, ious: int) -> dict:
    from django.db import connection

    prepare_database(engine)
    name = connection.settings_dict["NAME"]
    try:
        rate = posting_rate(entries)
        generated = generate(ious)
        from ioudesk.ledger import verify

        # Only the bench's own check: the generated IOU ids have no IOU rows behind them.
        verify.BALANCE_CHECKS[:] = [f"{__name__}.bench_balance_check"]
        started = time.perf_counter()
        report = verify.verify()
        seconds = time.perf_counter() - started
        if not report.ok:
            raise SystemExit("verify found differences in generated data:\n" + "\n".join(report.differences[:20]))
        return {"engine": engine, "rate": rate, "entries": entries, "ious": ious, "generated": generated,
                "verify": seconds, "postings": report.postings, "journal": report.entries,
                "version": server_version(engine)}
    finally:
        connection.close()
        drop_database(engine, name)


def render(results: list[dict]) -> str:
    rows = [
        f"| {r['engine']} {r['version']} | {r['rate']:,.0f} | {r['ious']:,} | {r['journal']:,} | {r['postings']:,} "
        f"| {r['verify']:.2f} |"
        for r in results
    ]
    return "\n".join([
        SECTION,
        "",
        "Run alone with `python bench/ledger_bench.py --output docs/benchmarks.md` (PostgreSQL too when"
        " DATABASE_URL points to one, e.g. `scripts/with-postgres .venv/bin/python bench/ledger_bench.py`).",
        "Posting: `post_entry` one entry per transaction (3 lines, idempotency key, PZ number, audit event),"
        " one process, one thread. Verify: `ledger verify` over IOUs × 2 entries generated in bulk, including a"
        " balance check comparing every IOU's balances with `iou_balances_bulk()`.",
        "",
        "| database | entries posted / s | IOUs | entries | postings | verify (s) |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"- Platform: {platform.platform()}",
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical CPUs)",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="markdown file whose section to write or replace")
    parser.add_argument("--entries", type=int, default=2000, help="entries posted through post_entry (default 2000)")
    parser.add_argument("--ious", type=int, default=100_000, help="IOUs generated for verify (default 100,000)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.engine:  # a child run: one engine, result printed as JSON for the parent
        with tempfile.TemporaryDirectory(prefix="ioudesk-ledger-bench-") as data_dir:
            setup_django(args.engine, Path(data_dir))
            print(json.dumps(run_engine(args.engine, args.entries, args.ious)))
        return 0

    engines = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        engines.append("postgresql")
    results = []
    for engine in engines:
        print(f"ledger bench: {engine} …", file=sys.stderr, flush=True)
        child = subprocess.run(
            [sys.executable, __file__, "--engine", engine, "--entries", str(args.entries), "--ious", str(args.ious)],
            capture_output=True, text=True, cwd=ROOT,
        )
        if child.returncode != 0:
            print(child.stdout, child.stderr, file=sys.stderr)
            return 1
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    section = render(results)
    print(section)
    if args.output:
        replace_section(args.output, SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
