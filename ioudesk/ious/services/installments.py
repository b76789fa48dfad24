"""Reading an IOU's current installments and what is still owed on each.

A building block at the bottom of the IOU services: every money module reads installments
through here, and it imports none of them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioudesk.core import prepared
from ioudesk.ious.models import Installment, Iou
from ioudesk.ious.services.ledgering import ZERO

# component → the installment field holding what was waived of it (减免)
WAIVED_FIELDS = {"interest": "interest_waived", "penalty": "penalty_waived", "fee": "fee_waived"}


def current_installments(iou: Iou) -> list[Installment]:
    return installments_due_by(iou, date.max)


def _installments_due_by(iou_id: int, day: date):
    return Installment.objects.filter(schedule__iou_id=iou_id, schedule__is_current=True,
                                      due_date__lte=day).order_by("number")


_DUE_BY = prepared.Select(_installments_due_by)


def installments_due_by(iou: Iou, day: date) -> list[Installment]:
    """The current installments due on or before `day`: all a repayment on `day` can touch.
    The later ones owe nothing yet (no interest accrued, no penalty, and a payment beyond what is
    due is kept as customer credit, not put on them)."""
    return _DUE_BY(iou.pk, day)


def unpaid(row: Installment) -> dict[str, Decimal]:
    """What is still owed on an installment, by component (interest and fee only once due)."""
    return {
        "principal": row.principal_due - row.principal_paid,
        "interest": (row.interest_due - row.interest_paid - row.interest_waived) if row.interest_accrued else ZERO,
        "fee": (row.fee_due - row.fee_paid - row.fee_waived) if row.interest_accrued else ZERO,
        "penalty": row.penalty_charged - row.penalty_paid - row.penalty_waived,
    }
