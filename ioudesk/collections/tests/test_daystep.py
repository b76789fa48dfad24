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
    assert case.next_action_due == at(date(2026, 2, 16), 18)
    assert case.nature == "loan" and case.priority == 3
    assert list(case.events.values_list("kind", flat=True)) == ["opened"]
    # the step again for the same day: nothing new (the case still matches no assignment rule)
    assert collections_day_step(day=date(2026, 2, 16)) == {"unmatched": 1}
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
