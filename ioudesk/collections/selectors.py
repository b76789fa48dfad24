"""Reads of the collections app, always through the data scope (``cases_for``).

- ``cases_for(user)``: the cases a user sees (predicates' module docstring);
- ``workbench(user, day=…)``: 催收工作台, sorted by what matters today (docs/domain.md §20);
- ``workbench_counts``, ``case_detail``, ``kept_rate``, ``arrears_term``;
- the contact form's helpers: ``contact_parties`` and ``contact_policy`` (the warnings before saving);
- ``customer_cases_section``: the customer 360 page's part (registered in apps.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.rates import round_rate
from ioudesk.collections import predicates
from ioudesk.collections.models import (
    Case,
    CaseStatus,
    CollectionSettings,
    ContactMethod,
    ContactRecord,
    Party,
    Promise,
    PromiseStatus,
    Term,
)
from ioudesk.core import scope

BEIJING = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0.00")
# Contacts that count towards the daily cap per debtor (CollectionSettings.calls_daily_cap)
CAPPED_METHODS = (ContactMethod.PHONE, ContactMethod.VISIT)
ACTION_DUE_HOUR = 18  # a strategy step's action is due at 18:00 Beijing time of its day


def day_start(day: dt.date) -> dt.datetime:
    """00:00 of a Beijing calendar day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=BEIJING)


def action_due_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(ACTION_DUE_HOUR, 0), tzinfo=BEIJING)


def step_due_at(began: dt.date) -> dt.datetime:
    """When the action of a step begun on ``began`` is due: 18:00 of the next day (a step begins at
    the close of its day, after that day's work: docs/domain.md §20)."""
    return action_due_at(began + dt.timedelta(days=1))


def close_moment(day: dt.date) -> dt.datetime:
    """When the close of ``day`` did something: now, but never after the end of that Beijing day (a
    catch-up close, or one run after midnight, records its work on the day it closed)."""
    from django.utils import timezone

    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=BEIJING)
    return min(timezone.now(), end)


def beijing_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(BEIJING).date()


def collection_settings() -> CollectionSettings:
    """The organisation's collection settings (made with the defaults the first time)."""
    from ioudesk.core.services import organisation_ensure

    found = CollectionSettings.objects.order_by("id").first()
    if found is None:
        found, _created = CollectionSettings.objects.get_or_create(organisation=organisation_ensure())
    return found


# --- cases a user sees ------------------------------------------------------------------------

def cases_for(user) -> QuerySet[Case]:
    queryset = Case.objects.all()
    if user is None or not user.is_active or not user.has_perm(predicates.VIEW):
        return queryset.none()
    queryset = scope.scope_queryset(user, queryset)
    if predicates.sees_branch_cases(user):
        return queryset
    # Only the parts that apply, as subqueries on indexed foreign keys: a collector's list is then
    # read by the owner index alone (the workbench at 50,000 open cases).
    from ioudesk.customers.models import Customer
    from ioudesk.ious.models import Iou

    condition = Q(owner=user)
    officer = Iou.objects.filter(officer=user)
    if officer.exists():
        condition |= Q(iou_id__in=officer.values("pk"))
    managed = Case.objects.filter(bill__isnull=False, bill__manager=user)  # a bill's 业务员, as an IOU's officer
    if managed.exists():
        condition |= Q(pk__in=managed.values("pk"))
    important = Customer.objects.filter(owner=user, category="important")
    if important.exists():
        condition |= Q(customer_id__in=important.values("pk"))
    return queryset.filter(condition)


def case_get(user, pk) -> Case:
    from ioudesk.core.errors import NotFound

    case = (cases_for(user).select_related("iou", "bill", "customer", "branch", "owner", "agency", "stage")
            .filter(pk=pk).first())
    if case is None:
        raise NotFound(_g("催收案件不存在，或您无权查看。"))
    return case


def arrears_term(case_or_dpd, *, long_days: int | None = None) -> str:
    """短期/长期逾期: ``Term.SHORT`` up to ``long_overdue_days`` (90) days past due, ``Term.LONG`` above."""
    dpd = case_or_dpd if isinstance(case_or_dpd, int) else case_or_dpd.days_past_due
    long_days = collection_settings().long_overdue_days if long_days is None else long_days
    return Term.LONG if dpd > long_days else Term.SHORT


def filtered(queryset: QuerySet[Case], *, bucket=None, classification=None, term=None, nature=None,
             category=None, q=None, long_days: int | None = None) -> QuerySet[Case]:
    """The arrears classification filters every collection page offers (bucket, 五级分类, short/long,
    nature of the debt, customer category) and a search term (case number, IOU or bill number, customer
    name). 五级分类 is the IOU's: a receivables bill's case has none and is left out by that filter."""
    if bucket:
        queryset = queryset.filter(bucket=bucket)
    if classification:
        queryset = queryset.filter(iou__classification=classification)
    if term:
        long_days = collection_settings().long_overdue_days if long_days is None else long_days
        if term == Term.LONG:
            queryset = queryset.filter(days_past_due__gt=long_days)
        elif term == Term.SHORT:
            queryset = queryset.filter(days_past_due__lte=long_days)
    if nature:
        queryset = queryset.filter(nature=nature)
    if category:
        queryset = queryset.filter(customer__category=category)
    if q:
        q = q.strip()
        queryset = queryset.filter(Q(number__icontains=q) | Q(iou__number__icontains=q) | Q(bill__number__icontains=q)
                                   | Q(customer__name__icontains=q))
    return queryset


def workbench(user, *, day: dt.date, bucket=None, classification=None, term=None, nature=None, category=None,
              q=None, status=CaseStatus.OPEN) -> QuerySet[Case]:
    """催收工作台: the open cases the user sees, sorted by what matters today: promises due today
    first, then next actions due by the end of today (the most overdue first), then the rest by
    their next action, then arrears (largest first) and days past due (most first)."""
    queryset = filtered(cases_for(user).filter(status=status), bucket=bucket, classification=classification,
                        term=term, nature=nature, category=category, q=q)
    tomorrow = day_start(day + dt.timedelta(days=1))
    # The related rows are fetched for the page alone (prefetch: one IN query each), so the sort reads
    # narrow case rows only: a 催收主管 sorts the branch's 50,000 open cases (docs/benchmarks.md).
    return queryset.prefetch_related("iou", "bill", "customer", "owner", "agency", "stage").annotate(
        promise_today=SqlCase(When(promise_due_on=day, then=Value(0)), default=Value(1), output_field=IntegerField()),
        action_due=SqlCase(When(next_action_due__lt=tomorrow, then=Value(0)), default=Value(1),
                         output_field=IntegerField()),
    ).order_by("promise_today", "action_due", "next_action_due", "-arrears", "-days_past_due", "id")


def workbench_counts(user, *, day: dt.date) -> dict[str, int]:
    """The counts at the top of the workbench: promises due today, actions due today, actions overdue."""
    today, tomorrow = day_start(day), day_start(day + dt.timedelta(days=1))
    return cases_for(user).filter(status=CaseStatus.OPEN).aggregate(
        promises_due=Count("id", filter=Q(promise_due_on=day)),
        actions_due=Count("id", filter=Q(next_action_due__gte=today, next_action_due__lt=tomorrow)),
        actions_overdue=Count("id", filter=Q(next_action_due__lt=today)),
        open=Count("id"),
    )


@dataclass
class CaseDetail:
    case: Case
    events: list
    contacts: list
    promises: list
    assignments: list
    recoveries: list
    timeline: list = field(default_factory=list)  # (at, kind label, text, by) of events, contacts and promises
    recovered: Decimal = ZERO


def case_detail(case: Case) -> CaseDetail:
    """Everything the case page shows: its events, contact records (with attachments and the
    promise), promises, assignment history and recoveries, and one timeline of them all."""
    events = list(case.events.select_related("by"))
    contacts = list(case.contacts.select_related("recorded_by", "contact", "corrects", "refers_to")
                    .prefetch_related("attachments"))
    promises = list(case.promises.select_related("collector", "record"))
    assignments = list(case.assignments.select_related("owner", "agency", "by", "rule"))
    recoveries = list(case.recoveries.select_related("owner", "agency"))
    timeline = [(e.at, e.get_kind_display(), e.text, e.by) for e in events]
    timeline += [(c.contacted_at, _g("%(method)s · %(outcome)s") % {
        "method": c.get_method_display(), "outcome": c.get_outcome_display()}, c.notes, c.recorded_by)
        for c in contacts]
    timeline.sort(key=lambda row: row[0], reverse=True)
    return CaseDetail(case=case, events=events, contacts=contacts, promises=promises, assignments=assignments,
                      recoveries=recoveries, timeline=timeline,
                      recovered=sum((r.amount for r in recoveries), ZERO))


def bill_items(case: Case) -> list:
    """A receivables bill's case: the bill's open items (到期明细), by due date (empty for an IOU's case)."""
    if case.iou_id is not None or case.bill_id is None:
        return []
    return list(case.bill.dues.order_by("due_date", "seq"))


@dataclass(frozen=True)
class KeptRate:
    judged: int
    kept: int
    partly_kept: int
    broken: int

    @property
    def rate(self) -> Decimal | None:
        """Kept ÷ judged (a partly kept promise is not kept), to four places; None without any."""
        if not self.judged:
            return None
        return round_rate(Decimal(self.kept) / Decimal(self.judged))


def kept_rate(collector, period: tuple[dt.date, dt.date]) -> KeptRate:
    """承诺兑现率 of a collector: the promises they took whose date falls in ``period`` (first, last
    day inclusive) and that the close has judged."""
    first, last = period
    counts = Promise.objects.filter(collector=collector, promised_on__range=(first, last)).exclude(
        status=PromiseStatus.PENDING).aggregate(
        judged=Count("id"), kept=Count("id", filter=Q(status=PromiseStatus.KEPT)),
        partly_kept=Count("id", filter=Q(status=PromiseStatus.PARTLY_KEPT)),
        broken=Count("id", filter=Q(status=PromiseStatus.BROKEN)))
    return KeptRate(**counts)


# --- the contact form -------------------------------------------------------------------------

def contact_parties(case: Case) -> list[tuple[str, str]]:
    """Who may be contacted about this debt: the debtor, the IOU's guarantor (when it names one; a
    receivables bill has none) and
    the customer's contacts, as (value, label): "debtor", "guarantor", "contact:<pk>"."""
    parties = [(Party.DEBTOR.value, _g("债务人：%(name)s") % {"name": case.customer.name})]
    if case.iou_id is not None and case.iou.guarantor.strip():
        parties.append((Party.GUARANTOR.value, _g("担保人：%(name)s") % {"name": case.iou.guarantor.strip()}))
    for contact in case.customer.contacts.all():
        parties.append((f"contact:{contact.pk}", _g("联系人：%(name)s（%(relation)s）") % {
            "name": contact.name, "relation": contact.relation}))
    return parties


@dataclass(frozen=True)
class PolicyCheck:
    outside_hours: bool
    over_daily_cap: bool
    warnings: tuple[str, ...]


def contact_policy_check(case: Case, *, at: dt.datetime, method: str = ContactMethod.PHONE) -> PolicyCheck:
    """The contact policy of the notifications layer applied to a contact: the sending window
    (notify's 可发送时段, default 08:00–21:00 Beijing time) and the daily cap of calls and visits per
    debtor (CollectionSettings.calls_daily_cap, per Beijing day, this contact included)."""
    from ioudesk.notify.services import notify_settings

    window = notify_settings()
    local = at.astimezone(BEIJING)
    warnings = []
    outside = not (window.window_start <= local.time() < window.window_end)
    if outside and method not in (ContactMethod.LETTER, ContactMethod.LAWYER_LETTER, ContactMethod.COURT):
        warnings.append(_g("联系时间 %(time)s 不在允许的联系时段 %(start)s–%(end)s（北京时间）内。") % {
            "time": local.strftime("%Y-%m-%d %H:%M"), "start": window.window_start.strftime("%H:%M"),
            "end": window.window_end.strftime("%H:%M")})
    else:
        outside = False
    cap = collection_settings().calls_daily_cap
    over = False
    if cap and method in CAPPED_METHODS:
        start = day_start(local.date())
        done = ContactRecord.objects.filter(customer_id=case.customer_id, method__in=CAPPED_METHODS,
                                            contacted_at__gte=start,
                                            contacted_at__lt=start + dt.timedelta(days=1)).count()
        if done + 1 > cap:
            over = True
            warnings.append(_g("%(day)s 已联系该债务人 %(done)s 次，超过每日上限 %(cap)s 次。") % {
                "day": local.date().isoformat(), "done": done, "cap": cap})
    return PolicyCheck(outside_hours=outside, over_daily_cap=over, warnings=tuple(warnings))


def contact_policy(case: Case, *, at: dt.datetime, method: str = ContactMethod.PHONE) -> list[str]:
    """The warnings to show before saving a contact (empty when none)."""
    return list(contact_policy_check(case, at=at, method=method).warnings)


def has_bill_in_collection(customer) -> bool:
    """The customer owes on a receivables bill being collected (an open bill case): a debtor for the
    customer permissions (``customers.permissions.DEBTOR_CHECKS``, registered in apps.py), as an IOU
    in collection makes one."""
    return Case.objects.filter(customer=customer, status=CaseStatus.OPEN, bill__isnull=False).exists()


# --- the customer 360 page --------------------------------------------------------------------

SECTION_TITLE = _("催收")


def _acting_user():
    """The user the 360 page is drawn for (the request's actor: OVERVIEW_SECTIONS get only the customer)."""
    from ioudesk.core.context import current_actor
    from ioudesk.core.models import User

    user_id = current_actor().user_id
    return User.objects.filter(pk=user_id).first() if user_id else None


def customer_cases_section(customer) -> dict:
    """The customer's collection cases and last contacts for the 360 page (OVERVIEW_SECTIONS)."""
    from django.template.loader import render_to_string
    from django.urls import NoReverseMatch, reverse

    cases = list(Case.objects.filter(customer=customer).select_related("iou", "bill", "owner", "agency")
                 .order_by("-status", "-opened_on", "-id")[:20])  # open before closed
    viewer = _acting_user()
    for case in cases:
        case.customer = customer
        debt = (("backoffice:iou_detail", case.iou_id, viewer is not None and viewer.has_perm("ious.view_iou"))
                if case.iou_id is not None else
                ("backoffice:receivables_bill", case.bill_id,
                 viewer is not None and viewer.has_perm("receivables.view_bill")))
        for attribute, name, pk, allowed in (
                ("url", "backoffice:collections_case", case.pk, viewer is not None and predicates.can_view_case(case, viewer)),
                ("iou_url", *debt)):
            try:
                setattr(case, attribute, reverse(name, args=[pk]) if allowed else "")
            except NoReverseMatch:
                setattr(case, attribute, "")
    contacts = list(ContactRecord.objects.filter(customer=customer).select_related("recorded_by", "case")
                    .order_by("-contacted_at", "-id")[:10])
    html = render_to_string("collections/_customer_section.html", {"cases": cases, "contacts": contacts})
    return {"title": SECTION_TITLE, "html": html, "owed": ZERO, "overdue": ZERO}
