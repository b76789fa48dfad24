"""The defaulter list's check on a new IOU, registered into ``ious.origination_checks`` at start-up
(legal is above ious: ious never imports legal)."""

from __future__ import annotations

from django.utils.translation import gettext as _g

from ioudesk.ious.origination_checks import OriginationWarning
from ioudesk.legal.selectors import defaulter_match


def defaulter_check(iou) -> list[OriginationWarning]:
    found = defaulter_match(customer=iou.customer)
    return [OriginationWarning(
        code="defaulter_listed",
        message=_g("债务人%(name)s已列入%(source)s（%(day)s，原因：%(reason)s）") % {
            "name": d.name, "source": d.get_source_display(), "day": d.listed_on.isoformat(), "reason": d.reason})
        for d in found]
