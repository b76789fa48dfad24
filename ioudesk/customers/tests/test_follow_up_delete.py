"""A follow-up entered by mistake is deleted through followups.follow_up_delete: by its owner (or
whoever may delete follow-ups) in their branches, audited with what it said (defect 19)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied
from ioudesk.customers import followups
from ioudesk.customers.models import FollowUp

MORNING = datetime(2026, 11, 28, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def record(customer, owner):
    return followups.follow_up_record(customer=customer, owner=owner, user=owner, channel="phone",
                                      happened_at=MORNING, content="电话提醒 12 月 5 日还款 3,200 元。")


def test_the_owner_deletes_a_mistaken_follow_up_and_the_trail_keeps_it(debtor, manager):
    entry = record(debtor, manager)

    followups.follow_up_delete(follow_up=entry, user=manager, reason="录错了客户")

    assert not FollowUp.objects.exists()
    event = audit.events_for(entry).get(action="delete")
    assert event.verb == "删除跟进" and event.reason == "录错了客户"
    assert event.changes["content"] == ["电话提醒 12 月 5 日还款 3,200 元。", None]


def test_others_without_the_right_or_the_branch_cannot_delete_it(debtor, manager, make_staff, make_branch):
    entry = record(debtor, manager)
    collector = make_staff("cuishou", role="催收员")  # may add follow-ups, not delete others'
    west = make_staff("west", role="客户经理", branch=make_branch("W1", "西城网点"))

    for user in (collector, west):
        with pytest.raises(PermissionDenied):
            followups.follow_up_delete(follow_up=entry, user=user)

    assert FollowUp.objects.filter(pk=entry.pk).exists() and not audit.events_for(entry).filter(action="delete")
