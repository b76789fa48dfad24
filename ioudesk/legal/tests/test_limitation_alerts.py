"""The day step limitation_alerts: 90 and 30 days before the limitation period ends, once per IOU
and threshold, to the case owner, the IOU's 客户经理 and the branch's 催收主管."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group

from ioudesk.collections.models import Case
from ioudesk.core import clock
from ioudesk.legal.alerts import MANAGER_ROLE, limitation_alerts_day_step
from ioudesk.legal.models import LimitationAlert
from ioudesk.notify.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection_manager(make_staff):
    Group.objects.get_or_create(name=MANAGER_ROLE)
    return make_staff("sunli", role=MANAGER_ROLE)


def test_alerts_90_and_30_days_before_once_each(loan, manager, collection_manager, make_staff):
    """Ends 2030-01-15: 90 days before is 2029-10-17 (14 days of October left + 30 + 31 + 15),
    30 days before 2029-12-16. The officer (张伟), the case owner and the 催收主管 each get one
    in-app message per threshold; running a day again sends nothing."""
    collector = make_staff("zhaolei")
    Case.objects.create(number="CS20260316-0001", iou=loan, customer=loan.customer, branch=loan.branch,
                        opened_on=date(2026, 3, 16), owner=collector)
    assert limitation_alerts_day_step(day=date(2029, 10, 16)) == {"alerts": 0, "messages": 0}
    with clock.frozen(date(2029, 10, 17)):
        assert limitation_alerts_day_step(day=date(2029, 10, 17)) == {"alerts": 1, "messages": 3}
        assert limitation_alerts_day_step(day=date(2029, 10, 17)) == {"alerts": 0, "messages": 0}
        assert limitation_alerts_day_step(day=date(2029, 10, 18)) == {"alerts": 0, "messages": 0}
    assert sorted(Message.objects.values_list("user__username", flat=True)) == ["sunli", "zhangwei", "zhaolei"]
    body = Message.objects.first().body
    assert "2030-01-15" in body and "还剩 90 天" in body
    with clock.frozen(date(2029, 12, 16)):
        assert limitation_alerts_day_step(day=date(2029, 12, 16)) == {"alerts": 1, "messages": 3}
    assert sorted(LimitationAlert.objects.values_list("threshold", flat=True)) == [30, 90]


def test_an_iou_entering_late_gets_only_the_nearest_threshold(loan, manager):
    """20 days left on 2029-12-26: within 30, so only the 30-day alert."""
    with clock.frozen(date(2029, 12, 26)):
        assert limitation_alerts_day_step(day=date(2029, 12, 26)) == {"alerts": 1, "messages": 1}
    assert list(LimitationAlert.objects.values_list("threshold", flat=True)) == [30]
    assert "还剩 20 天" in Message.objects.get().body


def test_a_manager_of_another_branch_is_not_alerted(loan, manager, make_staff, make_branch):
    Group.objects.get_or_create(name=MANAGER_ROLE)
    make_staff("qianfeng", role=MANAGER_ROLE, branch=make_branch("W1", "西城网点"))
    with clock.frozen(date(2029, 10, 17)):
        assert limitation_alerts_day_step(day=date(2029, 10, 17)) == {"alerts": 1, "messages": 1}
