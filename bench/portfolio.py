"""A large portfolio of live IOUs for the daily close benchmark, generated in minutes.

    python bench/portfolio.py --ious 1000000 --dir /tmp/bench-1m          # SQLite: DIR/ioudesk.sqlite3
    DATABASE_URL=postgres://… python bench/portfolio.py --ious 1000000    # PostgreSQL: that database

How: a few hundred *template* IOUs are made through the real services (create, submit, approve,
disburse on their contract date, every installment due before the bench day paid on its due date
with ``iou_repay``, except the overdue ones' last, then ``iou_close_day`` for the day before the
bench day), so every row the services write (the IOU with its balances and days past due, its
schedule and installments, its transactions, journal entries and postings) is what the services
would write. Then each template is copied many times with raw bulk inserts (SQLite ``executemany``
on the driver's connection, PostgreSQL ``COPY``): new ids, new numbers (per day, as the numbering
would give them, with the day counters set after them), idempotency keys dropped. The copies are
interleaved in id order (seeded shuffle), so every id range of the close has the same mix.
`ledger verify` passes on the result.

The portfolio on the bench day D (default 2026-12-15, the close for D is what is measured):
monthly schedules of 6 or 12 installments (等额本息, 12 % a year), contracted between 0 and 3
months before D on day 1–28 of the month;
- ~3 % have an installment due on D (contracted on the 15th): the close's interest work;
- ~5 % are overdue: the installment due between the 1st and the 14th of D's month is unpaid
  (days past due 1–14 as of D, interest accrued on its due date by the close of D − 1);
- the rest are current: every installment due before D paid on its due date, the next one after D.
Ten IOUs per customer; customers are copies of one template customer with their own numbers.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import engine_from_env, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = date(2026, 12, 15)
DUE_SHARE, OVERDUE_SHARE = 0.03, 0.05
IOUS_PER_CUSTOMER = 10
CHUNK = 20_000  # IOUs copied per transaction

# Tables copied per IOU, in insert order, with the column holding the row's IOU (directly or via
# its parent). Everything else an IOU has (approvals, audit events) stays with the templates.
TABLES = ("ious_iou", "ious_scheduleversion", "ious_installment", "ious_transaction",
          "ledger_journalentry", "ledger_posting")


@dataclass(frozen=True)
class Spec:
    dom: int  # day of the month of the contract (and of every due date)
    months: int  # months between the contract and D's month
    term: int
    overdue: bool

    @property
    def contract(self) -> date:
        month = DAY.month - self.months
        year = DAY.year + (month - 1) // 12
        return date(year, (month - 1) % 12 + 1, self.dom)

    @property
    def group(self) -> str:
        if self.overdue:
            return "overdue"
        return "due" if self.dom == DAY.day and self.months > 0 else "current"


def specs() -> list[Spec]:
    result = []
    for term in (6, 12):
        for dom in range(1, 29):
            for months in range(0, 4):
                spec = Spec(dom, months, term, overdue=False)
                if spec.contract >= DAY:
                    continue
                result.append(spec)
                if dom < DAY.day and months > 0:
                    result.append(Spec(dom, months, term, overdue=True))
    return result


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, day.day)


# --- the templates, through the services ----------------------------------------------------------


def prepare_database(engine: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ioudesk.core.roles import roles_sync
    from ioudesk.core.services import organisation_ensure
    from ioudesk.ledger.services import chart_ensure

    organisation_ensure()
    roles_sync()
    chart_ensure()


def staff():
    from django.contrib.auth.models import Group

    from ioudesk.core.models import Branch, User

    branch = Branch.objects.get(parent__isnull=True)
    users = {}
    for username, role in (("bench-maker", "客户经理"), ("bench-approver", "审批员"), ("bench-cashier", "财务")):
        user, _ = User.objects.get_or_create(username=username, defaults={"branch": branch, "is_staff": True})
        user.groups.add(Group.objects.get(name=role))
        users[role] = User.objects.get(pk=user.pk)
    return branch, users


def make_templates(all_specs: list[Spec]) -> dict[Spec, int]:
    """One IOU per spec through the services; returns spec → IOU id."""
    from ioudesk.core import clock
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ious.models import Installment, Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.accrual import iou_close_day
    from ioudesk.ious.services.disbursement import iou_disburse
    from ioudesk.ious.services.repayment import iou_repay

    branch, users = staff()
    maker, approver, cashier = users["客户经理"], users["审批员"], users["财务"]
    with clock.frozen(min(s.contract for s in all_specs)):
        customer = customer_create(customer=Customer(kind="individual", branch=branch, name="模板借款人"), user=maker)
    made = {}
    # in contract-date order, so that numbers and ids run with the dates as they would in life
    for n, spec in enumerate(sorted(all_specs, key=lambda s: (s.contract, s.term, s.overdue))):
        principal = Decimal(5000 + 1000 * (n % 16))
        with clock.frozen(spec.contract):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer, principal=principal, term=spec.term,
                                        rate_text="12%", method="equal_installment", contract_date=spec.contract),
                                user=maker)
            iou_submit(iou=iou, user=maker)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=cashier)
        for number in range(1, spec.months + 1):
            due = add_months(spec.contract, number)
            if due >= DAY or (spec.overdue and number == spec.months):
                break
            row = Installment.objects.get(schedule__iou=iou, schedule__is_current=True, number=number)
            with clock.frozen(due):
                iou_repay(iou=Iou.objects.get(pk=iou.pk), amount=row.principal_due + row.interest_due + row.fee_due,
                          user=cashier)
        with clock.frozen(DAY - timedelta(days=1)):
            iou_close_day(iou=Iou.objects.get(pk=iou.pk), day=DAY - timedelta(days=1))
        made[spec] = iou.pk
    return made


# --- copying ----------------------------------------------------------------------------------------


class Writer:
    """Bulk inserts on the driver's own connection: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection):
        self.connection = connection
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.raw = connection.connection
        if self.vendor == "sqlite":  # a throwaway bench file: no fsync, a large page cache
            for pragma in ("synchronous = OFF", "cache_size = -1500000", "temp_store = MEMORY"):
                self.raw.execute(f"PRAGMA {pragma}")
        else:
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: every copied row would queue a
            # check run at COMMIT (minutes per chunk). The copies are consistent by construction, so
            # the bench's superuser turns those triggers off for this session while copying.
            with self.raw.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)
        else:
            from psycopg.types.json import Jsonb

            json_columns = {i for i, c in enumerate(columns) if c in self.json_columns.get(table, ())}
            with self.raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    if json_columns:
                        row = tuple(Jsonb(v) if i in json_columns and v is not None else v for i, v in enumerate(row))
                    copy.write_row(row)

    json_columns: dict[str, tuple[str, ...]] = {}


def secondary_indexes(cursor, vendor: str, tables) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes on `tables` that no constraint owns: dropped while the
    copies go in and built again afterwards (one sort each instead of millions of b-tree inserts)."""
    names = ", ".join(f"'{t}'" for t in tables)
    if vendor == "sqlite":
        cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) "
                       "AND sql IS NOT NULL")
    else:
        cursor.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) "
                       "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    return [(name, sql) for name, sql in cursor.fetchall()]


def read_rows(cursor, table: str, where: str, params) -> tuple[list[str], list[tuple]]:
    cursor.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY id', params)
    columns = [d[0] for d in cursor.description]
    return columns, [tuple(r) for r in cursor.fetchall()]


def json_columns_of() -> dict[str, tuple[str, ...]]:
    from django.apps import apps
    from django.db import models

    result = {}
    for model in apps.get_models():
        cols = tuple(f.column for f in model._meta.concrete_fields if isinstance(f, models.JSONField))
        if cols:
            result[model._meta.db_table] = cols
    return result


def fmt_day(value) -> str:
    if isinstance(value, str):
        return value[:10].replace("-", "")
    return value.strftime("%Y%m%d")


def copy_portfolio(templates: dict[Spec, int], total: int, seed: int = 20261215, *, due_share: float = DUE_SHARE,
                   overdue_share: float = OVERDUE_SHARE) -> dict:
    """Copy the templates to `total` IOUs (the templates count among them)."""
    from django.db import connection, transaction

    from ioudesk.core.models import Organisation

    writer = Writer(connection)
    writer.json_columns = json_columns_of()
    organisation_id = Organisation.objects.order_by("pk").values_list("pk", flat=True).first()
    # template rows per table
    data: dict[int, dict[str, list[tuple]]] = {}
    columns: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for iou_id in templates.values():
            rows = {}
            columns["ious_iou"], rows["ious_iou"] = read_rows(cursor, "ious_iou", "id = %s", [iou_id])
            columns["ious_scheduleversion"], rows["ious_scheduleversion"] = read_rows(
                cursor, "ious_scheduleversion", "iou_id = %s", [iou_id])
            columns["ious_installment"], rows["ious_installment"] = read_rows(
                cursor, "ious_installment", "schedule_id IN (SELECT id FROM ious_scheduleversion WHERE iou_id = %s)",
                [iou_id])
            columns["ious_transaction"], rows["ious_transaction"] = read_rows(
                cursor, "ious_transaction", "iou_id = %s", [iou_id])
            columns["ledger_journalentry"], rows["ledger_journalentry"] = read_rows(
                cursor, "ledger_journalentry", "iou_id = %s", [iou_id])
            columns["ledger_posting"], rows["ledger_posting"] = read_rows(
                cursor, "ledger_posting", "entry_id IN (SELECT id FROM ledger_journalentry WHERE iou_id = %s)",
                [iou_id])
            data[iou_id] = rows
        next_id = {}
        for table in (*TABLES, "customers_customer"):
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
            next_id[table] = cursor.fetchone()[0]
        cursor.execute("SELECT prefix, day, last_value FROM core_documentsequence WHERE organisation_id = %s",
                       [organisation_id])
        counters = {(prefix, fmt_day(day)): last for prefix, day, last in cursor.fetchall()}
        customer_columns, customer_rows = read_rows(cursor, "customers_customer", "1 = 1", [])
    index = {table: {c: i for i, c in enumerate(cols)} for table, cols in columns.items()}

    # how many copies of each template: the groups' shares, spread evenly over their templates
    by_group = defaultdict(list)
    for spec, iou_id in templates.items():
        by_group[spec.group].append(iou_id)
    copies = total - len(templates)
    shares = {"due": due_share, "overdue": overdue_share}
    shares["current"] = 1 - sum(shares.values())
    order: list[int] = []
    for group, ids in sorted(by_group.items()):
        want = round(copies * shares[group])
        if group == "current":
            want = copies - sum(round(copies * shares[g]) for g in by_group if g != "current")
        for k, iou_id in enumerate(ids):
            order.extend([iou_id] * (want // len(ids) + (1 if k < want % len(ids) else 0)))
    random.Random(seed).shuffle(order)

    # customers: copies of the template customer, one per IOUS_PER_CUSTOMER IOUs
    customer_template = customer_rows[0]
    c_index = {c: i for i, c in enumerate(customer_columns)}
    customer_count = max(1, len(order) // IOUS_PER_CUSTOMER)
    first_customer = next_id["customers_customer"]
    customer_day = fmt_day(customer_template[c_index["created_at"]]) if "created_at" in c_index else "20260801"
    number_day = customer_template[c_index["number"]][2:10]
    with transaction.atomic():
        batch = []
        for k in range(customer_count):
            row = list(customer_template)
            row[c_index["id"]] = first_customer + k
            key = ("KH", number_day)
            counters[key] = counters.get(key, 0) + 1
            row[c_index["number"]] = f"KH{number_day}-{counters[key]:04d}"
            batch.append(tuple(row))
            if len(batch) == 10_000:
                writer.insert("customers_customer", customer_columns, batch)
                batch = []
        writer.insert("customers_customer", customer_columns, batch)
    del customer_day

    with connection.cursor() as cursor:
        indexes = secondary_indexes(cursor, connection.vendor, TABLES)
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    nid = dict(next_id)
    timing = {"build": 0.0, "insert": 0.0}
    for offset in range(0, len(order), CHUNK):
        chunk_started = time.perf_counter()
        out: dict[str, list[tuple]] = {t: [] for t in TABLES}
        for n in range(offset, min(offset + CHUNK, len(order))):
            rows = data[order[n]]
            iou_row = list(rows["ious_iou"][0])
            i = index["ious_iou"]
            new_iou = nid["ious_iou"]
            nid["ious_iou"] += 1
            iou_row[i["id"]] = new_iou
            key = ("JD", fmt_day(iou_row[i["contract_date"]]))
            counters[key] = counters.get(key, 0) + 1
            iou_row[i["number"]] = f"JD{key[1]}-{counters[key]:04d}"
            iou_row[i["customer_id"]] = first_customer + (n // IOUS_PER_CUSTOMER) % customer_count
            out["ious_iou"].append(tuple(iou_row))

            schedules = {}
            i = index["ious_scheduleversion"]
            for r in rows["ious_scheduleversion"]:
                r = list(r)
                schedules[r[i["id"]]] = nid["ious_scheduleversion"]
                r[i["id"]] = nid["ious_scheduleversion"]
                nid["ious_scheduleversion"] += 1
                r[i["iou_id"]] = new_iou
                r[i["idempotency_key"]] = None
                out["ious_scheduleversion"].append(tuple(r))
            i = index["ious_installment"]
            for r in rows["ious_installment"]:
                r = list(r)
                r[i["id"]] = nid["ious_installment"]
                nid["ious_installment"] += 1
                r[i["schedule_id"]] = schedules[r[i["schedule_id"]]]
                out["ious_installment"].append(tuple(r))
            entries = {}
            i = index["ledger_journalentry"]
            for r in rows["ledger_journalentry"]:
                r = list(r)
                entries[r[i["id"]]] = nid["ledger_journalentry"]
                r[i["id"]] = nid["ledger_journalentry"]
                nid["ledger_journalentry"] += 1
                key = ("PZ", fmt_day(r[i["day"]]))
                counters[key] = counters.get(key, 0) + 1
                r[i["number"]] = f"PZ{key[1]}-{counters[key]:04d}"
                r[i["iou_id"]] = new_iou
                r[i["idempotency_key"]] = None
                assert r[i["reverses_id"]] is None
                out["ledger_journalentry"].append(tuple(r))
            i = index["ledger_posting"]
            for r in rows["ledger_posting"]:
                r = list(r)
                r[i["id"]] = nid["ledger_posting"]
                nid["ledger_posting"] += 1
                r[i["entry_id"]] = entries[r[i["entry_id"]]]
                r[i["iou_id"]] = new_iou
                out["ledger_posting"].append(tuple(r))
            i = index["ious_transaction"]
            for r in rows["ious_transaction"]:
                r = list(r)
                r[i["id"]] = nid["ious_transaction"]
                nid["ious_transaction"] += 1
                r[i["iou_id"]] = new_iou
                if r[i["entry_id"]] is not None:
                    r[i["entry_id"]] = entries[r[i["entry_id"]]]
                r[i["idempotency_key"]] = None
                assert r[i["reverses_id"]] is None
                out["ious_transaction"].append(tuple(r))
        built = time.perf_counter()
        with transaction.atomic():
            for table in TABLES:
                writer.insert(table, columns[table], out[table])
        timing["build"] += built - chunk_started
        timing["insert"] += time.perf_counter() - built
        done = min(offset + CHUNK, len(order))
        if done % 100_000 < CHUNK or done == len(order):
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,} IOUs copied ({rate:,.0f} / s; building rows {timing['build']:.1f} s, "
                  f"inserting {timing['insert']:.1f} s)", file=sys.stderr, flush=True)

    rebuilt = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
        for _name, sql in indexes:
            cursor.execute(sql)
    print(f"  {len(indexes)} indexes built in {time.perf_counter() - rebuilt:.1f} s", file=sys.stderr, flush=True)
    with transaction.atomic(), connection.cursor() as cursor:
        for (prefix, day), last in counters.items():
            day_value = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            cursor.execute("UPDATE core_documentsequence SET last_value = %s WHERE organisation_id = %s "
                           "AND prefix = %s AND day = %s", [last, organisation_id, prefix, day_value])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO core_documentsequence (organisation_id, prefix, day, last_value) "
                               "VALUES (%s, %s, %s, %s)", [organisation_id, prefix, day_value, last])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (*TABLES, "customers_customer"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    return {"copied": len(order), "customers": customer_count + 1, "templates": len(templates)}


def mark_closed_through(day: date) -> None:
    """The book as a real close of `day` leaves it: closed through `day`, with its run recorded done
    (without one the engine treats the next close as the first and looks at every unpaid installment)."""
    from django.utils import timezone

    from ioudesk.closing.models import CloseRun, CloseSettings, RunState
    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    CloseSettings.objects.update_or_create(organisation=organisation, defaults={"closed_through": day})
    CloseRun.objects.get_or_create(organisation=organisation, day=day, defaults={
        "state": RunState.DONE, "started_at": timezone.now(), "finished_at": timezone.now()})


def generate(total: int, *, due_share: float = DUE_SHARE, overdue_share: float = OVERDUE_SHARE) -> dict:
    from django.db import connection

    from ioudesk.core.services import business_date_set

    started = time.perf_counter()
    all_specs = specs()
    templates = make_templates(all_specs)
    made = time.perf_counter() - started
    print(f"  {len(templates)} templates through the services in {made:.1f} s", file=sys.stderr, flush=True)
    result = copy_portfolio(templates, total, due_share=due_share, overdue_share=overdue_share)
    business_date_set(new_date=DAY, reason="bench: the day to close")
    # The day before was closed (the templates were brought to D - 1 by iou_close_day): the close of D
    # is the next one, not a first close that would look at every installment ever due.
    mark_closed_through(DAY - timedelta(days=1))
    analyze = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  ANALYZE in {time.perf_counter() - analyze:.1f} s", file=sys.stderr, flush=True)
    result["seconds"] = time.perf_counter() - started
    return result


def counts() -> dict[str, int]:
    from django.db import connection

    from ioudesk.ious.models import LIVE_STATUSES

    statuses = ", ".join(f"'{s}'" for s in LIVE_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END) FROM ious_iou "
                       f"WHERE status IN ({statuses})")
        live, overdue = cursor.fetchone()
        cursor.execute("SELECT COUNT(DISTINCT s.iou_id) FROM ious_installment i JOIN ious_scheduleversion s "
                       "ON s.id = i.schedule_id AND s.is_current WHERE i.due_date = %s", [DAY])
        due = cursor.fetchone()[0]
        sizes = {}
        for table in ("ious_installment", "ledger_journalentry", "ledger_posting", "customers_customer"):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            sizes[table] = cursor.fetchone()[0]
    return {"live": live, "overdue": int(overdue or 0), "due": due, **sizes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ious", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-1m"),
                        help="data directory (SQLite: DIR/ioudesk.sqlite3); never in the repository")
    parser.add_argument("--due-share", type=float, default=DUE_SHARE, help="share with an installment due on D")
    parser.add_argument("--overdue-share", type=float, default=OVERDUE_SHARE, help="share overdue")
    args = parser.parse_args(argv)
    engine = engine_from_env()
    args.dir.mkdir(parents=True, exist_ok=True)
    setup_django(engine, args.dir)
    prepare_database(engine)
    print(f"portfolio: {args.ious:,} IOUs on {engine} …", file=sys.stderr, flush=True)
    result = generate(args.ious, due_share=args.due_share, overdue_share=args.overdue_share)
    result.update(counts())
    print(result)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("IOUDESK_QUIET", "1")
    sys.exit(main())
