"""截至今日欠款: what a collection case's debtor owes on the business date: what a collector quotes, and
the ceiling of a promise to pay (services.contact_record_validate).

A case's ``arrears`` is as posted (collections.arrears: penalty only as far as the ledger has posted
it, at month end and at every event, decision 0006), so between postings it lags what the debtor
owes. This reads the same overdue installments (current schedule, due on or before the day, not
paid off: principal, interest and fees once booked) and takes the penalty to the day from
``ioudesk.ious.selectors.penalty_to_date`` (posted plus run on since, the calc the posting uses),
which is what a 催款函/律师函 of that day states as penalty.

A receivables bill's case (往来账款) owes its overdue open items (``collections.bills``: what is still
open of the items due on or before the day): all of it principal (货款/服务费), no interest or penalty.

Read only (ious selectors and installment reads): no writes. For the workbench it is computed for
the rows of the page shown (two indexed reads per IOU), never for the whole list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ioudesk.ious.selectors import penalty_to_date
from ioudesk.ious.services.installments import installments_due_by, unpaid

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OwedToday:
    """The overdue part of the debt on ``as_of``, by component."""

    as_of: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fee


def owed_today(iou, day: date) -> OwedToday:
    """What is overdue on ``iou`` on ``day``: the unpaid principal, interest and fees of the
    installments due by then, and the penalty to the day."""
    principal = interest = fee = ZERO
    for row in installments_due_by(iou, day):
        if row.paid_off_on is not None:
            continue
        owed = unpaid(row)
        principal += owed["principal"]
        interest += owed["interest"]
        fee += owed["fee"]
    return OwedToday(as_of=day, principal=principal, interest=interest, penalty=penalty_to_date(iou, day), fee=fee)


def bill_owed_today(bill_id: int, day: date) -> OwedToday:
    """What is overdue on a receivables bill on ``day``: its overdue open items (as principal)."""
    from ioudesk.collections.bills import bill_overdue

    return OwedToday(as_of=day, principal=bill_overdue([bill_id], day).get(bill_id, ZERO), interest=ZERO,
                     penalty=ZERO, fee=ZERO)


def case_owed_today(case, day: date) -> OwedToday:
    """``owed_today`` of whatever the case is about: its IOU, or its receivables bill."""
    if case.iou_id is None:
        return bill_owed_today(case.bill_id, day)
    return owed_today(case.iou, day)


def owed_today_of(cases, day: date) -> dict[int, OwedToday]:
    """``owed_today`` for each case of a page (keyed by case pk): only the rows shown (a page's bill
    cases in one read)."""
    from ioudesk.collections.bills import bill_overdue

    cases = list(cases)
    bills = bill_overdue([case.bill_id for case in cases if case.iou_id is None], day)
    return {case.pk: (owed_today(case.iou, day) if case.iou_id is not None else
                      OwedToday(as_of=day, principal=bills.get(case.bill_id, ZERO), interest=ZERO, penalty=ZERO,
                                fee=ZERO))
            for case in cases}
