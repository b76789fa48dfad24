"""The limitation clock (诉讼时效, docs/domain.md §12) with recorded interruptions: worked examples,
each with the article it applies and the dates worked out by hand.

民法典 第188条 three years from the day after the due date; 第189条 (and 最高人民法院关于审理民事案件
适用诉讼时效制度若干问题的规定, 法释〔2008〕11号 第5条) an instalment debt from the last instalment's due date; 第195条
a demand, an acknowledgement, a partial payment or a lawsuit interrupts and the three years start
again; 第192条 after expiry a debtor who agrees to pay loses the defence; 第675条 no due date: from
the end of a reasonable period after a demand; 第201–204条 a period in years ends on the
corresponding day (the month's last day when there is none)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ioudesk.core import clock
from ioudesk.core.models.audit import AuditEvent
from ioudesk.ious.models import Iou, LimitationEvent, LimitationKind
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.accrual import limitation_for
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.limitation import LimitationRefused, limitation_clock, limitation_interrupt
from ioudesk.ious.services.repayment import iou_repay

pytestmark = pytest.mark.django_db

HASH = "ab" * 32


def debt(debtor, manager, approver, finance, **fields) -> Iou:
    iou, _ = iou_create(user=manager, **{"kind": "debt", "debt_reason": "goods", "reason": "货款",
                                         "customer": debtor, "rate_text": "0%", **fields})
    iou_submit(iou=iou, user=manager)
    iou_approve(iou=iou, user=approver)
    iou_disburse(iou=iou, user=finance, idempotency_key=f"debt-activate-{iou.pk}")
    iou.refresh_from_db()
    return iou


@pytest.fixture
def loan(loan):
    loan.refresh_from_db()
    return loan


def interrupt(iou, kind, on, **kwargs):
    with clock.frozen(on):
        return limitation_interrupt(iou, kind=kind, on=on, evidence_sha256=kwargs.pop("evidence_sha256", HASH),
                                    **kwargs)


def test_an_instalment_loan_runs_from_its_last_instalment_and_an_early_demand_does_not_interrupt(loan, manager):
    """Art. 188, 189: 12 monthly instalments from 2026-02-15, the last due 2027-01-15 → the period
    ends 2030-01-15. A demand delivered on 2026-06-20 (instalments 1–4 overdue, the last one not yet
    due) is kept on record but does not interrupt: the period has not started."""
    assert (loan.maturity_date, loan.limitation_expires_on) == (date(2027, 1, 15), date(2030, 1, 15))
    event = interrupt(loan, LimitationKind.DEMAND, date(2026, 6, 20), source="test:early")
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2030, 1, 15)
    reading = limitation_clock(loan, day=date(2026, 6, 20))
    assert reading.expires_on == date(2030, 1, 15)
    assert [(e.event_id, e.counted) for e in reading.events] == [(event.pk, False)]
    assert "第188、189条" in reading.basis


def test_a_delivered_demand_after_the_last_due_date_restarts_three_years(loan, manager):
    """Art. 195: last due 2027-01-15 (ends 2030-01-15); a demand delivered 2028-03-10 with its receipt
    → three years from it: 2031-03-10. The IOU, the close's rule and the clock agree."""
    event = interrupt(loan, "demand", date(2028, 3, 10), evidence_note="EMS 回执", source="collections.contactrecord:1",
                      by=manager)
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2031, 3, 10)
    assert limitation_for(loan, date(2028, 3, 11)) == date(2031, 3, 10)
    reading = limitation_clock(loan, day=date(2028, 3, 11))
    assert (reading.expires_on, reading.days_left, reading.expired) == (date(2031, 3, 10), 1094, False)
    assert "2028-03-10 债权人催收，时效中断并重新计算（第195条）" in reading.basis
    assert event.recorded_by == manager and event.evidence_sha256 == HASH
    audit = AuditEvent.objects.filter(object_id=str(loan.pk), verb="诉讼时效中断").get()
    assert audit.changes["limitation_expires_on"] == ["2030-01-15", "2031-03-10"]


def test_a_demand_on_the_leap_day_ends_on_the_last_day_of_february(loan):
    """Art. 201–204: delivered 2028-02-29; 2031 has no 29 February → 2031-02-28."""
    interrupt(loan, "demand", date(2028, 2, 29))
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2031, 2, 28)


def test_a_demand_or_acknowledgement_without_evidence_is_refused(loan):
    """The issue: a demand counts only with evidence of its delivery, an acknowledgement only with
    evidence; nothing is recorded."""
    for kind in ("demand", "acknowledgement"):
        with pytest.raises(LimitationRefused) as refused:
            interrupt(loan, kind, date(2028, 3, 10), evidence_sha256="")
        assert refused.value.code == "limitation_evidence_required"
        assert refused.value.extra["field"] == "evidence_sha256"
    with pytest.raises(LimitationRefused) as refused:
        interrupt(loan, "partial_payment", date(2028, 3, 10))
    assert refused.value.code == "limitation_partial_payment"
    with pytest.raises(LimitationRefused) as refused:
        interrupt(loan, "demand", date(2028, 3, 10), evidence_sha256="not-a-hash")
    assert refused.value.code == "limitation_invalid_sha256"
    with clock.frozen(date(2028, 3, 9)), pytest.raises(LimitationRefused) as refused:
        limitation_interrupt(loan, kind="demand", on=date(2028, 3, 10), evidence_sha256=HASH)
    assert refused.value.code == "limitation_date_future"
    assert not LimitationEvent.objects.exists()


def test_interruptions_chain_and_a_lawsuit_restarts_from_its_filing(loan):
    """Art. 195 each time: demand 2029-12-01 (before 2030-01-15) → 2032-12-01; a signed
    acknowledgement 2032-11-30 → 2035-11-30; a lawsuit filed 2035-06-01 → 2038-06-01 (strictly from
    the end of the proceedings: the basis says so)."""
    interrupt(loan, "demand", date(2029, 12, 1))
    interrupt(loan, "acknowledgement", date(2032, 11, 30))
    interrupt(loan, "lawsuit", date(2035, 6, 1), evidence_sha256="", source="legal.legalcase:1")
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2038, 6, 1)
    reading = limitation_clock(loan, day=date(2035, 6, 2))
    assert [e.counted for e in reading.events] == [True, True, True]
    assert reading.in_lawsuit and "程序终结" in reading.basis


def test_after_expiry_a_demand_does_not_revive_but_an_acknowledgement_waives_the_defence(loan):
    """Art. 192: ended 2030-01-15. A demand on 2030-03-01 comes too late (no interruption); a signed
    acknowledgement on 2030-06-01 does not restart the period either, but the debtor may no longer
    rely on the expiry."""
    interrupt(loan, "demand", date(2030, 3, 1))
    reading = limitation_clock(loan, day=date(2030, 3, 2))
    assert (reading.expires_on, reading.expired, reading.defence_waived) == (date(2030, 1, 15), True, False)
    assert "发生在时效届满之后，不能中断时效" in reading.basis
    interrupt(loan, "acknowledgement", date(2030, 6, 1))
    reading = limitation_clock(loan, day=date(2030, 6, 2))
    assert (reading.expires_on, reading.expired, reading.defence_waived) == (date(2030, 1, 15), False, True)
    assert "第192条" in reading.basis


def test_a_partial_payment_and_a_recorded_demand_both_count(debtor, manager, approver, finance):
    """A 欠条 of ¥5,000.00 due 2026-03-31 (ends 2029-03-31, art. 188). ¥1,000.00 paid on 2027-05-10
    → 2030-05-10 (a partial payment, art. 195); a demand delivered 2030-04-01 → 2033-04-01."""
    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal="5000", due_date=date(2026, 3, 31))
    assert iou.limitation_expires_on == date(2029, 3, 31)
    with clock.frozen(date(2027, 5, 10)):
        iou_repay(iou=iou, amount=Decimal("1000"), user=finance, idempotency_key="lim-pay-1")
    iou.refresh_from_db()
    assert iou.limitation_expires_on == date(2030, 5, 10)
    interrupt(iou, "demand", date(2030, 4, 1))
    iou.refresh_from_db()
    assert iou.limitation_expires_on == date(2033, 4, 1)
    assert limitation_for(iou, date(2030, 4, 2)) == date(2033, 4, 1)
    reading = limitation_clock(iou, day=date(2030, 4, 2))
    assert [(e.kind, e.on, e.counted) for e in reading.events] == [
        ("partial_payment", date(2027, 5, 10), True), ("demand", date(2030, 4, 1), True)]


def test_no_due_date_runs_from_a_reasonable_period_after_the_first_demand(debtor, manager, approver, finance):
    """Art. 675, 188: a 欠条 with no due date has no expiry until a demand; delivered 2026-03-01 →
    30 days' reasonable period to 2026-03-31 → ends 2029-03-31. A second demand 2028-07-01 → 2031-07-01."""
    with clock.frozen(date(2026, 1, 15)):
        iou = debt(debtor, manager, approver, finance, principal="800")
    assert iou.limitation_expires_on is None
    assert limitation_clock(iou, day=date(2026, 2, 1)).expires_on is None
    interrupt(iou, "demand", date(2026, 3, 1))
    iou.refresh_from_db()
    assert iou.limitation_expires_on == date(2029, 3, 31)
    assert "第675、188条" in limitation_clock(iou, day=date(2026, 3, 2)).basis
    interrupt(iou, "demand", date(2028, 7, 1))
    iou.refresh_from_db()
    assert iou.limitation_expires_on == date(2031, 7, 1)
    assert limitation_for(iou, date(2028, 7, 2)) == date(2031, 7, 1)


def test_the_same_event_twice_is_recorded_once_and_events_are_append_only(loan):
    first = interrupt(loan, "demand", date(2028, 3, 10), source="collections.contactrecord:7")
    assert interrupt(loan, "demand", date(2028, 3, 10), source="collections.contactrecord:7") == first
    assert LimitationEvent.objects.count() == 1
    with pytest.raises(PermissionError):
        first.save()
    with pytest.raises(PermissionError):
        LimitationEvent.objects.filter(pk=first.pk).update(evidence_note="x")
    with pytest.raises(PermissionError):
        first.delete()
    if connection.vendor in ("sqlite", "postgresql"):
        with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017, PT011
            cursor.execute("UPDATE ious_limitationevent SET evidence_note = 'x'")
