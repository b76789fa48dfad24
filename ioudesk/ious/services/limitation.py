"""The limitation clock of an IOU (诉讼时效, docs/domain.md §12): the recorded interruptions and the
date the period ends, with its reasoning.

The rule is ``calc.limitation.limitation_expiry`` (民法典第一百八十八、一百八十九、一百九十二、
一百九十五、六百七十五条); this module feeds it what the book knows:

* the anchor: the last due date of the current schedule (``Iou.maturity_date``: 第一百八十九条 for an
  instalment debt); for an IOU with no due date the first recorded demand plus the reasonable period
  (第六百七十五条), none before it;
* the interruptions after the anchor (第一百九十五条): every repayment the debtor made (a partial
  payment acknowledges the debt; not reversed, not customer credit set off by the book itself) and
  every recorded ``LimitationEvent`` (a demand whose delivery is evidenced, an acknowledgement with
  its evidence, a lawsuit or arbitration, an act of equal effect). A demand before the anchor is
  kept on record but does not interrupt a period that has not started.

``limitation_interrupt`` records an event (collections calls it for a delivered demand or a signed
acknowledgement, legal for a lawsuit) and refreshes ``Iou.limitation_expires_on``;
``limitation_clock`` is the reading for the IOU page, the case page, letters and the 时效预警 list;
``expiry_for`` is the date alone, for the daily close (``accrual.limitation_for``).

Below accrual, above the base layer: it imports only ``ledgering`` of the services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import CharField, Value
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.limitation import (
    DEFAULT_REASONABLE_DAYS,
    Interruption,
    InterruptionKind,
    LimitationResult,
    limitation_expiry,
)
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious.models import (
    Iou,
    LimitationEvent,
    LimitationKind,
    PaymentSource,
    Status,
    Transaction,
    TransactionKind,
)
from ioudesk.ious.services.ledgering import lock

#: Kinds that count only with evidence (the issue: a demand only with evidence of its delivery, an
#: acknowledgement only with evidence).
EVIDENCE_REQUIRED = (LimitationKind.DEMAND, LimitationKind.ACKNOWLEDGEMENT)
NOT_IN_EFFECT = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.CANCELLED)
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class LimitationRefused(ValidationFailed):
    code = "limitation_refused"


def _refuse(message, *, code: str, field_name: str) -> LimitationRefused:
    return LimitationRefused(message, code=code, extra={
        "field": field_name, "details": [{"field": field_name, "message": str(message)}]})


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockEvent:
    """One line of the interruption list: a recorded event or a repayment."""

    on: date
    kind: str
    label: str
    counted: bool
    note: str = ""
    evidence_sha256: str = ""
    source: str = ""
    event_id: int | None = None
    transaction_id: int | None = None


@dataclass(frozen=True)
class LimitationClock:
    """``expires_on`` None: the period has not started (no due date and no demand yet, or the IOU is
    not in effect). ``days_left`` counts from ``day`` (negative once expired)."""

    day: date
    expires_on: date | None
    starts_on: date | None
    outer_limit_on: date | None
    basis: str
    events: list[ClockEvent] = field(default_factory=list)
    defence_waived: bool = False

    @property
    def days_left(self) -> int | None:
        return None if self.expires_on is None else (self.expires_on - self.day).days

    @property
    def days_past(self) -> int:
        """Days since the period ended (0 while it runs)."""
        return max(-(self.days_left or 0), 0)

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.day > self.expires_on and not self.defence_waived

    @property
    def in_lawsuit(self) -> bool:
        return any(e.counted and e.kind in (LimitationKind.LAWSUIT, LimitationKind.ARBITRATION) for e in self.events)


def _kind(value) -> LimitationKind:
    value = getattr(value, "value", value)
    try:
        return LimitationKind(value)
    except ValueError:
        raise _refuse(_("中断事由“%(kind)s”无效。") % {"kind": value}, code="limitation_invalid_kind",
                      field_name="kind") from None


def _payment_days(iou: Iou, after: date):
    return (Transaction.objects.filter(iou_id=iou.pk, kind=TransactionKind.REPAYMENT, source=PaymentSource.PAYMENT,
                                       reversed_by__isnull=True, day__gt=after))


def _anchor(iou: Iou, demands: list[date]) -> tuple[date | None, date | None]:
    """(last due date, first demand) — the one the period runs from, the other None."""
    if iou.maturity_date is not None:
        return iou.maturity_date, None
    return None, (min(demands) if demands else None)


def _result(last_due: date | None, demand_on: date | None,
            interruptions: list[Interruption]) -> tuple[LimitationResult | None, date | None]:
    """The calc result and the anchor (the first day an interruption can count after)."""
    if last_due is not None:
        anchor = last_due
        counted = [i for i in interruptions if i.on > anchor]
        return limitation_expiry(last_due=last_due, interruptions=counted), anchor
    if demand_on is not None:
        anchor = demand_on + timedelta(days=DEFAULT_REASONABLE_DAYS)
        counted = [i for i in interruptions if i.on > anchor]
        return limitation_expiry(demand_on=demand_on, interruptions=counted), anchor
    return None, None


def expiry_for(iou: Iou, day: date) -> date | None:
    """诉讼时效届满日 on `day`, in one query: repayments and recorded events after the last due
    date, looked up only once `day` is past it (before it nothing can interrupt). An IOU without a
    due date keeps the date ``limitation_interrupt`` stored (it changes only when a demand is
    recorded)."""
    if iou.maturity_date is None:
        return iou.limitation_expires_on
    interruptions = []
    if day > iou.maturity_date:
        payments = _payment_days(iou, iou.maturity_date).order_by().values_list(
            "day", Value(LimitationKind.PARTIAL_PAYMENT.value, output_field=CharField()))
        events = LimitationEvent.objects.filter(iou_id=iou.pk, on__gt=iou.maturity_date).order_by().values_list(
            "on", "kind")
        interruptions = [Interruption(on, InterruptionKind(kind)) for on, kind in payments.union(events, all=True)]
    result, _anchor_day = _result(iou.maturity_date, None, interruptions)
    return result.expires_on


def limitation_clock(iou: Iou, *, day: date | None = None) -> LimitationClock:
    """The full reading on `day` (the business date by default): the date the period ends, why
    (the articles), and every interruption on record, counted or not and why not."""
    day = day or clock.today()
    if iou.status in NOT_IN_EFFECT or (iou.maturity_date is None and iou.disbursed_on is None):
        return LimitationClock(day=day, expires_on=None, starts_on=None, outer_limit_on=None,
                               basis=_g("借据尚未生效，诉讼时效尚未起算。"))
    recorded = list(LimitationEvent.objects.filter(iou_id=iou.pk).order_by("on", "id"))
    demands = [e.on for e in recorded if e.kind == LimitationKind.DEMAND]
    last_due, demand_on = _anchor(iou, demands)
    payments = list(_payment_days(iou, date.min).order_by("day", "id").values_list("id", "day", "amount"))
    result, anchor = _result(last_due, demand_on,
                             [Interruption(e.on, InterruptionKind(e.kind)) for e in recorded]
                             + [Interruption(d, InterruptionKind.PARTIAL_PAYMENT) for _i, d, _a in payments])
    events: list[ClockEvent] = []
    for e in recorded:
        counted, note = _counted(e.on, anchor, first_demand=(demand_on is not None and e.on == demand_on
                                                             and e.kind == LimitationKind.DEMAND))
        events.append(ClockEvent(on=e.on, kind=e.kind, label=str(e.get_kind_display()), counted=counted,
                                 note=note or e.evidence_note, evidence_sha256=e.evidence_sha256,
                                 source=e.source, event_id=e.pk))
    for pk, on, amount in payments:
        counted, note = _counted(on, anchor, first_demand=False)
        paid = _g("还款 ¥%(amount)s") % {"amount": f"{amount:,.2f}"}
        events.append(ClockEvent(on=on, kind=LimitationKind.PARTIAL_PAYMENT,
                                 label=str(LimitationKind.PARTIAL_PAYMENT.label), counted=counted,
                                 note=f"{paid}；{note}" if note else paid, transaction_id=pk))
    events.sort(key=lambda e: (e.on, e.event_id or 0, e.transaction_id or 0))
    if result is None:
        return LimitationClock(
            day=day, expires_on=None, starts_on=None, outer_limit_on=None, events=events,
            basis=_g("借据未约定还款期限，尚未有送达证据的催告：诉讼时效自债权人催告并给予合理期限届满之日起算"
                     "（民法典第675、188条），债务人明确拒绝履行的，自拒绝之日起算。"))
    basis = result.basis
    if any(e.counted and e.kind in (LimitationKind.LAWSUIT, LimitationKind.ARBITRATION) for e in events):
        basis += _g("提起诉讼或申请仲裁的，诉讼时效中断，自有关程序终结时起重新计算（第195条）；此处自起诉日保守计算，"
                    "判决生效后申请执行的期间为二年（民事诉讼法第250条）。")
    return LimitationClock(day=day, expires_on=result.expires_on, starts_on=result.starts_on,
                           outer_limit_on=result.outer_limit_on, basis=basis, events=events,
                           defence_waived=result.defence_waived)


def _counted(on: date, anchor: date | None, *, first_demand: bool) -> tuple[bool, str]:
    if first_demand:
        return True, _g("未约定还款期限：催告后给予%(days)d天合理期限，期满次日起算（第675条）") % {
            "days": DEFAULT_REASONABLE_DAYS}
    if anchor is None or on <= anchor:
        return False, _g("时效尚未起算（最后一期到期日或合理期限届满前），不构成中断")
    return True, ""


# --- recording ----------------------------------------------------------------------------------


@transaction.atomic
def limitation_interrupt(iou: Iou, *, kind, on: date, evidence_sha256: str, evidence_note: str = "",
                         source: str = "", by=None) -> LimitationEvent:
    """Record an interruption of the IOU's limitation period and refresh its 诉讼时效届满日.

    ``kind`` a ``LimitationKind`` (or its value / ``InterruptionKind``). A demand and an
    acknowledgement are refused without the SHA-256 of their evidence (the delivery receipt, the
    recording, the signed acknowledgement); a partial payment is never recorded here (the repayments
    count by themselves). ``on`` is the day the interruption took effect (a demand: the day it was
    delivered), not after the business date nor before the IOU's date. The same kind, day and
    source again returns the event already recorded. Who may do this is the caller's rule (a
    contact record, a legal case): this service checks the facts. Audited on the IOU."""
    kind = _kind(kind)
    evidence_sha256 = (evidence_sha256 or "").strip().lower()
    if kind == LimitationKind.PARTIAL_PAYMENT:
        raise _refuse(_("部分还款由还款记录自动计入诉讼时效，无需另行登记。"), code="limitation_partial_payment",
                      field_name="kind")
    if kind in EVIDENCE_REQUIRED and not evidence_sha256:
        raise _refuse(_("%(kind)s须有证据（送达回执、录音或签字确认书）才能中断诉讼时效：请上传证据（证据SHA-256为空）。")
                      % {"kind": kind.label}, code="limitation_evidence_required", field_name="evidence_sha256")
    if evidence_sha256 and not SHA256.match(evidence_sha256):
        raise _refuse(_("证据SHA-256应为64位十六进制字符。"), code="limitation_invalid_sha256",
                      field_name="evidence_sha256")
    if on is None:
        raise _refuse(_("请填写中断日期。"), code="limitation_date_required", field_name="on")
    today = clock.today()
    if on > today:
        raise _refuse(_("中断日期 %(on)s 晚于营业日 %(today)s，请核对。") % {"on": on.isoformat(),
                                                                           "today": today.isoformat()},
                      code="limitation_date_future", field_name="on")
    iou = lock(iou)
    if iou.status in NOT_IN_EFFECT:
        raise InvalidState(_("借据 %(number)s 尚未生效，不能登记诉讼时效中断。") % {"number": iou.number})
    if on < iou.contract_date:
        raise _refuse(_("中断日期 %(on)s 早于借款/欠款日期 %(start)s，请核对。") % {
            "on": on.isoformat(), "start": iou.contract_date.isoformat()}, code="limitation_date_early",
            field_name="on")
    existing = LimitationEvent.objects.filter(iou=iou, kind=kind, on=on, source=source).first() if source else None
    if existing is not None:
        return existing
    event = LimitationEvent.objects.create(
        iou=iou, kind=kind, on=on, evidence_sha256=evidence_sha256, evidence_note=evidence_note, source=source,
        recorded_by=by if getattr(by, "is_authenticated", False) else None)
    before = iou.limitation_expires_on
    after = _stored_expiry(iou, today)
    if after != before:
        Iou.objects.filter(pk=iou.pk).update(limitation_expires_on=after)
        iou.limitation_expires_on = after
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("诉讼时效中断"),
                 changes={"limitation_expires_on": [before and before.isoformat(), after and after.isoformat()],
                          "kind": kind.value, "on": on.isoformat(), "evidence_sha256": evidence_sha256,
                          "source": source},
                 reason=evidence_note)
    return event


def _stored_expiry(iou: Iou, day: date) -> date | None:
    if iou.maturity_date is not None:
        return expiry_for(iou, day)
    return limitation_clock(iou, day=day).expires_on
