"""Prepared statements for hot paths: SQL compiled once per model, then run again with new values.

Django builds and compiles the SQL of every queryset, insert and update afresh. On most pages that
is nothing next to the query; on a repayment (a dozen statements in one transaction, many a second)
building SQL cost more than the database did. These helpers compile a statement once per model
and connection and reuse it, with the conversions the ORM itself applies: ``get_db_prep_save``
(and ``pre_save``, so ``auto_now`` works) on the way in, the compiler's converters (MoneyField fen
→ yuan, SQLite's booleans) on the way out, and ``Model.from_db`` to build instances.

What they leave out, on purpose:

- Model signals. The project connects no receivers to the models these are used for.
- Custom ``save()`` methods. ``update()`` refuses a model that has one. ``insert()`` accepts only
  models whose ``save()`` is Django's own or that declare ``prepared_insert = True``: their
  ``save()`` adds nothing to a new row (the append-only ledger and audit trail refuse updates,
  and that is all).
"""

from __future__ import annotations

import inspect
import typing
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import DatabaseError, connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.transaction import TransactionManagementError

DEFAULT_DB = "default"
_MARKER = -7_070_707_070_707  # stands in for parameter i (as _MARKER - i) while a select compiles
_DATE_MARKER = date(1, 1, 1)  # … and for a date parameter i, as _DATE_MARKER + i days


@dataclass(frozen=True)
class _SelectPlan:
    sql: str
    params: tuple
    positions: tuple[tuple[int, ...], ...]  # for each argument, where it goes in params
    model: type[models.Model]
    names: tuple[str, ...]
    compiler: Any
    converters: dict
    locks: bool
    plain_init: bool  # no pre_init/post_init receivers: instances can be built without __init__


def _loaded(model: type[models.Model], names: tuple[str, ...], row, using: str) -> models.Model:
    """An instance as ``Model.from_db`` builds it, without going through ``__init__``: the values
    have been through the fields' converters already (a MoneyField's fen are exact yuan), so the
    attribute descriptors' checks on assignment have nothing to add, and fields not selected stay
    deferred. Used only for models without pre_init/post_init receivers."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, row, strict=True))
    state = obj._state = ModelState()
    state.adding, state.db = False, using
    return obj


class Select:
    """A queryset compiled once and run again with other arguments; returns a list of instances.

        current_installments = Select(lambda iou_id: Installment.objects.filter(
            schedule__iou_id=iou_id, schedule__is_current=True).order_by("number"))
        rows = current_installments(iou.pk)

    ``build`` is called once, with stand-in values, to compile the SQL; its arguments must be
    values the ORM passes to the database unchanged: ids and other integers, text compared with
    a text field (``exact``, not ``iexact`` or ``contains``), or dates compared with a date field,
    for arguments annotated ``date`` (``def build(iou_id: int, day: date)``). Plain model
    querysets only: ``filter``, ``order_by``, ``only``, ``select_for_update`` and slicing work;
    ``select_related``, ``values`` and annotations do not (refused when compiled)."""

    def __init__(self, build: Callable[..., models.QuerySet]):
        self.build = build
        parameters = list(inspect.signature(build).parameters)
        self.arity = len(parameters)
        hints = typing.get_type_hints(build) if parameters else {}
        self.dates = tuple(hints.get(name) is date for name in parameters)
        # One plan per connection object (each thread has its own): the compiler and its converters
        # belong to the connection they were made with.
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, *args, using: str = DEFAULT_DB) -> list[models.Model]:
        if len(args) != self.arity:
            raise TypeError(f"expected {self.arity} arguments, got {len(args)}")
        connection = connections[using]
        plan = self._plans.get(connection) or self._compile(using)
        if plan.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(plan.params)
        for positions, value, is_date in zip(plan.positions, args, self.dates, strict=True):
            if is_date:
                value = connection.ops.adapt_datefield_value(value)
            for position in positions:
                params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        if plan.plain_init:
            return [_loaded(plan.model, plan.names, row, using) for row in rows]
        from_db, names = plan.model.from_db, plan.names
        return [from_db(using, names, row) for row in rows]

    def _compile(self, using: str) -> _SelectPlan:
        ops = connections[using].ops
        markers = [_DATE_MARKER + timedelta(days=i) if is_date else _MARKER - i for i, is_date in enumerate(self.dates)]
        queryset = self.build(*markers).using(using)
        query = queryset.query
        if query.select_related or query.annotations or queryset._fields is not None or queryset._prefetch_related_lookups:
            raise ValueError("Select supports plain model querysets only (no select_related, values or annotations)")
        compiler = query.get_compiler(using=using)
        # A select_for_update compiles only inside a transaction (on PostgreSQL; checked everywhere).
        if query.select_for_update and connections[using].get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        sql, params = compiler.as_sql()
        # A text field's lookup gets the marker as a string (CharField.to_python).
        # A date arrives as the backend adapts it (SQLite: text).
        stand_ins = [{marker, ops.adapt_datefield_value(marker)} if isinstance(marker, date) else {marker, str(marker)}
                     for marker in markers]
        positions = tuple(tuple(i for i, p in enumerate(params) if any(p == x for x in found)) for found in stand_ins)
        if any(not found for found in positions):
            raise ValueError("an argument of Select did not reach the SQL unchanged; use ids, integers, exact text or dates")
        columns = [column for column, _sql, _alias in compiler.select]
        names = tuple(column.target.attname for column in columns)
        plan = _SelectPlan(sql=sql, params=tuple(params), positions=positions, model=queryset.model, names=names,
                           compiler=compiler, converters=compiler.get_converters(columns),
                           locks=bool(query.select_for_update),
                           plain_init=not (signals.pre_init.has_listeners(queryset.model)
                                           or signals.post_init.has_listeners(queryset.model)))
        self._plans[connections[using]] = plan
        return plan


# --- writes -------------------------------------------------------------------------------------

_insert_plans: dict[tuple, tuple[str, list[models.Field]]] = {}
_update_plans: dict[tuple, tuple[str, list[models.Field]]] = {}


def insert(obj: models.Model, *, using: str = DEFAULT_DB) -> models.Model:
    """INSERT one new instance, as ``obj.save()`` would for a new row; sets its id."""
    insert_many([obj], using=using)
    return obj


def insert_many(objs: Sequence[models.Model], *, using: str = DEFAULT_DB) -> None:
    """INSERT new instances of one model in one statement; sets their ids (RETURNING)."""
    if not objs:
        return
    model = type(objs[0])
    if model.save is not models.Model.save and not getattr(model, "prepared_insert", False):
        raise TypeError(f"{model.__name__} has its own save(); save it through the ORM")
    connection = connections[using]
    key = (model, using, len(objs))
    plan = _insert_plans.get(key)
    if plan is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.pk.column)}")
        plan = _insert_plans[key] = (sql, fields)
    sql, fields = plan
    params = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise ValueError("insert_many takes new instances (no id yet) of one model")
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    if len(ids) != len(objs):
        raise DatabaseError(f"insert returned {len(ids)} ids for {len(objs)} rows")
    attname = model._meta.pk.attname
    for obj, (pk,) in zip(objs, ids, strict=True):
        setattr(obj, attname, pk)
        obj._state.adding = False
        obj._state.db = using


def update(obj: models.Model, fields: Sequence[str], *, using: str = DEFAULT_DB) -> None:
    """UPDATE the named fields of a saved instance, as ``obj.save(update_fields=fields)`` does
    (``auto_now`` fields among them are set to now)."""
    model = type(obj)
    if model.save is not models.Model.save:
        raise TypeError(f"{model.__name__} has its own save(); save it through the ORM")
    if obj.pk is None:
        raise ValueError("update takes a saved instance")
    connection = connections[using]
    key = (model, using, tuple(fields))
    plan = _update_plans.get(key)
    if plan is None:
        meta = model._meta
        concrete = [meta.get_field(name) for name in fields]
        quote = connection.ops.quote_name
        sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in concrete)} "
               f"WHERE {quote(meta.pk.column)} = %s")
        plan = _update_plans[key] = (sql, concrete)
    sql, concrete = plan
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in concrete]
    params.append(obj.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
