"""The approval gate of core's own sensitive operations (moving the business date back, changing a
role's permissions), filled by the approvals app at start-up so that core never imports it (as
``ious/origination_checks.ORIGINATION_CHECKS`` is filled by legal).

A gate is ``gate(kind, *, target, approval=None, **conditions)``: it returns when the operation may
go ahead (no approval flow applies to it, or ``approval`` is the approved request for it) and raises
an ``ApplicationError`` (``approval_required``) otherwise. docs/domain.md §23."""

from __future__ import annotations

from collections.abc import Callable

APPROVAL_GATES: list[Callable[..., None]] = []


def approval_gate(kind: str, *, target, approval=None, **conditions) -> None:
    for gate in APPROVAL_GATES:
        gate(kind, target=target, approval=approval, **conditions)
