"""Daily close benchmark: `ioudesk close-day` for one business date over 1,000,000 live IOUs.

    python bench/close_bench.py --output docs/benchmarks.md       # everything below, ~30–40 min
    python bench/close_bench.py --dir /tmp/bench-1m --only sqlite  # one engine

The portfolios (bench/portfolio.py) are generated once into ``--dir`` (default /tmp/bench-1m, never
the repository) and kept: SQLite in DIR/sqlite, PostgreSQL in a cluster of its own in DIR/pg
(initdb'd and started here, on 127.0.0.1:``--pg-port``, fsync off as in scripts/with-postgres),
database ``bench1m``. Every timed close runs on a fresh copy of the pristine portfolio (SQLite: the
file copied; PostgreSQL: CREATE DATABASE … TEMPLATE), copied before the clock starts.

Measured, each as a whole process started from here (its Django start-up included), wall seconds
and peak resident memory (``ru_maxrss`` from ``wait4``: the largest of the process and the worker
processes it waited for):
1. the close of D (2026-12-15) over 1M IOUs: SQLite with 1 worker, PostgreSQL with 1 and 2 workers;
2. ``ioudesk ledger verify`` over the closed 1M portfolio (SQLite and PostgreSQL);
3. the anchor: the same day's work as set-based raw SQL (bench/close_anchor.py, rolled back), over
   the same pristine data, and the ratio close ÷ anchor;
4. growth, SQLite, 1 worker: the close over the 1M portfolio with a tenth of D's due dates (the
   rest moved to D + 1), and over 100,000 IOUs with the same number of IOUs with something to do
   (30,000 due on D, 50,000 overdue) as the 1M portfolio: a close whose cost follows the work takes
   about as long over 100k as over 1M, and a tenth of the work costs much less.
Targets: SQLite under 60 s, PostgreSQL with 2 workers under 60 s, peak RSS per worker and for
verify under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cpu_model, replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IOUDESK = str(Path(PYTHON).with_name("ioudesk"))
DAY = date(2026, 12, 15)
SECTION = "## Daily close at 1,000,000 IOUs"
TARGET_SECONDS, TARGET_MB = 60, 500
ENGINE_SUFFIXES = {"sqlite": ("_sqlite", "_sqlite_1", "_sqlite_100k", "_sqlite_tenth"),
                   "postgresql": ("_pg", "_pg_1", "_pg_2")}


def measure(cmd: list[str], env: dict, log: Path) -> dict:
    """Run `cmd` to its end; wall seconds, peak RSS (MB) of it and its waited-for children, exit code."""
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        started = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "code": process.returncode, "load": os.getloadavg()[0]}


# --- the databases ------------------------------------------------------------------------------


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")])
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def pg_run(args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + args, check=True, stdout=subprocess.DEVNULL)


def pg_start(root: Path, port: int) -> str:
    """The bench's own cluster in root/pg, started if it is not running; returns the server URL."""
    binary = pg_bin()
    if binary is None:
        raise SystemExit("PostgreSQL is not installed (scripts/system-packages), or run with --only sqlite")
    data = root / "pg" / "data"
    if not data.exists():
        (root / "pg").mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root / "pg", "postgres", "postgres")
        pg_run([str(binary / "initdb"), "-D", str(data), "-U", "ioudesk", "--auth=trust", "-E", "UTF8",
                "--locale=C.UTF-8"])
    if subprocess.run([str(binary / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                      stdout=subprocess.DEVNULL).returncode != 0:
        options = (f"-h 127.0.0.1 -p {port} -k {root / 'pg'} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=50 -c shared_buffers=512MB -c work_mem=64MB "
                   "-c maintenance_work_mem=512MB -c max_wal_size=8GB")
        pg_run([str(binary / "pg_ctl"), "-D", str(data), "-l", str(root / "pg" / "server.log"), "-w", "-o", options,
                "start"])
    return f"postgres://ioudesk@127.0.0.1:{port}"


def psql(url: str, sql: str) -> str:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        rows = conn.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else conn.execute(sql)
        return rows if isinstance(rows, list) else ""


def pg_exists(url: str, name: str) -> bool:
    return bool(psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def pg_copy(url: str, source: str, target: str) -> None:
    psql(url, f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    psql(url, f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def generate(env: dict, directory: Path, ious: int, log: Path, *extra: str) -> dict:
    result = measure([PYTHON, "bench/portfolio.py", "--ious", str(ious), "--dir", str(directory), *extra], env, log)
    if result["code"] != 0:
        raise SystemExit(f"generating the portfolio failed: see {log}")
    return result


def sqlite_env(directory: Path) -> dict:
    env = {**os.environ, "IOUDESK_DATA_DIR": str(directory), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("IOUDESK_ENV", None)
    return env


def pg_env(url: str, name: str, directory: Path) -> dict:
    env = sqlite_env(directory)
    env["DATABASE_URL"] = f"{url}/{name}"
    return env


def sqlite_copy(pristine: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (work / f"ioudesk.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine / "ioudesk.sqlite3", work / "ioudesk.sqlite3")
    for name in ("secret_key",):
        if (pristine / name).exists():
            shutil.copyfile(pristine / name, work / name)


# --- the runs -----------------------------------------------------------------------------------


def close_cmd(workers: int) -> list[str]:
    return [IOUDESK, "close-day", "--date", DAY.isoformat(), "--workers", str(workers)]


def has_close_day(env: dict) -> bool:
    probe = subprocess.run([IOUDESK, "help", "close-day"], env=env, capture_output=True, cwd=ROOT)
    return probe.returncode == 0


def run(args) -> dict:
    root: Path = args.dir
    root.mkdir(parents=True, exist_ok=True)
    log = root / "close_bench.log"
    results: dict = {"day": DAY.isoformat(), "load_start": os.getloadavg()[0]}
    engines = ["sqlite", "postgresql"] if args.only is None else [args.only]

    # SQLite: the 1M portfolio, and the 100k one with the same work
    if "sqlite" in engines:
        pristine, small = root / "sqlite", root / "sqlite-100k"
        if not (pristine / "ioudesk.sqlite3").exists():
            results["generated_sqlite"] = generate(sqlite_env(pristine), pristine, args.ious, log)
        if not (small / "ioudesk.sqlite3").exists():
            share = 0.03 * args.ious / (args.ious // 10)
            generate(sqlite_env(small), small, args.ious // 10, log, "--due-share", f"{share:.4f}",
                     "--overdue-share", f"{0.05 * 10:.4f}")
        tenth = root / "sqlite-tenth-due"
        if not (tenth / "ioudesk.sqlite3").exists():
            # the same 1M portfolio with 90 % of D's due dates moved to D + 1: a tenth of the work
            sqlite_copy(pristine, tenth)
            import sqlite3

            with sqlite3.connect(tenth / "ioudesk.sqlite3") as db:
                db.execute("UPDATE ious_installment SET due_date = ? WHERE due_date = ? AND schedule_id IN "
                           "(SELECT id FROM ious_scheduleversion WHERE iou_id % 10 <> 0)",
                           [(DAY + timedelta(days=1)).isoformat(), DAY.isoformat()])
        work = root / "work-sqlite"
        results["anchor_sqlite"] = [
            measure([PYTHON, "bench/close_anchor.py", "--sqlite", str(pristine / "ioudesk.sqlite3")],
                    sqlite_env(pristine), log) for _ in range(args.repeat)]
        env = sqlite_env(work)
        sqlite_copy(pristine, work)
        if has_close_day(env):
            runs = []
            for n in range(args.repeat):
                if n:
                    sqlite_copy(pristine, work)
                runs.append(measure(close_cmd(1), env, log))
            results["close_sqlite_1"] = runs
            results["verify_sqlite"] = measure([IOUDESK, "ledger", "verify"], env, log)
            sqlite_copy(small, work)
            results["close_sqlite_100k"] = measure(close_cmd(1), env, log)
            results["anchor_sqlite_100k"] = measure(
                [PYTHON, "bench/close_anchor.py", "--sqlite", str(small / "ioudesk.sqlite3")], env, log)
            sqlite_copy(tenth, work)
            results["close_sqlite_tenth"] = measure(close_cmd(1), env, log)
            results["anchor_sqlite_tenth"] = measure(
                [PYTHON, "bench/close_anchor.py", "--sqlite", str(tenth / "ioudesk.sqlite3")], env, log)
        else:
            results["verify_sqlite"] = measure([IOUDESK, "ledger", "verify"], sqlite_env(pristine), log)

    if "postgresql" in engines and pg_bin() is None and args.only is None:
        print("close bench: PostgreSQL is not installed: its rows are left out", file=sys.stderr)
        engines.remove("postgresql")
    if "postgresql" in engines:
        url = pg_start(root, args.pg_port)
        if not pg_exists(url, "bench1m"):
            psql(url, 'CREATE DATABASE "bench1m"')
            results["generated_pg"] = generate(pg_env(url, "bench1m", root / "pg-django"), root / "pg-django",
                                               args.ious, log)
        results["anchor_pg"] = [
            measure([PYTHON, "bench/close_anchor.py", "--postgres", f"{url}/bench1m"], sqlite_env(root), log)
            for _ in range(args.repeat)]
        env = pg_env(url, "work", root / "pg-django")
        pg_copy(url, "bench1m", "work")
        if has_close_day(env):
            for workers in (1, 2):
                runs = []
                for _ in range(args.repeat):
                    pg_copy(url, "bench1m", "work")
                    runs.append(measure(close_cmd(workers), env, log))
                results[f"close_pg_{workers}"] = runs
        results["verify_pg"] = measure([IOUDESK, "ledger", "verify"], env, log)
    results["load_end"] = os.getloadavg()[0]
    return results


def median(runs: list[dict], key: str = "seconds") -> float:
    values = sorted(r[key] for r in runs)
    return values[len(values) // 2]


def render(r: dict, ious: int) -> str:
    def cell(runs, key, fmt):
        if not runs:
            return "–"
        runs = runs if isinstance(runs, list) else [runs]
        values = sorted(x[key] for x in runs)
        return fmt.format(values[len(values) // 2] if key != "rss_mb" else values[-1])

    def row(label, runs, anchor=None):
        if not runs:
            return f"| {label} | – | – | – | – | – | – |"
        listed = runs if isinstance(runs, list) else [runs]
        failed = [x["code"] for x in listed if x["code"] != 0]
        ratio = f"{median(listed) / median(anchor if isinstance(anchor, list) else [anchor]):.1f}×" if anchor else "–"
        status = f" (exit {failed})" if failed else ""
        return (f"| {label} | {cell(runs, 'seconds', '{:.1f}')}{status} | {cell(runs, 'cpu', '{:.1f}')} | "
                f"{cell(runs, 'rss_mb', '{:.0f}')} | {cell(anchor, 'seconds', '{:.1f}')} | {ratio} | "
                f"{cell(runs, 'load', '{:.1f}')} |")

    def verdict(runs, target_seconds):
        if not runs:
            return "not measured"
        listed = runs if isinstance(runs, list) else [runs]
        ok = median(listed) < target_seconds and max(x["rss_mb"] for x in listed) < TARGET_MB
        return "**met**" if ok else "**not met**"

    head = "| run | wall s | CPU s | peak RSS MiB | anchor wall s | close ÷ anchor | load |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    lines = [
        SECTION, "",
        "Written by `python bench/close_bench.py --output docs/benchmarks.md` (`make bench`); the portfolios are "
        "generated once by `bench/portfolio.py` into `--dir` (default /tmp/bench-1m, never the repository) and kept; "
        "every close runs on a fresh copy (SQLite: the file copied; PostgreSQL: CREATE DATABASE … TEMPLATE) made "
        "before the clock starts. PostgreSQL is the bench's own cluster (fsync off, as scripts/with-postgres).",
        f"{ious:,} live IOUs (templates made through the services, copied with bulk inserts, closed through D − 1; "
        "`ledger verify` passes): 等额本息 12 %, 6 or 12 monthly installments, ~3 % with an installment due on "
        f"D = {DAY.isoformat()}, ~5 % overdue, the rest current. Whole processes started by the script (Django "
        "start-up included): wall seconds (median of the runs), CPU = user + system of the process and the workers "
        "it waited for, peak RSS = the largest of them (`ru_maxrss`). **Anchor**: the same day's work as set-based "
        "raw SQL on the driver alone (`bench/close_anchor.py`), rolled back.", "",
        head, rule,
        row("close, SQLite, 1 worker", r.get("close_sqlite_1"), r.get("anchor_sqlite")),
        row("close, PostgreSQL, 1 worker", r.get("close_pg_1"), r.get("anchor_pg")),
        row("close, PostgreSQL, 2 workers", r.get("close_pg_2"), r.get("anchor_pg")),
        row("`ledger verify` after the close, SQLite", r.get("verify_sqlite")),
        row("`ledger verify` after the close, PostgreSQL", r.get("verify_pg")),
        "",
        "Growth, SQLite, 1 worker: does the cost follow the IOUs with something to do?", "",
        head, rule,
        row(f"{ious:,} IOUs, ~3 % due", r.get("close_sqlite_1"), r.get("anchor_sqlite")),
        row(f"{ious:,} IOUs, ~0.3 % due (90 % of D's due dates moved to D + 1)", r.get("close_sqlite_tenth"),
            r.get("anchor_sqlite_tenth")),
        row(f"{ious // 10:,} IOUs with the same number due and overdue", r.get("close_sqlite_100k"),
            r.get("anchor_sqlite_100k")),
        "",
        f"Targets: SQLite under {TARGET_SECONDS} s: {verdict(r.get('close_sqlite_1'), TARGET_SECONDS)}; PostgreSQL "
        f"with 2 workers under {TARGET_SECONDS} s: {verdict(r.get('close_pg_2'), TARGET_SECONDS)}; peak RSS per "
        f"worker and for verify under {TARGET_MB} MB.",
        f"- Load average (other processes on the machine): {r['load_start']:.1f} at the start, {r['load_end']:.1f} at "
        "the end, on 2 CPUs",
        f"- Platform: {platform.platform()}; CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); Python "
        f"{platform.python_version()}; run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-1m"))
    parser.add_argument("--ious", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each close (default 1)")
    parser.add_argument("--pg-port", type=int, default=8543)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    results = run(args)
    # Each engine's figures are kept in DIR, so `--only` one engine renders the other's last ones too.
    for engine in ("sqlite", "postgresql"):
        path = args.dir / f"results-{engine}.json"
        if args.only in (None, engine):
            mine = {k: v for k, v in results.items() if k.endswith(ENGINE_SUFFIXES[engine]) or k.startswith("load")}
            path.write_text(json.dumps(mine, indent=1))
        elif path.exists():
            results = {**json.loads(path.read_text()), **results}
    section = render(results, args.ious)
    print(section)
    if args.output:
        replace_section(args.output, SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
