"""The day step ``collections`` inside the real daily close.

The loan: ¥10,000 at 12 % in 12 monthly installments of ¥888.49 from 2026-02-15 (interest of the
first month 10,000 × 1 % = ¥100.00, principal ¥788.49). Unpaid on 02-15, it is overdue from 02-16."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.closing.registry import day_steps
from ioudesk.collections.daystep import collections_day_step
from ioudesk.collections.models import (
    Agency,
    AssignmentRule,
    Case,
    CaseEvent,
    CaseStatus,
    CollectorProfile,
    Promise,
    PromiseStatus,
    Recovery,
)
from ioudesk.collections.tests.conftest import at, close_through
from ioudesk.core import clock

pytestmark = pytest.mark.django_db


def test_registered_before_the_reminders():
    steps = {step.name: step for step in day_steps()}
    assert (str(steps["collections"].label), steps["collections"].order) == ("催收", 40)
    assert steps["collections"].order < steps["reminders"].order


def test_case_opened_on_the_first_overdue_day_with_its_arrears_and_first_step(strategies, make_loan):
    iou = make_loan()
    close_through(date(2026, 2, 15))
    assert not Case.objects.exists()
    close_through(date(2026, 2, 16))
    case = Case.objects.get()
    assert case.number == "CS20260216-0001"
    assert (case.iou_id, case.status, case.opened_on, case.bucket, case.days_past_due) == (
        iou.pk, CaseStatus.OPEN, date(2026, 2, 16), "M1", 1)
    # the first installment as posted: ¥888.49 and the penalty posted when it fell overdue (class
    # change): 788.49 × 18 % (12 % + 50 %) / 360 × 1 day = ¥0.39
    assert case.arrears == Decimal("888.49") + Decimal("0.39")
    assert (case.stage.strategy.bucket, case.stage.order, case.next_action) == ("M1", 1, "sms")
    # begun by the close of 02-16, after that day's work: the SMS is due the next day at 18:00
    assert case.next_action_due == at(date(2026, 2, 17), 18)
    assert case.nature == "loan" and case.priority == 3
    assert list(case.events.values_list("kind", flat=True)) == ["opened"]
    # the step again for the same day: nothing new (the case still matches no assignment rule)
    assert collections_day_step(day=date(2026, 2, 16)) == {"unmatched": 1}
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def repay(iou, amount, day, finance):
    from ioudesk.ious.services.repayment import iou_repay

    with clock.frozen(day):
        return iou_repay(iou=iou, amount=Decimal(amount), user=finance, day=day)


def test_assigned_by_rule_to_the_least_loaded_skilled_collector(strategies, make_loan, make_staff):
    from ioudesk.collections.services import assignment_rule_save, collector_profile_save

    first, second, m2_only = (make_staff(name, role="催收员") for name in ("cui1", "cui2", "cui3"))
    collector_profile_save(profile=CollectorProfile(user=first, skills="M1", max_open_cases=10))
    collector_profile_save(profile=CollectorProfile(user=m2_only, skills="M2", max_open_cases=10))
    # ``second`` has no profile: every bucket, up to 200 open cases
    rule = assignment_rule_save(rule=AssignmentRule(order=1, name="M1 电话组", buckets="M1"),
                                collectors=[first, second, m2_only])
    for _ in range(3):
        make_loan()
    close_through(date(2026, 2, 16))
    cases = list(Case.objects.order_by("pk"))
    # equal arrears: in case order, each to the one with the fewest open cases (then the lower id)
    assert [c.owner for c in cases] == [first, second, first]
    assignment = cases[0].assignments.get()
    assert (assignment.method, assignment.rule, assignment.by, assignment.ended_at) == ("rule", rule, None, None)
    assert CaseEvent.objects.filter(kind="assigned").count() == 3
    run = __import__("ioudesk.closing.models", fromlist=["CloseRun"]).CloseRun.objects.get(day=date(2026, 2, 16))
    assert run.counts["collections"] == {"opened": 3, "assigned": 3}


def test_agency_recovery_with_its_commission(strategies, make_loan, finance):
    from ioudesk.collections.services import agency_save, assignment_rule_save

    agency = agency_save(agency=Agency(name="清收公司", commission_rate=Decimal("0.1500")))
    assignment_rule_save(rule=AssignmentRule(order=1, name="全部委外", agency=agency), collectors=[])
    iou = make_loan()
    close_through(date(2026, 2, 16))
    case = Case.objects.get()
    assert (case.agency, case.owner) == (agency, None)
    repay(iou, "500.00", date(2026, 2, 17), finance)
    close_through(date(2026, 2, 17))
    recovery = Recovery.objects.get()
    # ¥500.00 recovered; commission 500.00 × 15 % = ¥75.00
    assert (recovery.case, recovery.day, recovery.amount, recovery.agency, recovery.owner, recovery.bucket,
            recovery.commission) == (case, date(2026, 2, 17), Decimal("500.00"), agency, None, "M1", Decimal("75.00"))
    assert collections_day_step(day=date(2026, 2, 17)).get("recoveries") is None  # once per transaction


def test_promises_judged_kept_partly_kept_and_broken(strategies, make_loan, collector, finance):
    from ioudesk.collections.services import case_assign, contact_record_create
    from ioudesk.ious.models import Installment

    ious = [make_loan() for _ in range(3)]
    close_through(date(2026, 2, 16))
    cases = list(Case.objects.order_by("pk"))
    with clock.frozen(date(2026, 2, 17)):
        for case, amount in zip(cases, ("888.88", "500.00", "300.00"), strict=True):
            case_assign(case, owner=collector, by=None)
            contact_record_create(case, method="phone", party="debtor", outcome="promised",
                                  contacted_at=at(date(2026, 2, 17), 10), by=collector,
                                  promise=(Decimal(amount), date(2026, 2, 19)))
    close_through(date(2026, 2, 17))
    repay(ious[0], "900.00", date(2026, 2, 18), finance)  # more than owed: the rest is credit
    repay(ious[1], "200.00", date(2026, 2, 19), finance)
    close_through(date(2026, 2, 19))
    kept, partly, broken = (Promise.objects.get(case=case) for case in cases)
    assert (kept.status, kept.paid, kept.checked_on) == (PromiseStatus.KEPT, Decimal("900.00"), date(2026, 2, 19))
    assert (partly.status, partly.paid) == (PromiseStatus.PARTLY_KEPT, Decimal("200.00"))
    assert (broken.status, broken.paid) == (PromiseStatus.BROKEN, Decimal("0.00"))
    first, second, third = (Case.objects.get(pk=case.pk) for case in cases)
    # the first paid everything overdue on 02-18: cured and closed by that day's close
    assert (first.status, first.close_reason, first.closed_on) == ("closed", "cured", date(2026, 2, 18))
    installment = Installment.objects.get(schedule__iou=ious[0], schedule__is_current=True, number=1)
    recovered = Recovery.objects.get(case=first)
    # what the ¥900.00 paid of the debt: the installment (¥888.49) and the penalty posted to 02-18
    assert recovered.amount == Decimal("888.49") + installment.penalty_paid and recovered.owner == collector
    assert Recovery.objects.get(case=second).amount == Decimal("200.00")
    # the broken promise escalated the third case: from M1 step 1 (SMS) to step 2 (phone) on 02-19
    assert (third.escalation_level, third.stage.order, third.next_action, third.stage_since) == (
        1, 2, "phone", date(2026, 2, 19))
    assert list(third.events.filter(kind__in=["promise_broken", "escalated"]).values_list("kind", flat=True)) == [
        "promise_broken", "escalated"]
    # the second's promise was partly kept: no escalation, the strategy went on (phone from 02-19)
    assert (second.escalation_level, second.stage.order, second.promise_due_on) == (0, 2, None)
    assert collections_day_step(day=date(2026, 2, 19)).get("promises_broken") is None


def test_missed_actions_escalate_along_the_strategies(strategies, make_loan, collector):
    from ioudesk.collections.services import case_assign

    make_loan()
    close_through(date(2026, 2, 16))
    case_assign(Case.objects.get(), owner=collector, by=None)
    steps = {}
    for day in (date(2026, 2, 19), date(2026, 2, 23), date(2026, 2, 27), date(2026, 3, 3)):
        collections_day_step(day=day)
        case = Case.objects.get()
        steps[day] = (case.stage.strategy.bucket, case.stage.order, case.next_action, case.escalation_level)
    assert steps == {
        date(2026, 2, 19): ("M1", 2, "phone", 0),  # its day came (3 days after the SMS step)
        # the call (begun 02-19) was due 02-20 18:00; more than 2 days (the grace) later, on the close of
        # 02-23: escalated to M2's first step, due 02-24 18:00; and so on
        date(2026, 2, 23): ("M2", 1, "phone", 1),
        date(2026, 2, 27): ("M2", 2, "visit", 2),
        date(2026, 3, 3): ("M3", 1, "lawyer_letter", 3),
    }
    assert Case.objects.get().next_action_due == at(date(2026, 3, 4), 18)
    assert collections_day_step(day=date(2026, 3, 6)).get("escalated") is None  # due 03-04: within the grace
    assert Case.objects.get().priority == 1  # escalated twice or more


def test_a_rising_bucket_enters_its_strategy(strategies, make_loan):
    from ioudesk.ious.models import Iou

    make_loan()
    close_through(date(2026, 2, 16))
    Iou.objects.update(days_past_due=31, bucket="M2")  # as the close of 03-18 would have it
    counts = collections_day_step(day=date(2026, 3, 18))
    case = Case.objects.get()
    assert (case.bucket, case.days_past_due, case.stage.strategy.bucket, case.stage.order, case.stage_since) == (
        "M2", 31, "M2", 1, date(2026, 3, 18))
    assert counts["stage_moved"] == 1 and case.priority == 2  # over 30 days past due


def test_a_settled_iou_closes_its_case(strategies, make_loan):
    from ioudesk.ious.models import Iou

    make_loan()
    close_through(date(2026, 2, 16))
    Iou.objects.update(status="settled")
    assert collections_day_step(day=date(2026, 2, 17))["closed_settled"] == 1
    case = Case.objects.get()
    assert (case.status, case.close_reason, case.next_action, case.next_action_due) == ("closed", "settled", "", None)
