"""Counters other apps register so that screening can ask without importing them.

``DUPLICATE_COUNTERS``: callables ``(facts, days) -> int`` giving how many other applications with
the same ID number (or phone) were made in the ``days`` before ``facts.applied_on``. The
applications app registers one in its ``ready()``; with none registered the duplicate rule passes
and says it could not check."""

from __future__ import annotations

from collections.abc import Callable

DUPLICATE_COUNTERS: list[Callable] = []


def register_duplicate_counter(counter: Callable) -> None:
    if counter not in DUPLICATE_COUNTERS:
        DUPLICATE_COUNTERS.append(counter)
