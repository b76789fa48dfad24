"""Posting an IOU's money events: one journal entry and the IOU's balances, in one transaction.

The balances are changed from the very lines that are posted (debit − credit on the receivable
accounts, credit − debit on customer credit, by ledger.chart.ACCOUNT_COMPONENTS), so they cannot
drift from the ledger; `ioudesk ledger verify` proves it after the fact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioudesk.core import prepared
from ioudesk.ious.models import Iou
from ioudesk.ledger.chart import ACCOUNT_COMPONENTS, AccountCode
from ioudesk.ledger.services import Line, post_entry

# component → the IOU field holding its balance
BALANCE_FIELDS = {
    "principal": "principal_outstanding",
    "interest": "interest_outstanding",
    "penalty": "penalty_outstanding",
    "fee": "fee_outstanding",
    "overpayment": "overpayment",
    "written_off_principal": "written_off_principal",
    "written_off_interest": "written_off_interest",
}
CREDIT_NORMAL = {AccountCode.CUSTOMER_CREDIT}


def lock(iou: Iou) -> Iou:
    """The IOU row, locked for the rest of the transaction (PostgreSQL: SELECT … FOR UPDATE;
    SQLite: the IMMEDIATE transaction already holds the database's write lock)."""
    rows = _LOCKED(iou.pk)
    if not rows:
        raise Iou.DoesNotExist(f"IOU {iou.pk} does not exist")
    return rows[0]


# Compiled once: the money services run these on every call (see core.prepared).
_LOCKED = prepared.Select(lambda pk: Iou.objects.select_for_update().filter(pk=pk))


def apply_lines(iou: Iou, lines: list[Line]) -> list[str]:
    """Move the IOU's balances by the lines; returns the fields changed."""
    changed = set()
    for line in lines:
        component = ACCOUNT_COMPONENTS.get(str(line.account_code))
        if component is None:
            continue
        field = BALANCE_FIELDS[component]
        delta = line.debit - line.credit
        if line.account_code in CREDIT_NORMAL:
            delta = -delta
        setattr(iou, field, getattr(iou, field) + delta)
        changed.add(field)
    return sorted(changed)


def post(iou: Iou, *, kind: str, lines: list[Line], day: date, memo: str, user=None,
         idempotency_key: str | None = None, reverses=None, save: bool = True):
    """Post the entry for this IOU and move its balances; the IOU must be locked by the caller.
    `save=False` when the caller saves the IOU (with all its balances) itself right after."""
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        return None  # nothing to post (e.g. no broken-period interest when settling on a due date)
    # The IOU service records the business event in the audit trail; the entry itself is on the
    # ledger, which is append-only and points back to the IOU.
    entry = post_entry(kind=kind, lines=lines, memo=memo[:200], iou_id=iou.pk, day=day,
                       idempotency_key=idempotency_key, reverses=reverses, user=user, audited=False)
    fields = apply_lines(iou, lines)
    if fields and save:
        prepared.update(iou, [*fields, "updated_at"])
    return entry


ZERO = Decimal("0.00")
