"""The substring index behind the customer search: "建国" finds 王建国, "悟空" finds 测试用户孙悟空.

Every name is kept, in the derived column ``Customer.name_bigrams``, as its overlapping pairs of
characters (bigrams), after folding: NFKC (full-width to ASCII), case folded, letters and digits
only (spaces and punctuation dropped)::

    王建国                 → "王建 建国"
    北京华信科技有限公司    → "北京 京华 华信 信科 科技 技有 有限 限公 公司"

A query of two or more such characters is found exactly when its bigrams are consecutive tokens
of the name's: "孙悟空" → the phrase "孙悟 悟空". Two characters are the shortest useful query in
Chinese (a given name, "建国"), which is why the tokens are bigrams and not trigrams: a trigram
index (FTS5's ``trigram`` tokenizer, pg_trgm) cannot answer a two-character query from the
index at all. Decision 0005 records the choice and the measurements.

Per database (one column, one index, no service has to know which):

* SQLite: an FTS5 table ``customers_customer_name_fts`` (``tokenize='ascii'``: only ASCII
  spaces and punctuation separate tokens, so every CJK bigram is one token) whose rowid is the
  customer's id, kept equal to the column by three triggers on ``customers_customer``.
  The lookup is ``rowid IN (SELECT rowid FROM … WHERE … MATCH '"孙悟 悟空"')``.
* PostgreSQL: a GIN index (``fastupdate = off``) on ``string_to_array(name_bigrams, ' ')``; the lookup is
  ``string_to_array(name_bigrams, ' ') @> ARRAY['孙悟', '悟空']`` (from the index), rechecked
  with ``strpos`` for the order (the bigrams must be consecutive).

Warning for later migrations (as for the ledger's triggers): on SQLite, Django alters a column of
``customers_customer`` by rebuilding the table, and dropping the old table drops its triggers. A
migration that alters that table must end with
``migrations.RunPython(ioudesk.customers.search_index.install, ioudesk.customers.search_index.noop)``;
``install`` is idempotent and refills the FTS table when it had to recreate anything.
``missing()`` lists what is absent; a test asserts nothing is.
"""

from __future__ import annotations

import unicodedata

from django.db.models import Q
from django.db.models.expressions import RawSQL

TABLE = "customers_customer"
FTS = "customers_customer_name_fts"
PG_INDEX = "customer_name_bigrams_gin"

SQLITE_TABLE = f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(bigrams, tokenize='ascii', columnsize=0)"
SQLITE_TRIGGERS = {
    f"{FTS}_insert": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON {TABLE}
        BEGIN INSERT OR REPLACE INTO {FTS}(rowid, bigrams) VALUES (new.id, new.name_bigrams); END;""",
    f"{FTS}_update": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_update AFTER UPDATE OF id, name_bigrams ON {TABLE}
        WHEN old.id IS NOT new.id OR old.name_bigrams IS NOT new.name_bigrams
        BEGIN DELETE FROM {FTS} WHERE rowid = old.id;
              INSERT OR REPLACE INTO {FTS}(rowid, bigrams) VALUES (new.id, new.name_bigrams); END;""",
    f"{FTS}_delete": f"""CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON {TABLE}
        BEGIN DELETE FROM {FTS} WHERE rowid = old.id; END;""",
}
SQLITE_REFILL = [f"DELETE FROM {FTS}",
                 f"INSERT INTO {FTS}(rowid, bigrams) SELECT id, name_bigrams FROM {TABLE} WHERE name_bigrams <> ''"]
# fastupdate off: with GIN's default pending list, every search also scans the rows inserted since
# the last VACUUM (up to 4 MB of them: 30 ms at 300,000 customers); customers are added by people,
# rarely, and searched all day.
POSTGRES_INDEX = (f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {TABLE} USING gin (string_to_array(name_bigrams, ' '))"
                  " WITH (fastupdate = off)")


def folded(text: str | None) -> str:
    """What names and queries are compared on: NFKC, case folded, letters and digits only.

    >>> folded("ＡＢＣ 贸易（深圳）·有限公司")
    'abc贸易深圳有限公司'
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text or "").casefold())
    return "".join(ch for ch in text if ch.isalnum())


def bigrams(text: str | None) -> list[str]:
    """The overlapping pairs of folded characters.

    >>> bigrams("王建国"), bigrams("张"), bigrams("")
    (['王建', '建国'], [], [])
    """
    chars = folded(text)
    return [chars[i:i + 2] for i in range(len(chars) - 1)]


def name_bigrams(name: str | None) -> str:
    """The value of ``Customer.name_bigrams`` for a name (the services derive it on every save).

    >>> name_bigrams("测试用户孙悟空")
    '测试 试用 用户 户孙 孙悟 悟空'
    """
    return " ".join(bigrams(name))


def substring_ids(query: str, vendor: str) -> Q:
    """The condition "the customer's name contains ``query``" (two or more folded characters),
    as ``pk IN (ids from the substring index)``."""
    tokens = bigrams(query)
    if not tokens:
        raise ValueError("a substring query needs at least two letters or digits")
    phrase = " ".join(tokens)
    if vendor == "sqlite":
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [f'"{phrase}"']))
    if vendor == "postgresql":
        return Q(pk__in=RawSQL(
            f"SELECT id FROM {TABLE} WHERE string_to_array(name_bigrams, ' ') @> %s::text[]"
            " AND strpos(' ' || name_bigrams || ' ', %s) > 0", [tokens, f" {phrase} "]))
    return Q(name_bigrams__contains=phrase)  # no index elsewhere, but the same answer


# --- installing the index (migrations; idempotent) -----------------------------------------------


def _connection(schema_editor=None, connection=None):
    if connection is not None:
        return connection
    if schema_editor is not None:
        return schema_editor.connection
    from django.db import connection as default

    return default


def present(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE (type = 'trigger' AND tbl_name = %s)"
                           " OR (type = 'table' AND name = %s)", [TABLE, FTS])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                           [TABLE, PG_INDEX])
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def expected(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [FTS, *SQLITE_TRIGGERS]
    if vendor == "postgresql":
        return [PG_INDEX]
    return []


def missing(connection=None) -> list[str]:
    connection = _connection(connection=connection)
    found = present(connection)
    return [name for name in expected(connection.vendor) if name not in found]


def install(apps=None, schema_editor=None, *, connection=None) -> None:
    """Create the index (and on SQLite the FTS table and its triggers) where absent; on SQLite,
    refill the FTS table from ``name_bigrams`` whenever something had to be created."""
    connection = _connection(schema_editor, connection)
    absent = missing(connection)
    if not absent:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            for sql in SQLITE_REFILL:
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INDEX)


def uninstall(apps=None, schema_editor=None, *, connection=None) -> None:
    connection = _connection(schema_editor, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def noop(apps, schema_editor) -> None:
    pass


def backfill(apps, schema_editor) -> None:
    """Derive ``name_bigrams`` for the customers saved before the column existed."""
    customer_model = apps.get_model("customers", "Customer")
    batch = []
    for customer in customer_model.objects.only("pk", "name").iterator(chunk_size=2000):
        customer.name_bigrams = name_bigrams(customer.name)
        batch.append(customer)
        if len(batch) == 2000:
            customer_model.objects.bulk_update(batch, ["name_bigrams"])
            batch = []
    if batch:
        customer_model.objects.bulk_update(batch, ["name_bigrams"])
