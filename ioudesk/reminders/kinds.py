"""Reminder rules for other things than IOU installments (``ReminderRule.applies_to``): receivables
bills (到期前提醒 and 催款通知 to the customer) and payables (what we owe soon, to our 财务 staff).
Their day step, templates (seeded by ``ioudesk setup``) and plan belong to the app that owns the bills (``ioudesk.receivables.
dunning``), which registers here at start-up: reminders imports none of it.

A registered kind gives:
- ``preview(rule, user, today) -> (subject, body, source text or "")``: the rule's template filled in
  with real data in the user's branches (source "" = the category's sample values);
- ``planned(user, day, limit) -> {"rows": [...], "total": n}``: what the close of ``day`` reminds of
  (each row: customer, document, due date, amount, rule, channel, recorded status text);
- ``used(rule)``: whether the rule has reminded anybody (such a rule is switched off, not deleted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleKindHooks:
    preview: Callable[..., tuple[str, str, str]]
    planned: Callable[..., dict]
    used: Callable[..., bool] = lambda rule: False  # noqa: E731  (has the rule reminded anybody?)


_KINDS: dict[str, RuleKindHooks] = {}


def register_rule_kind(applies_to: str, hooks: RuleKindHooks) -> None:
    _KINDS[applies_to] = hooks


def rule_kind(applies_to: str) -> RuleKindHooks | None:
    return _KINDS.get(applies_to)


def rule_kinds() -> dict[str, RuleKindHooks]:
    return dict(_KINDS)


def rule_used(rule) -> bool:
    hooks = _KINDS.get(rule.applies_to)
    return bool(hooks is not None and hooks.used(rule))
