"""A new schedule version from a date (the old one kept): what is already owed moves to an
installment 0 due that day and the outstanding principal not yet due is scheduled again.

Shared by 展期/重组 (restructure.py) and 追加放款 (disbursement.py); below both.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from ioudesk.calc.schedule import generate_schedule
from ioudesk.core.errors import InvalidState
from ioudesk.ious.models import Installment, Iou, ScheduleKind, ScheduleVersion
from ioudesk.ious.services.installments import current_installments, unpaid
from ioudesk.ious.services.ledgering import ZERO
from ioudesk.ious.terms import calc_guard, loan_terms, set_last_due


def reschedule(iou: Iou, *, day: date, term: int, reason: str, first_due: date | None = None,
               kind: str = ScheduleKind.EXTENSION):
    """Replace the current schedule from `day`: what is already owed moves to an installment 0
    due on `day`; the outstanding principal not yet due is scheduled again over `term`.
    Returns the new ScheduleVersion, the calc Schedule and the terms it was made from."""
    if not iou.schedules.filter(is_current=True).exists():
        raise InvalidState(_("该欠条未约定还款期限，没有还款计划可以展期。"))
    rows = current_installments(iou)
    carried = {k: sum((max(unpaid(row)[k], ZERO) for row in rows if row.due_date <= day or k == "penalty"), ZERO)
               for k in ("principal", "interest", "fee", "penalty")}
    to_schedule = iou.principal_outstanding - carried["principal"]
    if to_schedule <= 0:
        raise InvalidState(_("没有未到期的本金可以展期；请直接催收或登记还款。"))
    new_terms = loan_terms(iou, start=day, principal=to_schedule, term=term, first_due=first_due,
                           upfront_charges=False)
    new_schedule = calc_guard(generate_schedule, new_terms)
    current = ScheduleVersion.objects.get(iou=iou, is_current=True)
    current.is_current = False
    current.save(update_fields=["is_current"])
    version = ScheduleVersion.objects.create(iou=iou, version=current.version + 1, effective_from=day,
                                             reason=reason, kind=kind, term=term, rate_text=iou.rate_text,
                                             annual_rate=iou.annual_rate)
    if any(carried.values()):
        Installment.objects.create(
            schedule=version, number=0, due_date=day, principal_due=carried["principal"],
            interest_due=carried["interest"], fee_due=carried["fee"], interest_accrued=True,
            penalty_charged=carried["penalty"], penalty_accrued_to=day,
        )
    Installment.objects.bulk_create([
        Installment(schedule=version, number=row.number, due_date=row.due_date, principal_due=row.principal,
                    interest_due=row.interest, fee_due=row.fee)
        for row in new_schedule.installments
    ])
    iou.term = term
    set_last_due(iou, new_schedule.installments[-1].due_date)
    return version, new_schedule, new_terms
