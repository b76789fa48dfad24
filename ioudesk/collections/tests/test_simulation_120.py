"""120 days of one debtor, the daily close run every day (issue 11, Done when, first bullet).

The loan: ¥10,000 at 12 % a year for one month, disbursed 2026-01-15, ¥10,100.00 due on 2026-02-15
(¥100.00 interest: 10,000 × 1 %). The debtor pays nothing. Closed day by day from 02-14 to 06-13
(120 days):

- 02-16: overdue 1 day: the close opens the case (M1, first step SMS) and gives it by the rule
  "M1–M3 电话组" to the collector;
- 02-17: the collector phones (recording attached); the debtor promises ¥10,100.00 by 02-20;
- 02-20: nothing paid: the close marks the promise broken and escalates the case from M1 step 1
  (SMS) to step 2 (phone);
- 02-21: the collector phones again (no answer): the phone action is done; M1 has no further step;
- 03-18 (31 days): bucket M2, its strategy's first step (phone); the collector calls on 03-19
  (refused); 03-28 (10 days after the step began) the visit step; the collector visits on 03-29
  (hardship, a photo);
- 04-17 (61 days): bucket M3: a lawyer's letter (律师函);
- 04-20: the 律师函 is issued (H4's ``demand_letter_issue``): a contact record with the PDF, no
  interruption yet (sent, not delivered);
- 04-23: the delivery receipt is recorded (refers_to the letter): a demand with evidence of
  delivery, the limitation period interrupted on 04-23 (民法典第195条): its end moves from
  2029-02-15 (three years from the day after the due date, 第188条) to 2029-04-23, and stays
  there to the end: nothing else interrupted it.
"""

import datetime as dt
import hashlib
from datetime import date
from decimal import Decimal

import pytest

from ioudesk.collections.models import AssignmentRule, Case, ContactRecord, Promise
from ioudesk.collections.services import assignment_rule_save, contact_record_create
from ioudesk.collections.tests.conftest import JPEG, MP3, PDF, at, upload
from ioudesk.core import clock

pytestmark = pytest.mark.django_db

START, END = date(2026, 2, 14), date(2026, 6, 13)


def test_one_hundred_and_twenty_days(strategies, make_loan, collector, private_dir):
    from ioudesk.closing import services as closing
    from ioudesk.ious.models import LimitationEvent
    from ioudesk.legal.letters import LAWYER, LetterOptions, demand_letter_issue

    assert (END - START).days + 1 == 120
    rule = assignment_rule_save(rule=AssignmentRule(order=1, name="M1–M3 电话组", buckets="M1,M2,M3"),
                                collectors=[collector])
    iou = make_loan(term=1)
    assert iou.maturity_date == date(2026, 2, 15)

    def call(day, **fields):
        values = {"party": "debtor", "contacted_at": at(day, 10, 30), "by": collector}
        values.update(fields)
        with clock.frozen(day):
            return contact_record_create(Case.objects.get(), **values)

    seen, expires = {}, {}
    letter = delivered = None
    day = START
    while day <= END:
        if day == date(2026, 2, 17):
            call(day, method="phone", outcome="promised", notes="称发工资后还清",
                 attachments=[("recording", upload("20260217通话.mp3", MP3))],
                 promise=(Decimal("10100.00"), date(2026, 2, 20)))
        elif day == date(2026, 2, 21):
            call(day, method="phone", outcome="no_answer")
        elif day == date(2026, 3, 19):
            call(day, method="phone", outcome="refused", contacted_at=at(day, 15))
        elif day == date(2026, 3, 29):
            call(day, method="visit", outcome="hardship", notes="上门：店铺停业",
                 attachments=[("photo", upload("店铺.jpg", JPEG))], contacted_at=at(day, 14))
        elif day == date(2026, 4, 20):
            with clock.frozen(day):
                letter = demand_letter_issue(Case.objects.get(), kind=LAWYER, by=collector,
                                             options=LetterOptions(law_firm="北京正诚律师事务所", lawyer="周律师"),
                                             contacted_at=at(day, 11))
        elif day == date(2026, 4, 23):
            delivered = call(day, method="lawyer_letter", outcome="delivered", refers_to=letter,
                             notes="EMS 签收", attachments=[("delivery_receipt", upload("EMS签收.pdf", PDF))])
        with clock.frozen(day):
            closing.close_execute(through=day, origin="command")
        expires[day] = type(iou).objects.values_list("limitation_expires_on", flat=True).get(pk=iou.pk)
        case = Case.objects.select_related("stage__strategy").get() if Case.objects.exists() else None
        if case is not None:
            seen[day] = (case.bucket, case.stage.strategy.bucket, case.stage.order, case.next_action,
                         case.escalation_level, case.owner_id)
        day += dt.timedelta(days=1)

    case = Case.objects.get()
    # opened on the first overdue day and assigned by the rule, by the close (no user)
    assert (case.opened_on, case.status) == (date(2026, 2, 16), "open")
    assignment = case.assignments.get()
    assert (assignment.method, assignment.rule, assignment.owner, assignment.by) == ("rule", rule, collector, None)
    assert seen[date(2026, 2, 16)] == ("M1", "M1", 1, "sms", 0, collector.pk)
    # the promise broken by the close of 02-20, the case escalated along M1
    promise = Promise.objects.get()
    assert (promise.status, promise.paid, promise.checked_on) == ("broken", Decimal("0.00"), date(2026, 2, 20))
    assert seen[date(2026, 2, 19)] == ("M1", "M1", 1, "sms", 0, collector.pk)  # waits for the promise
    assert seen[date(2026, 2, 20)] == ("M1", "M1", 2, "phone", 1, collector.pk)
    assert seen[date(2026, 2, 21)] == ("M1", "M1", 2, "", 1, collector.pk)  # called: nothing further in M1
    assert seen[date(2026, 3, 18)] == ("M2", "M2", 1, "phone", 1, collector.pk)  # 31 days: M2's first step
    assert seen[date(2026, 3, 19)] == ("M2", "M2", 1, "visit", 1, collector.pk)  # called: the visit is next
    assert seen[date(2026, 3, 28)] == ("M2", "M2", 2, "visit", 1, collector.pk)  # its day (10 days on)
    assert seen[date(2026, 3, 29)] == ("M2", "M2", 2, "", 1, collector.pk)  # visited
    # by strategy to a lawyer's letter at 61 days, done on 04-20: the legal review follows 15 days on
    assert seen[date(2026, 4, 17)] == ("M3", "M3", 1, "lawyer_letter", 1, collector.pk)
    assert seen[date(2026, 4, 20)] == ("M3", "M3", 1, "legal_review", 1, collector.pk)
    assert seen[date(2026, 5, 2)] == ("M3", "M3", 2, "legal_review", 1, collector.pk)
    assert seen[END][:3] == ("M4", "M3", 2)  # 118 days: M4 is served by the M3 strategy
    assert case.days_past_due == 118 and case.priority == 1  # long overdue (> 90 days)

    # the letter did not interrupt the period; its evidenced delivery did, exactly once
    assert not letter.interruption_recorded and letter.method == "lawyer_letter"
    assert letter.attachments.get().kind == "letter"
    assert delivered.interruption_recorded and delivered.refers_to == letter
    [event] = LimitationEvent.objects.all()
    receipt = delivered.attachments.get()
    assert (event.kind, event.on, event.source, event.evidence_sha256) == (
        "demand", date(2026, 4, 23), f"collections.contactrecord:{delivered.pk}", hashlib.sha256(PDF).hexdigest())
    assert receipt.sha256 == event.evidence_sha256
    # the end of the period: three years from the day after the due date until the delivery (第188条),
    # then three years from the delivery (第195条), and nothing else moved it
    assert {expires[d] for d in expires if date(2026, 2, 16) <= d < date(2026, 4, 23)} == {date(2029, 2, 15)}
    assert {expires[d] for d in expires if d >= date(2026, 4, 23)} == {date(2029, 4, 23)}
    assert ContactRecord.objects.count() == 6
    kinds = list(case.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[:2] == ["opened", "assigned"]
    assert "promise_broken" in kinds and "escalated" in kinds and kinds.count("contact") == 6
