"""The back office's reminder pages: rules (list, edit through the service, preview with real data),
提醒计划 and 提醒记录."""

from datetime import date

import pytest

from ioudesk.core import clock
from ioudesk.notify.models import MessageTemplate
from ioudesk.reminders.models import ReminderRule
from ioudesk.reminders.services import reminders_day_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


def test_rule_list_preview_and_edit(defaults, make_loan, admin_client):
    iou = make_loan()
    rule = ReminderRule.objects.get(kind="before")
    with clock.frozen(date(2026, 2, 1)):
        assert "到期前3天" in admin_client.get("/admin/reminders/reminderrule/").content.decode()
        page = admin_client.get(f"/admin/reminder-rules/{rule.pk}/preview/").content.decode()
    # the real installment, as the rule's reminder of it on 2026-02-12 would read
    assert f"借据 {iou.number} 第1期（2026-02-15 到期）：按本规则在 2026-02-12 发出的提醒" in page
    assert "应还金额888.49元（捌佰捌拾捌元肆角玖分）" in page
    # no contact phone configured and the 客户经理 has none: the text still reads, and the page says why
    assert "如有疑问请致电您的客户经理。" in page and 'data-testid="phone-missing"' in page

    template = MessageTemplate.objects.get(code="reminder-overdue-officer")
    response = admin_client.post(f"/admin/reminders/reminderrule/{rule.pk}/change/", {
        "product": "", "kind": "before", "offsets": "5,2", "repeat_every": "", "repeat_until": "",
        "channel": "sms", "template": template.pk, "is_active": "on", "notes": ""})
    assert response.status_code == 200 and "与规则的渠道" in response.content.decode()
    response = admin_client.post(f"/admin/reminders/reminderrule/{rule.pk}/change/", {
        "product": "", "kind": "before", "offsets": "5,2", "repeat_every": "", "repeat_until": "",
        "channel": "sms", "template": rule.template_id, "is_active": "on", "notes": ""})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.offsets == "2,5"


def test_plan_and_records(defaults, make_loan, admin_client):
    iou = make_loan()
    with clock.frozen(date(2026, 2, 11)):
        page = admin_client.get("/admin/reminder-plan/?day=2026-02-11").content.decode()
        assert iou.number in page and "待日终生成" in page
        reminders_day_step(day=date(2026, 2, 11))
        page = admin_client.get("/admin/reminder-plan/?day=2026-02-11").content.decode()
        assert "待日终生成" not in page and "排队中" in page
        records = admin_client.get("/admin/reminders/reminder/").content.decode()
        assert iou.number in records and "3天后到期" in records
        assert "没有要发出的还款提醒" in admin_client.get("/admin/reminder-plan/?day=2026-02-12").content.decode()
