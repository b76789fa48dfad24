"""五级分类 set by hand: a recorded decision (docs/domain.md §13).

The IOU shows the worse of the floor by days past due and the tier set here; the daily close
never overwrites a worse hand tier. A tier better than the floor is refused (that would need an
approval, which is not modelled). Setting it is an event on the IOU: penalty is posted to date
first (decision 0006). An event module: it imports no other."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.calc import aging
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates
from ioudesk.ious.models import Classification, Iou
from ioudesk.ious.services.accrual import CLASS_TO_TIER, TIER_TO_CLASS, iou_accrue, refresh_delinquency
from ioudesk.ious.services.guards import check_user
from ioudesk.ious.services.ledgering import lock


@transaction.atomic
def iou_classify(*, iou: Iou, classification: str | None, reason: str, user) -> Iou:
    """Set (or with None clear) the IOU's hand tier. Refused: no reason, an unknown tier, a tier
    better than the floor by days past due, an IOU that is not live."""
    if user is not None:
        check_user(iou, user, predicates.ACTIONS["classify"][0])
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写调整五级分类的原因。"), extra={"field": "reason"})
    if classification is not None and classification not in Classification.values:
        raise ValidationFailed(_("未知的五级分类：%(value)s。") % {"value": classification},
                               extra={"field": "classification"})
    iou = lock(iou)
    if not predicates.can_classify(iou):
        raise InvalidState(_("只有生效、逾期或已展期的借据可以调整五级分类。"))
    today = clock.today()
    rows = iou_accrue(iou, day=today, user=user, refresh=True)  # penalty to date, delinquency as of today
    floor = aging.classification_floor(iou.days_past_due)
    if classification is not None and CLASS_TO_TIER[Classification(classification)] < floor:
        raise ValidationFailed(
            _("不能调为“%(tier)s”：逾期 %(dpd)d 天的借据至少为“%(floor)s”（五级分类只能比逾期天数对应的下限更差）。") % {
                "tier": Classification(classification).label, "dpd": iou.days_past_due,
                "floor": TIER_TO_CLASS[floor].label}, extra={"field": "classification"})
    before = {"classification": iou.classification, "classification_manual": iou.classification_manual}
    iou.classification_manual = classification
    refresh_delinquency(iou, rows, today)
    Iou.objects.filter(pk=iou.pk).update(classification_manual=classification)
    audit.record(AuditAction.ACTION, obj=iou, verb="调整五级分类", reason=reason, changes={
        "classification": [before["classification"], iou.classification],
        "classification_manual": [before["classification_manual"], classification]})
    return iou
