"""Reads about IOUs, always through the data scope: the list's "due this week", the IOU page (terms,
schedule with a state per installment, transactions, postings, approvals, audit trail) and the
IOU part of the customer 360 page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.rates import percent
from ioudesk.core import audit, clock, scope
from ioudesk.ious.models import LIVE_STATUSES, Installment, Iou, ScheduleVersion, Status, Transaction
from ioudesk.ious.services.installments import unpaid
from ioudesk.ledger.selectors import entries_for_iou

ZERO = Decimal("0.00")

# Colours of the status labels (the ioudesk-tag-* classes of backoffice.css, Unfold's label names).
STATUS_COLOURS = {
    Status.DRAFT: "info", Status.PENDING_APPROVAL: "warning", Status.APPROVED: "primary",
    Status.ACTIVE: "success", Status.OVERDUE: "danger", Status.EXTENDED: "warning",
    Status.SETTLED: "info", Status.WRITTEN_OFF: "danger", Status.CANCELLED: "info",
}


def iou_queryset(user) -> QuerySet:
    return scope.scope_queryset(user, Iou.objects.select_related("customer", "branch", "officer", "product"))


def iou_get(*, user, pk) -> Iou:
    """The IOU if the user's branches include it; 404 otherwise (as if it did not exist)."""
    iou = iou_queryset(user).filter(pk=pk).first()
    if iou is None:
        raise Http404(_("借据不存在，或您无权查看。"))
    return iou


def transaction_get(*, user, iou: Iou, pk) -> Transaction:
    record = Transaction.objects.filter(iou=iou, pk=pk).select_related("iou").first()
    if record is None:
        raise Http404(_("交易不存在。"))
    return record


# --- due this week ----------------------------------------------------------------------------


def week_of(day: date | None = None) -> tuple[date, date]:
    """The business date and the seven days after it."""
    day = day or clock.today()
    return day, day + timedelta(days=7)


def ious_due_between(queryset: QuerySet, start: date, end: date) -> QuerySet:
    """The live IOUs of ``queryset`` with an unpaid installment of the current schedule due
    between ``start`` and ``end`` (inclusive)."""
    due = Installment.objects.filter(
        schedule__is_current=True, due_date__gte=start, due_date__lte=end, paid_off_on__isnull=True,
    ).values("schedule__iou_id")
    return queryset.filter(pk__in=due, status__in=LIVE_STATUSES)


def next_due_dates(iou_ids: list[int]) -> dict[int, date]:
    """Each IOU's earliest unpaid installment due date on its current schedule."""
    rows = (
        Installment.objects.filter(schedule__iou_id__in=iou_ids, schedule__is_current=True, paid_off_on__isnull=True)
        .values_list("schedule__iou_id", "due_date").order_by("schedule__iou_id", "due_date")
    )
    result: dict[int, date] = {}
    for iou_id, due in rows:
        result.setdefault(iou_id, due)
    return result


# --- the IOU page -----------------------------------------------------------------------------


ROW_STATES = {
    "paid": (_("已还清"), "success"),
    "partial": (_("部分还款"), "warning"),
    "overdue": (_("逾期"), "danger"),
    "due": (_("今日到期"), "warning"),
    "future": (_("未到期"), "info"),
    "written_off": (_("已核销"), "primary"),
}


@dataclass(frozen=True)
class InstallmentRow:
    row: Installment
    due: Decimal  # principal + interest + fee + penalty charged
    paid: Decimal
    waived: Decimal
    outstanding: Decimal
    state: str

    @property
    def state_label(self):
        return ROW_STATES[self.state][0]

    @property
    def colour(self):
        return ROW_STATES[self.state][1]


def installment_row(row: Installment, today: date, *, written_off: bool = False) -> InstallmentRow:
    due = row.principal_due + row.interest_due + row.fee_due + row.penalty_charged
    paid = row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid
    waived = row.interest_waived + row.fee_waived + row.penalty_waived
    owed = unpaid(row)
    # Interest and fees count as owed once due, even before the accrual posts them.
    if not row.interest_accrued:
        owed = {**owed, "interest": row.interest_due - row.interest_paid - row.interest_waived,
                "fee": row.fee_due - row.fee_paid - row.fee_waived}
    outstanding = max(sum(owed.values(), ZERO), ZERO)
    if outstanding == 0:
        state = "paid"
    elif written_off:
        state = "written_off"  # off the books: tracked on the memo accounts
    elif row.due_date < today:
        state = "overdue"
    elif paid > 0:
        state = "partial"
    elif row.due_date == today:
        state = "due"
    else:
        state = "future"
    return InstallmentRow(row=row, due=due, paid=paid, waived=waived, outstanding=outstanding, state=state)


@dataclass(frozen=True)
class ScheduleView:
    version: ScheduleVersion
    rows: list[InstallmentRow]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            "principal": sum((r.row.principal_due for r in self.rows), ZERO),
            "interest": sum((r.row.interest_due for r in self.rows), ZERO),
            "fee": sum((r.row.fee_due for r in self.rows), ZERO),
            "penalty": sum((r.row.penalty_charged for r in self.rows), ZERO),
            "due": sum((r.due for r in self.rows), ZERO),
            "paid": sum((r.paid for r in self.rows), ZERO),
            "waived": sum((r.waived for r in self.rows), ZERO),
            "outstanding": sum((r.outstanding for r in self.rows), ZERO),
        }


@dataclass(frozen=True)
class PostingLine:
    code: str
    name: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class EntryView:
    entry: object
    lines: list[PostingLine]


@dataclass
class IouPage:
    iou: Iou
    today: date
    current: ScheduleView | None
    earlier: list[ScheduleView]
    transactions: list[Transaction]
    entries: list[EntryView]
    approvals: list
    events: list
    annual_rate_percent: Decimal | None = None
    cap_rate_percent: Decimal | None = None
    penalty_to_date: Decimal | None = None
    extra: dict = field(default_factory=dict)

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.iou.status, "info")

    @property
    def first_due(self) -> date | None:
        """首期还款日 as agreed: the IOU's own, or the first installment of the original schedule
        (a later schedule — an extension, an early settlement — does not change it)."""
        if self.iou.first_due:
            return self.iou.first_due
        original = self.earlier[-1] if self.earlier else self.current
        return original.rows[0].row.due_date if original and original.rows else None


def _schedules(iou: Iou, today: date) -> tuple[ScheduleView | None, list[ScheduleView]]:
    versions = list(iou.schedules.order_by("-version").prefetch_related("installments"))
    current, earlier = None, []
    for version in versions:
        view = ScheduleView(version=version, rows=[installment_row(r, today, written_off=iou.status == Status.WRITTEN_OFF) for r in
                                                   sorted(version.installments.all(), key=lambda r: r.number)])
        if version.is_current and current is None:
            current = view
        else:
            earlier.append(view)
    return current, earlier


def iou_page(*, user, pk) -> IouPage:
    iou = iou_get(user=user, pk=pk)
    today = clock.today()
    current, earlier = _schedules(iou, today)
    transactions = list(
        Transaction.objects.filter(iou=iou).select_related("created_by", "reverses", "reversed_by").order_by("day", "id")
    )
    entries = [
        EntryView(entry=entry, lines=[PostingLine(p.account.code, p.account.name, p.debit, p.credit)
                                      for p in entry.postings.all()])
        for entry in entries_for_iou(iou.pk)
    ]
    return IouPage(
        iou=iou, today=today, current=current, earlier=earlier, transactions=transactions, entries=entries,
        approvals=list(iou.approvals.select_related("decided_by")),
        events=list(audit.events_for(iou).order_by("-occurred_at", "-id")[:200]),
        annual_rate_percent=percent(iou.annual_rate) if iou.annual_rate is not None else None,
        cap_rate_percent=percent(iou.cap_rate) if iou.cap_rate is not None else None,
        penalty_to_date=penalty_to_date(iou, today),
    )


# --- the customer 360 page --------------------------------------------------------------------


def customer_ious_section(customer) -> dict:
    """The customer's IOUs for the 360 page (OVERVIEW_SECTIONS): a table with balances and status,
    what is owed on live IOUs, and how much of it is on overdue ones."""
    ious = list(customer.ious.select_related("product").order_by("-contract_date", "-id"))
    owed = sum((i.total_outstanding for i in ious if i.status in LIVE_STATUSES), ZERO)
    overdue = sum((i.total_outstanding for i in ious if i.status == Status.OVERDUE), ZERO)
    for iou in ious:
        iou.status_colour = STATUS_COLOURS.get(iou.status, "info")
    html = render_to_string("backoffice/ious/_customer_section.html", {"ious": ious, "customer": customer})
    return {"title": _("借据"), "html": html, "owed": owed, "overdue": overdue}


def has_ious_in_collection(customer) -> bool:
    """The customer owes on an IOU being collected: live (active, overdue, extended) or written off
    (recovery still possible). Registered with customers.permissions.DEBTOR_CHECKS (ious/apps.py)."""
    return customer.ious.filter(status__in=[*LIVE_STATUSES, Status.WRITTEN_OFF]).exists()


def penalty_to_date(iou: Iou, day: date | None = None) -> Decimal:
    """罚息 to date (decision 0006): the penalty posted and still owed, plus what has run on since
    it was last posted, to `day` (the business date by default), computed with the same calc
    function the posting uses. The ledger posts it at month end and at every event on the IOU;
    this is what the IOU shows in between."""
    from ioudesk.ious.services.accrual import penalty_quotes
    from ioudesk.ious.services.installments import current_installments

    day = day or clock.today()
    if iou.status not in LIVE_STATUSES:
        return iou.penalty_outstanding
    pending = sum((quote.amount for _row, quote, _first, _since in penalty_quotes(iou, current_installments(iou), day)),
                  ZERO)
    return iou.penalty_outstanding + pending
