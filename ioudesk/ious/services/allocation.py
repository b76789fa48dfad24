"""Putting money on what is due (docs/domain.md §9): what can be paid on a day, the allocation by
the IOU's strategy, its effect on the installments, and customer credit (溢缴款) applied to what
fell due (§10).

Below accrual (which applies credit when installments fall due) and payments (which allocate a
payment); it imports neither.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _g

from ioudesk.calc.allocation import Direction, DueItem, Strategy, allocate
from ioudesk.core import prepared
from ioudesk.ious.models import Installment, Iou, PaymentMethod, PaymentSource, Transaction, TransactionKind
from ioudesk.ious.services.installments import unpaid
from ioudesk.ious.services.ledgering import ZERO, post
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line

RECEIVABLE = {"penalty": AccountCode.PENALTY_RECEIVABLE, "fee": AccountCode.FEES_RECEIVABLE,
              "interest": AccountCode.INTEREST_RECEIVABLE, "principal": AccountCode.LOANS}
STRATEGIES = {
    "penalty_fee_interest_principal": Strategy.PENALTY_FEE_INTEREST_PRINCIPAL,
    "interest_principal_fee_penalty": Strategy.INTEREST_PRINCIPAL_FEE_PENALTY,
    "principal_first": Strategy.PRINCIPAL_FIRST,
}


def dues_on(rows: list[Installment], day: date) -> list[DueItem]:
    """What can be paid on `day`: everything on installments due by then, and penalties anywhere."""
    items = []
    for row in rows:
        owed = unpaid(row)
        if row.due_date > day:
            owed = {"principal": ZERO, "interest": ZERO, "fee": ZERO, "penalty": owed["penalty"]}
        if any(v > 0 for v in owed.values()):
            items.append(DueItem(row.number, **{k: max(v, ZERO) for k, v in owed.items()}))
    return items


def allocate_for(iou: Iou, amount: Decimal, rows: list[Installment], day: date):
    return calc_guard(allocate, amount, dues_on(rows, day), strategy=STRATEGIES[iou.allocation_order],
                      direction=Direction(iou.allocation_direction))


def apply_allocation(rows: list[Installment], allocation, day: date, sign: int = 1) -> list[dict]:
    """Add (or with sign=-1 take back) what an allocation paid on each installment."""
    by_number = {row.number: row for row in rows}
    breakdown = []
    for line in allocation:
        number = line["number"] if isinstance(line, dict) else line.number
        parts = {k: (line[k] if isinstance(line, dict) else getattr(line, k)) for k in RECEIVABLE}
        parts = {k: Decimal(str(v)) for k, v in parts.items()}
        if not any(parts.values()):
            continue
        row = by_number[number]
        row.principal_paid += sign * parts["principal"]
        row.interest_paid += sign * parts["interest"]
        row.fee_paid += sign * parts["fee"]
        row.penalty_paid += sign * parts["penalty"]
        row.paid_off_on = day if sign > 0 and not any(v > 0 for v in unpaid(row).values()) \
            and row.interest_accrued else (None if sign < 0 else row.paid_off_on)
        prepared.update(row, ["principal_paid", "interest_paid", "fee_paid", "penalty_paid", "paid_off_on"])
        breakdown.append({"number": number, **{k: str(v) for k, v in parts.items()}})
    return breakdown


def totals(breakdown: list[dict]) -> dict[str, Decimal]:
    return {k: sum((Decimal(line[k]) for line in breakdown), ZERO) for k in RECEIVABLE}


def credit_lines(totals_: dict[str, Decimal]) -> list[Line]:
    return [Line(RECEIVABLE[k], credit=v, component="") for k, v in totals_.items() if v]


def apply_credit(iou: Iou, rows: list[Installment], *, day: date, user=None,
                 set_off: bool = False) -> Transaction | None:
    """Customer credit (溢缴款) pays what has fallen due: Dr 客户溢缴款 / Cr the receivables.
    `set_off`: against everything owed, due or not, as before a write-off (docs/domain.md §10)."""
    allocation = allocate_for(iou, iou.overpayment, rows, date.max if set_off else day)
    if allocation.applied <= 0:
        return None
    breakdown = apply_allocation(rows, allocation.lines, day)
    paid = totals(breakdown)
    entry = post(iou, kind=EntryKind.REPAYMENT, day=day, user=user, memo=f"{_g('溢缴款冲抵')} {iou.number}",
                 lines=[Line(AccountCode.CUSTOMER_CREDIT, debit=allocation.applied), *credit_lines(paid)])
    return Transaction.objects.create(
        iou=iou, kind=TransactionKind.REPAYMENT, source=PaymentSource.CREDIT, day=day, amount=allocation.applied,
        method=PaymentMethod.OTHER, payer=_g("溢缴款冲抵"), allocation=breakdown, entry_id=entry.pk, created_by=user,
        reason=_g("核销前以溢缴款抵销欠款（民法典第五百六十八条）") if set_off else "", **paid,
    )
