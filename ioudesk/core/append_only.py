"""Tables whose rows are written once (contact records, approval decisions …), guarded by their model
and queryset (``AppendOnlyModel``, ``AppendOnlyQuerySet``: an app subclasses them with its own message)
and by the database: SQLite aborts any UPDATE (DELETE is left to the application,
because Django's test flush empties tables with DELETE), PostgreSQL aborts UPDATE and DELETE (its
flush truncates). A correction is a new row.

A migration installs the guard with ``operations = [append_only.operation("app_table", ...)]``.
"""

from __future__ import annotations

from django.db import migrations, models


class AppendOnlyQuerySet(models.QuerySet):
    message = "记录只能追加，不能修改或删除；更正请新增一条记录。"

    def update(self, **kwargs):
        raise PermissionError(self.message)

    def delete(self):
        raise PermissionError(self.message)


class AppendOnlyModel(models.Model):
    """Rows written once: saving a stored row again or deleting one is refused (a correction is a new row)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError(self._refusal())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(self._refusal())

    def _refusal(self) -> str:
        return type(self)._default_manager.get_queryset().message


def _sqlite(table: str) -> list[str]:
    return [f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"""]


def _postgres(table: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""",
    ]


def _drop(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update;"]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
                f"DROP FUNCTION IF EXISTS {table}_append_only();"]
    return []


def operation(*tables: str) -> migrations.RunPython:
    """The migration operation that installs (and, backwards, removes) the guard on ``tables``."""

    def forwards(apps, schema_editor):
        build = {"sqlite": _sqlite, "postgresql": _postgres}.get(schema_editor.connection.vendor)
        for table in tables:
            for statement in build(table) if build else []:
                schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        for table in tables:
            for statement in _drop(schema_editor.connection.vendor, table):
                schema_editor.execute(statement)

    return migrations.RunPython(forwards, backwards)
