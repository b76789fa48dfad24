"""展期/重组: a new schedule for the outstanding principal from a date, keeping the old one.

What is already owed (interest, fees, penalty that fell due, and principal of installments
already due) is carried into an installment 0 due on the effective date, so nothing owed is lost
or counted twice; the outstanding principal of later installments is scheduled again over the new
term, at the new rate if one is given. Asking for an extension acknowledges the debt, so the
limitation clock restarts from the new last due date (Civil Code art. 195); the legal cap is
checked again for the new terms. The new schedule version is made by schedules.reschedule (shared
with 追加放款).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.services import organisation_current
from ioudesk.ious import predicates, status
from ioudesk.ious.approval_codes import IOU_EXTEND
from ioudesk.ious.models import Iou, ScheduleVersion
from ioudesk.ious.services import idempotency
from ioudesk.ious.services.accrual import iou_accrue, refresh_delinquency
from ioudesk.ious.services.guards import approval_gate, check_user
from ioudesk.ious.services.installments import current_installments
from ioudesk.ious.services.ledgering import lock
from ioudesk.ious.services.schedules import reschedule
from ioudesk.ious.status import Event
from ioudesk.ious.terms import cap_check
from ioudesk.products.services import terms_rate


@transaction.atomic
def iou_extend(*, iou: Iou, term: int, user, reason: str, rate_text: str | None = None,
               first_due: date | None = None, idempotency_key: str | None = None, approval=None) -> ScheduleVersion:
    """The same idempotency key with the same request extends once and returns the first new
    schedule version; with another request it is refused (services/idempotency.py). When an
    approval flow applies (kind ``iou_extend``), only with its approved request (``approval``)."""
    request = idempotency.request_hash("extension", iou=iou.pk, term=term, reason=reason, rate_text=rate_text,
                                       first_due=first_due)
    iou = lock(iou)
    check_user(iou, user, "ious.extend_iou")
    existing = idempotency.replayed_version(idempotency_key, iou=iou, request=request)  # after the lock
    if existing is not None:
        return existing
    if not predicates.can_extend(iou):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能展期。") % {
            "number": iou.number, "status": iou.get_status_display()})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写展期/重组的原因。"))
    if not 1 <= int(term) <= 600:
        raise ValidationFailed(_("展期后的期数应在1到600之间。"))
    approval_gate(IOU_EXTEND, iou, amount=iou.principal_outstanding, approval=approval)
    day = clock.today()
    iou_accrue(iou, day=day, user=user)
    before = {"term": iou.term, "rate_text": iou.rate_text, "maturity_date": str(iou.maturity_date)}
    if rate_text:
        iou.annual_rate, iou.rate_text = terms_rate(rate_text).annual, rate_text
    version, new_schedule, new_terms = reschedule(iou, day=day, term=int(term), reason=reason, first_due=first_due)
    if idempotency_key:
        version.idempotency_key, version.request_hash = idempotency_key, request
        version.save(update_fields=["idempotency_key", "request_hash"])
    check = cap_check(iou, organisation_cap_applies=organisation_current().interest_cap_applies,
                      schedule=new_schedule, terms=new_terms)
    iou.cap_checked_on, iou.cap_rate, iou.cap_within, iou.cap_rule = day, check.cap_rate, check.within, check.rule
    iou.cap_unprotected_interest = check.unprotected_interest
    status.transition(iou, Event.EXTEND)
    iou.save()
    refresh_delinquency(iou, current_installments(iou), day)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("展期/重组"), reason=reason, changes={
        "term": [before["term"], iou.term], "rate_text": [before["rate_text"], iou.rate_text],
        "maturity_date": [before["maturity_date"], str(iou.maturity_date)]})
    if check.warning:
        audit.record(AuditAction.ACTION, obj=iou, verb=_g("利率超过保护上限"), reason=check.warning)
    return version
