"""Reads of legal: legal cases and defaulters through the data scope, the defaulter match (the
whole organisation's list: a person listed by any branch is checked everywhere), and the 时效预警
list (IOUs whose limitation period ends within the window, or has ended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from ioudesk.core import clock, scope
from ioudesk.core.crypto import blind_index
from ioudesk.ious.models import LIVE_STATUSES, Iou, Status
from ioudesk.ious.services.limitation import LimitationClock, limitation_clock
from ioudesk.legal.models import Defaulter, LegalCase

ID_PURPOSE = "customer.id_number"
#: IOUs whose limitation clock matters: in effect, and written off (still tracked, still recoverable).
WATCHED_STATUSES = (*LIVE_STATUSES, Status.WRITTEN_OFF)
DEFAULT_WINDOW_DAYS = 90


def legal_cases_for(user) -> QuerySet:
    return scope.scope_queryset(user, LegalCase.objects.select_related("iou", "customer", "branch",
                                                                        "collection_case"))


def defaulters_for(user) -> QuerySet:
    return scope.scope_queryset(user, Defaulter.objects.select_related("customer", "branch"))


def defaulter_match(*, customer=None, id_number: str = "", name: str = "") -> list[Defaulter]:
    """The listed (not removed) defaulters matching a customer (the customer itself, its ID number or
    credit code), an ID number, or — only when no identifier is given — an exact name. For origination
    and for applications; not scoped (the list is the organisation's)."""
    conditions = Q()
    indexes = set()
    if customer is not None:
        conditions |= Q(customer_id=customer.pk)
        if customer.id_number_index:
            indexes.add(customer.id_number_index)
        if customer.credit_code:
            indexes.add(blind_index(customer.credit_code, ID_PURPOSE))
    if (id_number or "").strip():
        indexes.add(blind_index(id_number, ID_PURPOSE))
    if indexes:
        conditions |= Q(id_index__in=indexes)
    if not conditions and (name or "").strip():
        conditions = Q(name=name.strip())
    if not conditions:
        return []
    return list(Defaulter.objects.filter(conditions, removed_on__isnull=True).order_by("-listed_on", "-id"))


# --- 时效预警 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchRow:
    iou: Iou
    clock: LimitationClock


def limitation_watch(user, *, day: date | None = None, state: str = "", within: int = DEFAULT_WINDOW_DAYS,
                     branch_id: int | None = None, bucket: str = "", q: str = "") -> QuerySet:
    """IOUs in the user's scope whose stored 诉讼时效届满日 is within `within` days of `day`
    (``state="near"``), already past (``"expired"``), or either (""), soonest first."""
    day = day or clock.today()
    qs = scope.scope_queryset(user, Iou.objects.select_related("customer", "branch", "officer")).filter(
        status__in=WATCHED_STATUSES, limitation_expires_on__isnull=False)
    horizon = day + timedelta(days=within)
    if state == "near":
        qs = qs.filter(limitation_expires_on__gte=day, limitation_expires_on__lte=horizon)
    elif state == "expired":
        qs = qs.filter(limitation_expires_on__lt=day)
    else:
        qs = qs.filter(limitation_expires_on__lte=horizon)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if bucket:
        qs = qs.filter(bucket=bucket)
    if (q or "").strip():
        qs = qs.filter(Q(number__icontains=q.strip()) | Q(customer__name__icontains=q.strip()))
    return qs.order_by("limitation_expires_on", "id")


def watch_rows(ious, *, day: date | None = None) -> list[WatchRow]:
    """The reasoning for one page of the list (two queries per IOU: its events and repayments)."""
    day = day or clock.today()
    return [WatchRow(iou=iou, clock=limitation_clock(iou, day=day)) for iou in ious]


def watch_counts(user, *, day: date | None = None, within: int = DEFAULT_WINDOW_DAYS) -> dict[str, int]:
    day = day or clock.today()
    base = limitation_watch(user, day=day, within=within)
    return {"near": base.filter(limitation_expires_on__gte=day).count(),
            "expired": base.filter(limitation_expires_on__lt=day).count()}
