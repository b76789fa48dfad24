"""The reports' reading of IOU dimensions that may not be recorded (issue 14, docs/domain.md §27):

- 担保方式 (``Iou.guarantee_type``): NULL reads as 保证 (guarantee) when a guarantor is named on the
  IOU, else 信用 (credit);
- 借款用途 (``Iou.purpose_category``): NULL reads as 其他 (other).

One expression each, so every report, the month-end snapshot and the daily figures count the same
way. ``prefix`` reaches the IOU from another model (``"iou__"``)."""

from __future__ import annotations

from django.db.models import Case, CharField, F, Q, Value, When

from ioudesk.ious.models import GuaranteeType, Purpose


def guarantee_expr(prefix: str = ""):
    """The IOU's 担保方式 code (GuaranteeType value) as an SQL expression."""
    return Case(
        When(**{f"{prefix}guarantee_type__isnull": False}, then=F(f"{prefix}guarantee_type")),
        When(~Q(**{f"{prefix}guarantor": ""}), then=Value(GuaranteeType.GUARANTEE.value)),
        default=Value(GuaranteeType.CREDIT.value),
        output_field=CharField(),
    )


def purpose_expr(prefix: str = ""):
    """The IOU's 借款用途 code (Purpose value) as an SQL expression."""
    return Case(
        When(**{f"{prefix}purpose_category__isnull": False}, then=F(f"{prefix}purpose_category")),
        default=Value(Purpose.OTHER.value),
        output_field=CharField(),
    )


def guarantee_of(guarantee_type: str | None, guarantor: str) -> str:
    """The same reading in Python, for one IOU."""
    if guarantee_type:
        return guarantee_type
    return GuaranteeType.GUARANTEE.value if guarantor else GuaranteeType.CREDIT.value


def purpose_of(purpose_category: str | None) -> str:
    return purpose_category or Purpose.OTHER.value
