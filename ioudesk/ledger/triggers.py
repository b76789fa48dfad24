"""The database's own guard over the ledger tables, per vendor.

SQLite: triggers abort any UPDATE of an entry or posting. DELETE is left to the application (the
model and queryset refuse it) because Django's test flush empties tables with DELETE; ``ledger
verify`` catches an entry left unbalanced by one.
PostgreSQL: triggers abort any UPDATE or DELETE (the test flush uses TRUNCATE), and a deferred
constraint trigger checks at COMMIT that each entry touched has at least two postings and that its
debits equal its credits (after django-hordak's ``check_leg``), so not even raw SQL can commit an
unbalanced entry.

Warning for later migrations: on SQLite, Django alters a column by rebuilding the table, and
dropping the old table drops its triggers. A migration that alters ``ledger_journalentry`` or
``ledger_posting`` (for example turning ``iou_id`` into a ForeignKey) must end with
``migrations.RunPython(ioudesk.ledger.triggers.install, ioudesk.ledger.triggers.noop)``; ``install``
is idempotent. ``missing()`` lists absent triggers and ``ledger verify`` reports them.
"""

from __future__ import annotations

SQLITE_TRIGGERS = {
    "ledger_journalentry_no_update": """CREATE TRIGGER IF NOT EXISTS ledger_journalentry_no_update
        BEFORE UPDATE ON ledger_journalentry
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;""",
    "ledger_posting_no_update": """CREATE TRIGGER IF NOT EXISTS ledger_posting_no_update
        BEFORE UPDATE ON ledger_posting
        BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;""",
}

POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
             USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger AS $$
       DECLARE
           target_id BIGINT;
           lines INT;
           debits BIGINT;
           credits BIGINT;
       BEGIN
           IF TG_TABLE_NAME = 'ledger_posting' THEN target_id := NEW.entry_id; ELSE target_id := NEW.id; END IF;
           SELECT COUNT(*), COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0)
             INTO lines, debits, credits FROM ledger_posting WHERE entry_id = target_id;
           IF lines < 2 THEN
               RAISE EXCEPTION 'ledger entry % has % posting(s); at least two are required', target_id, lines
                   USING ERRCODE = 'check_violation';
           END IF;
           IF debits <> credits THEN
               RAISE EXCEPTION 'ledger entry % is unbalanced: debits % fen, credits % fen', target_id, debits, credits
                   USING ERRCODE = 'check_violation';
           END IF;
           RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
]

POSTGRES_TRIGGERS = {
    "ledger_journalentry_no_change": """CREATE TRIGGER ledger_journalentry_no_change
        BEFORE UPDATE OR DELETE ON ledger_journalentry
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    "ledger_posting_no_change": """CREATE TRIGGER ledger_posting_no_change
        BEFORE UPDATE OR DELETE ON ledger_posting
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    "ledger_posting_balanced": """CREATE CONSTRAINT TRIGGER ledger_posting_balanced
        AFTER INSERT ON ledger_posting DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();""",
    "ledger_journalentry_balanced": """CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced
        AFTER INSERT ON ledger_journalentry DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();""",
}
_PG_TABLES = {
    "ledger_journalentry_no_change": "ledger_journalentry",
    "ledger_posting_no_change": "ledger_posting",
    "ledger_posting_balanced": "ledger_posting",
    "ledger_journalentry_balanced": "ledger_journalentry",
}


def expected(vendor: str) -> list[str]:
    return list({"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(vendor, {}))


def present(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger_%'")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'ledger_%'")
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def missing(connection) -> list[str]:
    found = present(connection)
    return [name for name in expected(connection.vendor) if name not in found]


def install(apps=None, schema_editor=None, *, connection=None):
    """Create whatever guard is missing (usable as a RunPython forwards function)."""
    connection = connection or schema_editor.connection
    execute = _executor(connection, schema_editor)
    if connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            execute(statement)
    elif connection.vendor == "postgresql":
        for statement in POSTGRES_FUNCTIONS:
            execute(statement)
        found = present(connection)
        for name, statement in POSTGRES_TRIGGERS.items():
            if name not in found:
                execute(statement)


def uninstall(apps=None, schema_editor=None, *, connection=None):
    connection = connection or schema_editor.connection
    execute = _executor(connection, schema_editor)
    if connection.vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            execute(f"DROP TRIGGER IF EXISTS {name};")
    elif connection.vendor == "postgresql":
        for name, table in _PG_TABLES.items():
            execute(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        execute("DROP FUNCTION IF EXISTS ledger_check_entry();")
        execute("DROP FUNCTION IF EXISTS ledger_append_only();")


def noop(apps, schema_editor):
    pass


def _executor(connection, schema_editor=None):
    """Run a statement without parameters: PL/pgSQL's RAISE uses % as its own placeholder."""
    if schema_editor is not None:
        return lambda statement: schema_editor.execute(statement, params=None)

    def execute(statement):
        with connection.cursor() as cursor:
            cursor.execute(statement)

    return execute
