"""What every benchmark script shares: the machine, Django set-up on a throwaway database, and
writing its own "## …" section of docs/benchmarks.md without touching the others."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def engine_from_env() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) else "sqlite"


def setup_django(engine: str, data_dir: Path) -> None:
    """Django on `data_dir` (SQLite there; PostgreSQL only when DATABASE_URL says so)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["IOUDESK_DATA_DIR"] = str(data_dir)
    os.environ.pop("IOUDESK_ENV", None)
    if engine == "sqlite":
        os.environ.pop("DATABASE_URL", None)  # always the temporary file, never production
    import django

    django.setup()


def replace_section(path: Path, title: str, section: str) -> None:
    """Put `section` in place of the file's own `title` section ("## …"), keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == title), None)
    if start is None:
        body = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        body = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(body, encoding="utf-8")


def insert_select(raw, table: str, values: dict[str, str], source: str, params=(), *, day,
                  timestamp: str = "strftime('%Y-%m-%d %H:%M:%S', 'now')") -> int:
    """INSERT INTO table (…) SELECT … FROM source on the sqlite3 driver: the columns in `values` as given,
    every other NOT NULL column without a default filled by its type (`day` for dates, `timestamp` — an SQL
    expression — for date-times), so new columns of the models do not break a bench's data set."""
    columns = raw.execute(f'PRAGMA table_info("{table}")').fetchall()
    exprs = dict(values)
    for _cid, name, kind, notnull, default, pk in columns:
        if name in exprs or pk or not notnull or default is not None:
            continue
        kind = (kind or "").lower()
        if "date" in kind and "time" in kind:
            exprs[name] = timestamp
        elif "date" in kind:
            exprs[name] = f"'{day.isoformat()}'"
        elif "char" in kind or "text" in kind:
            exprs[name] = "''"
        else:
            exprs[name] = "0"
    sql = f'INSERT INTO "{table}" ({", ".join(exprs)}) SELECT {", ".join(exprs.values())} FROM {source}'
    return raw.execute(sql, params).rowcount
