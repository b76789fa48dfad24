"""逾期欠款 (a case's arrears), measured as posted (docs/domain.md §20): on the IOU's current schedule,
every installment due on or before the day, what it still owes of principal, of interest and fees
once booked (``interest_accrued``), and of penalty posted (罚息 posted at month end and at every
event: decision 0006; penalty run on since is not added, as the reminders do not add it).

One expression, used both for a few IOUs (``arrears_of``) and inside the close's one UPDATE over
every open case (``arrears_subquery``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Case as SqlCase
from django.db.models import F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from ioudesk.core.fields import MoneyField
from ioudesk.ious.models import Installment

ZERO = Decimal("0.00")


def _owed():
    booked = (F("interest_due") - F("interest_paid") - F("interest_waived")
              + F("fee_due") - F("fee_paid") - F("fee_waived"))
    return (F("principal_due") - F("principal_paid")
            + SqlCase(When(interest_accrued=True, then=booked), default=Value(0), output_field=MoneyField())
            + F("penalty_charged") - F("penalty_paid") - F("penalty_waived"))


def _installments(day: date):
    return Installment.objects.filter(schedule__is_current=True, due_date__lte=day, paid_off_on__isnull=True)


def arrears_subquery(day: date, iou_ref: str = "iou_id"):
    """The arrears of the IOU ``OuterRef(iou_ref)`` as of ``day``, as a subquery (0 when none)."""
    total = (_installments(day).filter(schedule__iou_id=OuterRef(iou_ref)).order_by()
             .values("schedule__iou_id").annotate(total=Sum(_owed(), output_field=MoneyField())).values("total")[:1])
    return Coalesce(Subquery(total, output_field=MoneyField()), Value(0), output_field=MoneyField())


def arrears_of(iou_ids, day: date) -> dict[int, Decimal]:
    """The arrears of these IOUs as of ``day`` (IOUs owing nothing overdue are absent)."""
    rows = (_installments(day).filter(schedule__iou_id__in=list(iou_ids)).order_by().values("schedule__iou_id")
            .annotate(total=Sum(_owed(), output_field=MoneyField())))
    return {row["schedule__iou_id"]: row["total"] or ZERO for row in rows if row["total"]}
