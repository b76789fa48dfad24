"""Receivables benchmark: 100,000 bank statement lines matched automatically against 1,000,000 open
items, next to a raw-SQL anchor doing the same lookups.

    python bench/receivables_bench.py --output docs/benchmarks.md          # prepare (once) and time
    python bench/receivables_bench.py --dir /tmp/rb-small --items 100000 --lines 10000

The data (SQLite; ``--dir``, default /tmp/bench-receivables, never the repository), built once with
raw SQL (INSERT … SELECT over a recursive counter, seconds): 100,000 enterprise customers; 1,000,000
posted receivable bills of one open item each (10 per customer, due 2026-06-01 … 2026-11-28, amounts
¥100.00 … ¥50,099.99 made from the row number so that a customer's items rarely share an amount);
20,000 payer aliases by account (blind indexes, as a learned alias is stored).

The 100,000 lines (each for a customer of its own, so no two lines compete for an item): 35 % name a
bill in the memo (with or without the dash), 25 % come from the customer's own name for exactly one
item's amount, 10 % from a known account (alias) for one item's amount, 15 % pay the two or three
oldest items together, 5 % are ¥1.00–¥9.99 short of an item (tolerance ¥10.00: a suggestion), 10 %
come from unknown payers with no number. Expected: 85 % matched automatically, 5 % suggested.

Timed, once each, in one process: ``receipts.receipts_create_bulk`` (the import's fast path: 100,000
receipts and their entries) and ``matching.match_receipts`` over them (the rules, the allocations,
the open items, the match entries, the learned aliases). The **anchor**: the same reads the engine
makes per batch of 2,000 (bills by number, aliases, customers by name, the customers' open items
oldest first) by hand-written SQL on the sqlite3 driver, no ORM, no writes. Target: matching under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
from benchlib import cpu_model, replace_section, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAY = date(2026, 11, 28)
FIRST_DUE = date(2026, 6, 1)
SECTION = "## Receivables: automatic matching of 100,000 statement lines against 1,000,000 open items"
TARGET_S = 60
ITEMS_PER_CUSTOMER = 10
BATCH = 2000


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def insert_select(raw, table: str, values: dict[str, str], source: str, params=()) -> int:
    """benchlib.insert_select with this bench's day."""
    return benchlib.insert_select(raw, table, values, source, params, day=DAY)


def amount_fen(n: int) -> int:
    """The open amount of item n (1-based), in fen: ¥100.00 … ¥50,099.99, spread by a multiplier."""
    return 10_000 + (n * 7_919_993) % 5_000_000


def due_day(n: int) -> date:
    """Item n's due date: a customer's 10 items (n = 10·(c−1)+1 … 10·c) are 17 days apart, oldest first."""
    return FIRST_DUE + timedelta(days=((n - 1) % ITEMS_PER_CUSTOMER) * 17 + (n // ITEMS_PER_CUSTOMER) % 7)


def bill_number(n: int) -> str:
    day = due_day(n) - timedelta(days=30)
    return f"YS{day:%Y%m%d}-{n:07d}"


def prepare(directory: Path, items: int) -> dict:
    """Build the data set (once: a pristine copy is kept, and every run starts from it)."""
    directory.mkdir(parents=True, exist_ok=True)
    pristine = directory / "pristine.sqlite3"
    if pristine.exists():
        import shutil

        for suffix in ("-wal", "-shm"):
            (directory / f"ioudesk.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.copyfile(pristine, directory / "ioudesk.sqlite3")
    setup_django("sqlite", directory)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    saved = directory / "receivables-data.json"
    info = json.loads(saved.read_text()) if saved.exists() else {}
    from ioudesk.core.services import organisation_ensure
    from ioudesk.ledger.services import chart_ensure

    organisation = organisation_ensure()
    chart_ensure()
    connection.ensure_connection()
    raw = connection.connection
    if raw.execute("SELECT COUNT(*) FROM receivables_billdue").fetchone()[0] >= items:
        return info
    started = time.perf_counter()
    customers = items // ITEMS_PER_CUSTOMER
    branch = raw.execute("SELECT id FROM core_branch WHERE parent_id IS NULL").fetchone()[0]
    counter = "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT n FROM c)"
    log(f"{customers:,} customers …")
    insert_select(raw, "customers_customer", {
        "number": "printf('KH%08d', n)", "kind": "'company'", "name": "printf('华东测试%06d贸易有限公司', n)",
        "branch_id": str(branch), "acquired_on": "'2026-01-01'", "created_at": "'2026-01-01 00:00:00'",
        "updated_at": "'2026-01-01 00:00:00'",
    }, counter, (customers,))
    first_customer = raw.execute("SELECT MIN(id) FROM customers_customer").fetchone()[0]
    log(f"{items:,} bills and open items …")
    # bill n belongs to customer (n-1)/10; values made by the same formulas as amount_fen/due_day/bill_number
    raw.create_function("amount_fen", 1, amount_fen, deterministic=True)
    raw.create_function("due_day", 1, lambda n: due_day(n).isoformat(), deterministic=True)
    raw.create_function("bill_number", 1, bill_number, deterministic=True)
    insert_select(raw, "receivables_bill", {
        "number": "bill_number(n)", "direction": "'receivable'", "kind": "'sales'", "status": "'open'",
        "customer_id": f"{first_customer} + (n - 1) / {ITEMS_PER_CUSTOMER}", "branch_id": str(branch),
        "nature": "'goods'", "bill_date": "date(due_day(n), '-30 days')", "net_amount": "amount_fen(n)",
        "tax_amount": "0", "total": "amount_fen(n)", "paid": "0", "credited": "0", "open_amount": "amount_fen(n)",
        "due_first": "due_day(n)", "due_last": "due_day(n)", "disputed": "0",
        "created_at": "'2026-06-01 00:00:00'", "updated_at": "'2026-06-01 00:00:00'",
    }, counter, (items,))
    first_bill = raw.execute("SELECT MIN(id) FROM receivables_bill").fetchone()[0]
    insert_select(raw, "receivables_billdue", {
        "bill_id": f"{first_bill} + n - 1", "seq": "1", "customer_id": f"{first_customer} + (n - 1) / {ITEMS_PER_CUSTOMER}",
        "direction": "'receivable'", "branch_id": str(branch), "due_date": "due_day(n)", "amount": "amount_fen(n)",
        "paid": "0", "credited": "0", "open_amount": "amount_fen(n)", "status": "'open'",
        "days_past_due": f"MAX(0, julianday('{DAY.isoformat()}') - julianday(due_day(n)))",
    }, counter, (items,))
    log("payer aliases by account …")
    from ioudesk.receivables.payers import account_index

    aliases = [(first_customer + c, "account", account_index(account_of(c)), f"账号尾号 {account_of(c)[-4:]}", 0, 1,
                "2026-06-01 00:00:00") for c in alias_customers(customers)]
    raw.executemany("INSERT INTO receivables_payeralias (customer_id, kind, value, label, learned, uses, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", aliases)
    raw.execute("INSERT INTO receivables_receivablessettings (organisation_id, tax_rates, long_overdue_days, "
                "case_after_days, match_tolerance, dso_days) SELECT ?, '13,9,6,3,1,0', 90, 1, 1000, 90 "
                "WHERE NOT EXISTS (SELECT 1 FROM receivables_receivablessettings)", (organisation.pk,))
    raw.execute("UPDATE receivables_receivablessettings SET match_tolerance = 1000")
    raw.commit()
    raw.execute("ANALYZE")
    info = {"generate_s": time.perf_counter() - started, "customers": customers, "items": items,
            "first_customer": first_customer, "first_bill": first_bill}
    saved.write_text(json.dumps(info))
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.execute(f"VACUUM INTO '{pristine}'")
    return info


def account_of(c: int) -> str:
    return f"6222{(c * 104_729) % 10**12:012d}"


def alias_customers(customers: int) -> range:
    """Customers whose bank account is a known alias: the 20 % slice 0.60–0.80 of the lines (10 % of lines use it)."""
    return range(int(customers * 0.60), int(customers * 0.80))


def statement(info: dict, lines: int):
    """(ReceiptRow list, expected rule per line) — see the module docstring."""
    from ioudesk.receivables.receipts import ReceiptRow

    customers = info["customers"]
    step = max(1, customers // lines)
    rows, expected = [], []
    for k in range(lines):
        c = k * step  # the customer, 0-based; its items are n = 10c+1 … 10c+10, oldest first
        first_item = c * ITEMS_PER_CUSTOMER + 1
        share = k / lines
        name = f"华东测试{c + 1:06d}贸易有限公司"
        pick = first_item + (k % ITEMS_PER_CUSTOMER)
        amount = Decimal(amount_fen(pick)) / 100
        if share < 0.35:
            number = bill_number(pick)
            memo = f"货款 {number}" if k % 2 else f"付{number.replace('-', '')}款"
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=amount, payer_name="某代付有限公司", memo=memo))
            expected.append("memo_number")
        elif share < 0.60:
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=amount, payer_name=name, memo="货款"))
            expected.append("payer_exact")
        elif share < 0.70:
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=amount, payer_name="",
                                   payer_account=account_of(c), memo="转账"))
            expected.append("payer_exact")
        elif share < 0.85:
            count = 2 + k % 2
            total = sum(Decimal(amount_fen(first_item + i)) for i in range(count)) / 100
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=total, payer_name=name, memo="结算"))
            expected.append("payer_oldest")
        elif share < 0.90:
            short = Decimal(100 + (k % 900)) / 100
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=amount - short, payer_name=name, memo="货款"))
            expected.append("suggestion")
        else:
            rows.append(ReceiptRow(direction="receivable", day=DAY, amount=Decimal("1234.56"),
                                   payer_name=f"陌生人{k:06d}", memo="往来款"))
            expected.append("none")
    return rows, expected


def anchor(db: Path, receipt_ids: list[int]) -> float:
    """The engine's reads by hand on the sqlite3 driver: per batch, the receipts, bills by number,
    aliases by account and name, customers by name, the customers' open items oldest first."""
    import re

    pattern = re.compile(r"(YS|YF|JD)\s*(20\d{6})\s*[-_]?\s*(\d{4,7})(?!\d)")
    con = sqlite3.connect(db)
    started = time.perf_counter()
    for start in range(0, len(receipt_ids), BATCH):
        ids = receipt_ids[start:start + BATCH]
        marks = ",".join("?" * len(ids))
        rows = con.execute(f"SELECT id, payer_name, payer_account_index, memo, customer_id, unmatched FROM "
                           f"receivables_receipt WHERE id IN ({marks})", ids).fetchall()
        numbers = [f"{p}{d}-{n}" for _id, _n, _a, memo, _c, _u in rows for p, d, n in pattern.findall(memo.upper())]
        found = {}
        for s in range(0, len(numbers), 500):
            part = numbers[s:s + 500]
            for _pk, number, customer in con.execute(
                    f"SELECT id, number, customer_id FROM receivables_bill WHERE number IN ({','.join('?' * len(part))})",
                    part):
                found[number] = customer
        accounts = [a for _id, _n, a, _m, _c, _u in rows if a]
        names = list({n for _id, n, _a, _m, _c, _u in rows if n})
        customers = set(found.values())
        for s in range(0, len(accounts), 500):
            part = accounts[s:s + 500]
            customers.update(c for (c,) in con.execute(
                f"SELECT customer_id FROM receivables_payeralias WHERE kind = 'account' AND value IN "
                f"({','.join('?' * len(part))})", part))
        for s in range(0, len(names), 500):
            part = names[s:s + 500]
            con.execute(f"SELECT customer_id FROM receivables_payeralias WHERE kind = 'name' AND value IN "
                        f"({','.join('?' * len(part))})", part).fetchall()
            customers.update(c for (c,) in con.execute(
                f"SELECT id FROM customers_customer WHERE name IN ({','.join('?' * len(part))})", part))
        customers = list(customers)
        for s in range(0, len(customers), 500):
            part = customers[s:s + 500]
            con.execute(f"SELECT d.id, d.customer_id, d.due_date, d.open_amount, d.bill_id, b.number, d.seq "
                        f"FROM receivables_billdue d JOIN receivables_bill b ON b.id = d.bill_id "
                        f"WHERE d.direction = 'receivable' AND d.status = 'open' AND d.open_amount > 0 "
                        f"AND b.status = 'open' AND d.customer_id IN ({','.join('?' * len(part))}) "
                        f"ORDER BY d.due_date, d.id", part).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def measure(directory: Path, info: dict, lines: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from ioudesk.core import clock
    from ioudesk.core.models import Branch
    from ioudesk.ledger.chart import AccountCode
    from ioudesk.receivables.matching import match_receipts, rules_ensure
    from ioudesk.receivables.models import Allocation, MatchSuggestion, Receipt

    rules_ensure()
    User = get_user_model()
    branch = Branch.objects.get(parent__isnull=True)
    user = User.objects.filter(username="bench-finance").first() or User.objects.create_superuser(
        username="bench-finance", password="Bench-2026-iou", email="", branch=branch)
    connection.ensure_connection()
    rows, expected = statement(info, lines)
    with clock.frozen(DAY):
        started, cpu = time.perf_counter(), time.process_time()
        ids = __import__("ioudesk.receivables.receipts", fromlist=["receipts_create_bulk"]).receipts_create_bulk(
            rows, branch=branch, account_code=AccountCode.BANK_BASIC, user=user)
        create_s, create_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        if os.environ.get("RB_PROFILE"):  # python bench/receivables_bench.py … with RB_PROFILE=/tmp/match.prof
            import cProfile

            with cProfile.Profile() as profiler:
                summary = match_receipts(ids, user=user)
            profiler.dump_stats(os.environ["RB_PROFILE"])
        else:
            summary = match_receipts(ids, user=user)
        match_s, match_cpu = time.perf_counter() - started, time.process_time() - cpu
    cpu = time.process_time()
    anchor_s = anchor(directory / "ioudesk.sqlite3", ids)
    anchor_cpu = time.process_time() - cpu
    methods = dict(Allocation.objects.values_list("receipt_id", "method"))
    suggested = set(MatchSuggestion.objects.values_list("receipt_id", flat=True))
    status = dict(Receipt.objects.values_list("id", "status"))
    right = 0
    for pk, want in zip(ids, expected, strict=True):
        got = methods.get(pk) or ("suggestion" if pk in suggested else "none")
        right += got == want and (want in ("suggestion", "none") or status[pk] == "matched")
    return {"create_s": create_s, "match_s": match_s, "anchor_s": anchor_s, "create_cpu": create_cpu,
            "match_cpu": match_cpu, "anchor_cpu": anchor_cpu, "summary": summary, "lines": lines,
            "right": right, "expected_auto": sum(e not in ("suggestion", "none") for e in expected),
            "allocations": Allocation.objects.count()}


def section(result: dict, info: dict, command: str, loads) -> str:
    s = result["summary"]
    ok = result["match_s"] < TARGET_S
    return "\n".join([
        SECTION, "",
        f"Run alone with `{command}` (SQLite; the open items are built once in `--dir` with raw SQL; every run starts from a pristine copy of it). See the script's docstring for the data and "
        "what each line of the statement is made to hit. The **anchor** is the same reads the engine makes per batch "
        "of 2,000 (receipts, bills by number, payer aliases, customers by name, the customers' open items oldest "
        "first) by hand-written SQL on the sqlite3 driver, without the decisions and without any writes: the floor "
        "the engine's reads stand on.",
        "",
        "| step | rows | wall time (s) | CPU time of the process (s) |",
        "|---|---:|---:|---:|",
        f"| `receipts_create_bulk` (receipts + their entries) | {result['lines']:,} | {result['create_s']:.1f} | "
        f"{result['create_cpu']:.1f} |",
        f"| `match_receipts` (rules, allocations, open items, entries, aliases) | {result['lines']:,} | "
        f"{result['match_s']:.1f} | {result['match_cpu']:.1f} |",
        f"| anchor: the same reads in raw SQL | {result['lines']:,} | {result['anchor_s']:.1f} | "
        f"{result['anchor_cpu']:.1f} |",
        "",
        f"Target: matching 100,000 lines against 1,000,000 open items in under {TARGET_S} s: "
        f"**{'met' if ok else 'not met'}** ({result['match_s']:.1f} s wall; with the import's receipts "
        f"{result['create_s'] + result['match_s']:.1f} s). The CPU time is what the run itself cost this process "
        "(on a machine shared with other work the wall time is longer by however long the process waited for a CPU; "
        "the load average below says how busy the machine was).",
        "",
        f"- Result: {s.matched:,} lines matched automatically ({s.matched / result['lines']:.0%}), {s.partial:,} "
        f"partly, {s.suggested:,} with a suggestion, {s.unmatched - s.suggested:,} left for a person; "
        f"{result['allocations']:,} allocations, ¥{s.amount:,.2f}. Lines that went the way they were made to: "
        f"{result['right']:,} of {result['lines']:,}.",
        f"- Data: {info['customers']:,} customers, {info['items']:,} open items (one bill each), 20,000 payer aliases "
        f"by account; built in {info.get('generate_s', 0):.0f} s.",
        f"- Load average while timing: {loads[0]:.1f} at the start, {loads[1]:.1f} at the end, on {os.cpu_count()} CPUs.",
        f"- Machine: {platform.platform()}, {cpu_model()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-receivables"))
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args(argv)
    if ROOT in args.dir.resolve().parents:
        raise SystemExit("--dir must be outside the repository")
    info = prepare(args.dir, args.items)
    if args.prepare_only:
        print(info)
        return 0
    loads = [os.getloadavg()[0]]
    result = measure(args.dir, info, args.lines)
    loads.append(os.getloadavg()[0])
    command = "python bench/receivables_bench.py --output docs/benchmarks.md" + (
        f" --dir {args.dir}" if args.dir != Path("/tmp/bench-receivables") else "") + (
        f" --items {args.items} --lines {args.lines}" if (args.items, args.lines) != (1_000_000, 100_000) else "")
    text = section(result, info, command, loads)
    print(text)
    if args.output:
        replace_section(args.output, SECTION, text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("IOUDESK_QUIET", "1")
    sys.exit(main())
