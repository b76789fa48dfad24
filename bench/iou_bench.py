"""IOU benchmark: repayments posted per second through ``iou_repay`` and ``ledger verify`` time over
100,000 IOUs.

    python bench/iou_bench.py                                   # SQLite: print the markdown section
    python bench/iou_bench.py --output docs/benchmarks.md       # replace "## IOUs and repayments (SQLite)"
    scripts/with-postgres .venv/bin/python bench/iou_bench.py --output docs/benchmarks.md
                                                                # "## IOUs and repayments (PostgreSQL)"

The database is always a fresh one: SQLite in a temporary data directory (IOUDESK_DATA_DIR, never
var/), or, when DATABASE_URL points to PostgreSQL, a throwaway ``test_<name>`` database created
beside it and dropped afterwards. Each engine writes its own section, so the two runs never
overwrite each other.

1. Repayments: ``--ious`` loans (¥10,000, 12 %, 12 months 等额本息) made, approved and disbursed
   through the services; then ``--repayments`` payments of ¥50.00 posted one after another, round
   robin over those IOUs, on the first due date (so each IOU's first payment also accrues its
   interest). One process, one thread; each call is a full ``iou_repay`` in its own transaction:
   row lock, accrual, allocation, installment updates, journal entry with number and audit event,
   the Transaction document, delinquency refresh, audit event. Target: ≥ 500 / s on SQLite.
2. Verify: ``--verify-ious`` more IOU rows bulk-inserted (not through the services) with two balanced
   entries each (disbursement; repayment that also accrues and pays interest) and stored balances
   that match, then ``ledger verify`` timed over everything — including the IOU app's check that
   compares every IOU's balances with the ledger.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cpu_model, engine_from_env, replace_section, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTIONS = {"sqlite": "## IOUs and repayments (SQLite)", "postgresql": "## IOUs and repayments (PostgreSQL)"}
TARGET_SQLITE = 500
CHUNK = 10_000
START, FIRST_DUE = date(2026, 1, 15), date(2026, 2, 15)
PAYMENT = Decimal("50.00")


def prepare_database(engine: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    if engine == "postgresql":
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        call_command("migrate", verbosity=0)
    from ioudesk.core.roles import roles_sync
    from ioudesk.core.services import organisation_ensure
    from ioudesk.ledger.services import chart_ensure

    organisation_ensure()
    roles_sync()
    chart_ensure()


def drop_database(engine: str) -> None:
    from django.db import connection

    connection.close()
    if engine == "postgresql":
        connection.creation.destroy_test_db(None, verbosity=0)


def staff():
    from django.contrib.auth.models import Group

    from ioudesk.core.models import Branch, User

    branch = Branch.objects.get(parent__isnull=True)
    users = {}
    for username, role in (("bench-maker", "客户经理"), ("bench-approver", "审批员"), ("bench-cashier", "财务")):
        user = User.objects.create_user(username=username, password=None, branch=branch, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        users[role] = User.objects.get(pk=user.pk)
    return branch, users


def make_loans(count: int, branch, users) -> list:
    """Loans made, approved and disbursed through the services, as a clerk would."""
    from ioudesk.core import clock
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    maker, approver, cashier = users["客户经理"], users["审批员"], users["财务"]
    ious = []
    with clock.frozen(START):
        for n in range(count):
            customer = customer_create(customer=Customer(kind="individual", branch=branch, name=f"借款人{n}"),
                                       user=maker)
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer, principal=Decimal("10000"), term=12,
                                        rate_text="12%", method="equal_installment", contract_date=START), user=maker)
            iou_submit(iou=iou, user=maker)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=cashier, idempotency_key=f"bench-disburse-{n}")
            ious.append(Iou(pk=iou.pk))
    return ious


def repayment_rate(ious: list, count: int, cashier, warmup: int) -> tuple[float, float]:
    from ioudesk.core.services import business_date_set
    from ioudesk.ious.services.repayment import iou_repay

    # The business date as an office sets it for back-dated work (not clock.frozen, which tests
    # use): every service reads it from the database, as it does in production.
    business_date_set(day=FIRST_DUE, reason="bench")
    for n in range(warmup):  # the first payment on each IOU accrues its interest too; warm the caches
        iou_repay(iou=ious[n % len(ious)], amount=PAYMENT, user=cashier, idempotency_key=f"bench-warm-{n}")
    started = time.perf_counter()
    for n in range(count):
        iou_repay(iou=ious[(warmup + n) % len(ious)], amount=PAYMENT, user=cashier,
                  idempotency_key=f"bench-repay-{n}")
    seconds = time.perf_counter() - started
    return count / seconds, seconds


def generate(count: int, branch, customer_id: int) -> float:
    """IOU rows (bulk_create) and two balanced entries per IOU (raw INSERTs), balances matching."""
    from django.db import connection, transaction

    from ioudesk.ious.models import Iou
    from ioudesk.ledger.models import Account

    accounts = dict(Account.objects.values_list("code", "id"))
    loans, interest, bank, income = accounts["1301"], accounts["1302"], accounts["100201"], accounts["6011"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
        next_entry = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_posting")
        next_posting = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ious_iou")
        next_iou = cursor.fetchone()[0] + 1
    for offset in range(0, count, CHUNK):
        rows, entries, postings = [], [], []
        for n in range(offset, min(offset + CHUNK, count)):
            iou_id = next_iou + n
            principal_fen = 100_000 + (n % 997) * 100
            repaid_fen = principal_fen // 3
            day = START + timedelta(days=n % 300)
            rows.append(Iou(
                id=iou_id, number=f"JDBENCH-{n:07d}", customer_id=customer_id, branch=branch,
                principal=Decimal(principal_fen) / 100, term=12, contract_date=day, rate_text="12%",
                annual_rate=Decimal("0.12"), status="active", disbursed_on=day,
                principal_outstanding=Decimal(principal_fen - repaid_fen) / 100,
            ))
            for kind, lines in (
                ("disbursement", [(loans, principal_fen, 0), (bank, 0, principal_fen)]),
                # the repayment also accrues the interest it pays (Dr 1302 / Cr 6011): 1302 nets to zero
                ("repayment", [(bank, repaid_fen + 500, 0), (interest, 0, 500), (loans, 0, repaid_fen),
                               (interest, 500, 0), (income, 0, 500)]),
            ):
                entries.append((next_entry, f"BENCH-{next_entry}", day, kind, "", iou_id, ""))
                for account_id, debit, credit in lines:
                    postings.append((next_posting, next_entry, account_id, debit, credit, iou_id, day, ""))
                    next_posting += 1
                next_entry += 1
        with transaction.atomic():
            Iou.objects.bulk_create(rows, batch_size=2_000)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO ledger_journalentry (id, number, day, kind, memo, iou_id, request_hash, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)", entries)
                cursor.executemany(
                    "INSERT INTO ledger_posting (id, entry_id, account_id, debit, credit, iou_id, day, component) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", postings)
    if connection.vendor == "postgresql":  # the sequences behind the explicit ids
        with connection.cursor() as cursor:
            for table in ("ious_iou", "ledger_journalentry", "ledger_posting"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def server_version(engine: str) -> str:
    from django.db import connection

    if engine == "postgresql":
        connection.ensure_connection()
        number = connection.connection.info.server_version  # 150018 → 15.18
        return f"PostgreSQL {number // 10000}.{number % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def run(engine: str, ious: int, repayments: int, verify_ious: int) -> dict:
    prepare_database(engine)
    from ioudesk.customers.models import Customer
    from ioudesk.ledger.verify import verify

    branch, users = staff()
    started = time.perf_counter()
    loans = make_loans(ious, branch, users)
    made = time.perf_counter() - started
    rate, seconds = repayment_rate(loans, repayments, users["财务"], warmup=len(loans))
    generated = generate(verify_ious, branch, Customer.objects.order_by("pk").values_list("pk", flat=True).first())
    started = time.perf_counter()
    report = verify()
    verify_seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit("verify found differences:\n" + "\n".join(report.differences[:20]))
    from ioudesk.ious.models import Iou

    return {"engine": engine, "version": server_version(engine), "ious": ious, "made": made,
            "repayments": repayments, "rate": rate, "seconds": seconds, "verify_ious": verify_ious,
            "total_ious": Iou.objects.count(), "generated": generated, "verify": verify_seconds,
            "entries": report.entries, "postings": report.postings}


def render(r: dict) -> str:
    engine = r["engine"]
    command = ("python bench/iou_bench.py --output docs/benchmarks.md" if engine == "sqlite"
               else "scripts/with-postgres .venv/bin/python bench/iou_bench.py --output docs/benchmarks.md")
    verdict = ""
    if engine == "sqlite":
        verdict = f" — target ≥ {TARGET_SQLITE} / s: {'met' if r['rate'] >= TARGET_SQLITE else 'NOT met'}"
    return "\n".join([
        SECTIONS[engine],
        "",
        f"Run alone with `{command}`.",
        f"Repayments: {r['ious']:,} loans (¥10,000, 12 %, 12 months 等额本息) made and disbursed through the"
        f" services, then {r['repayments']:,} payments of ¥{PAYMENT} through `iou_repay`, one after another"
        " (one process, one thread, each call its own transaction: lock, accrual, allocation, journal entry,"
        " audit), round robin over the IOUs on their first due date, after one warm-up payment per IOU."
        " Verify: `ledger verify` (whole ledger and every IOU's balances) after"
        f" {r['verify_ious']:,} more IOUs were bulk-inserted with two balanced entries each.",
        "",
        "| database | repayments | repayments / s | ms each | IOUs verified | entries | postings | verify (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['version']} | {r['repayments']:,} | {r['rate']:,.0f} | {1000 / r['rate']:.2f} | {r['total_ious']:,} "
        f"| {r['entries']:,} | {r['postings']:,} | {r['verify']:.2f} |",
        "",
        f"- Repayments per second: {r['rate']:,.0f}{verdict}.",
        f"- Setup (not timed in the results): {r['ious']:,} loans through the services in {r['made']:.1f} s;"
        f" {r['verify_ious']:,} IOUs bulk-generated in {r['generated']:.1f} s.",
        f"- Platform: {platform.platform()}",
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical CPUs)",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="markdown file whose section to write or replace")
    parser.add_argument("--ious", type=int, default=200, help="loans made through the services (default 200)")
    parser.add_argument("--repayments", type=int, default=5000, help="repayments timed (default 5000)")
    parser.add_argument("--verify-ious", type=int, default=100_000,
                        help="IOUs bulk-generated for verify (default 100,000)")
    args = parser.parse_args(argv)

    engine = engine_from_env()
    print(f"IOU bench: {engine} …", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="ioudesk-iou-bench-") as data_dir:
        setup_django(engine, Path(data_dir))
        try:
            result = run(engine, args.ious, args.repayments, args.verify_ious)
        finally:
            drop_database(engine)
    section = render(result)
    print(section)
    if args.output:
        replace_section(args.output, SECTIONS[engine], section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
