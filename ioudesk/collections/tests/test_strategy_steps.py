"""A strategy's step is removed through the service (audited), not by the admin's ORM call."""

import pytest

from ioudesk.collections.models import ActionKind, Strategy, StrategyStep
from ioudesk.collections.services import strategy_save, strategy_step_delete, strategy_step_save
from ioudesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_step_is_deleted_with_an_audit_event():
    strategy = strategy_save(strategy=Strategy(bucket="M1", name="M1 测试"))
    first = strategy_step_save(step=StrategyStep(strategy=strategy, order=1, action=ActionKind.SMS, after_days=0,
                                                 label="短信"))
    strategy_step_save(step=StrategyStep(strategy=strategy, order=2, action=ActionKind.PHONE, after_days=3,
                                         label="电话"))
    strategy_step_delete(step=first)
    assert list(strategy.steps.values_list("order", flat=True)) == [2]
    event = AuditEvent.objects.filter(object_id=str(first.pk), verb="删除策略步骤").get()
    assert event.changes["action"] == [ActionKind.SMS.value, None]
