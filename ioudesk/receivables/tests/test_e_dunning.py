"""单据到期提醒 and 催款通知 by the seeded rules (``applies_to`` bill and payable), the day step
``dunning`` (order 52) for closed day D, counting from D + 1 (the day the messages go out).

The book: 上海恒达建材有限公司 owes B1 ¥6,300.00 due 2026-03-10 and B2 ¥1,200.00 due 2026-03-10
(业务员 张伟); we owe 广州华南钢材有限公司 P1 ¥8,000.00 due 2026-03-12. The seeded rules: before 3 days
(SMS), on the due date (SMS), 催款 at +1, +7, +15 then every 15 days (SMS), by e-mail at +7 then
every 30 days, the 业务员 at +1; payables: the next 7 days to the branch's 财务.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.notify.models import Message
from ioudesk.receivables.dunning import (
    CARRIED_REASON,
    CATCH_UP_REASON,
    dunning_day_step,
    dunning_defaults_ensure,
    reminder_log,
)
from ioudesk.receivables.models import BillEvent, BillReminder, Direction
from ioudesk.receivables.tests import e_book
from ioudesk.reminders.models import ReminderRule

D = Decimal


@pytest.fixture
def company(head_office, manager):
    from ioudesk.calc.uscc import check_character
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    first17 = "91310115MA1K4ABC1"
    return customer_create(customer=Customer(kind="company", name="上海恒达建材有限公司", branch=head_office,
                                             credit_code=first17 + check_character(first17), phone="13901012345"),
                           user=manager)


@pytest.fixture
def supplier(head_office, manager):
    from ioudesk.calc.uscc import check_character
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    first17 = "91440101MA5C7XY8P"
    return customer_create(customer=Customer(kind="company", name="广州华南钢材有限公司", branch=head_office,
                                             credit_code=first17 + check_character(first17), phone="02088881234"),
                           user=manager)


@pytest.fixture
def book(organisation, company, supplier, manager, finance):
    assert dunning_defaults_ensure() == 6
    with clock.frozen(date(2026, 2, 10)):
        b1 = e_book.bill(company, date(2026, 2, 8), [(date(2026, 3, 10), "6300.00")], manager=manager)
        b2 = e_book.bill(company, date(2026, 2, 9), [(date(2026, 3, 10), "1200.00")], manager=manager)
        p1 = e_book.bill(supplier, date(2026, 2, 10), [(date(2026, 3, 12), "8000.00")], direction=Direction.PAYABLE)
    return {"b1": b1, "b2": b2, "p1": p1}


def _messages(day: date, category=None):
    rows = Message.objects.filter(delivery_key__endswith=f":{day.isoformat()}")
    if category:
        rows = rows.filter(category=category)
    return list(rows.order_by("pk"))


def run(day: date, **kwargs):
    with clock.frozen(day):
        return dunning_day_step(day=day, **kwargs)


def test_seeding_is_idempotent_and_kept_apart_from_the_iou_rules(organisation):
    from ioudesk.reminders.services import reminder_defaults_ensure

    assert reminder_defaults_ensure() == 4  # the IOU rules, as before
    assert dunning_defaults_ensure() == 6  # the bills' (5) and the payables' (1)
    assert sorted(ReminderRule.objects.values_list("applies_to", flat=True)) == ["bill"] * 5 + ["iou"] * 4 + [
        "payable"]
    assert (reminder_defaults_ensure(), dunning_defaults_ensure()) == (0, 0)
    # an administrator who switched the payables' rule off keeps it off (no second seeding)
    ReminderRule.objects.filter(applies_to="payable").update(is_active=False)
    assert dunning_defaults_ensure() == 0 and not ReminderRule.objects.get(applies_to="payable").is_active


def test_before_due_on_the_due_date_and_dunning_after_once_a_day(book, company, manager, finance):
    b1, b2, p1 = book["b1"], book["b2"], book["p1"]

    # close of 03-06: the messages go out 03-07; 3 days before 03-10 → one SMS for both bills
    counts = run(date(2026, 3, 6))
    (sms,) = _messages(date(2026, 3, 6), "bill_reminder")[:1]
    assert sms.channel == "sms" and sms.customer_id == company.pk
    assert sms.delivery_key == f"bill-dunning:{company.pk}:sms:2026-03-06"
    assert f"单据{b1.number}、{b2.number}" in sms.body and "2026年3月10日到期，金额7,500.00元（柒仟伍佰元整）" in sms.body
    # the payable falls due within 7 days of 03-07: the 财务 user's note
    (note,) = _messages(date(2026, 3, 6), "bill_reminder")[1:]
    assert note.channel == "inapp" and note.user_id == finance.pk
    assert note.delivery_key == f"payable:{finance.pk}:2026-03-06"
    assert "广州华南钢材有限公司" in note.body and "8,000.00" in note.body and p1.number in note.body
    assert counts["messages"] == 2
    assert BillEvent.objects.filter(bill=b1, kind="reminded").count() == 1

    # the same close again: nothing new
    assert "messages" not in run(date(2026, 3, 6))
    assert Message.objects.count() == 2

    # close of 03-09: on the due date (03-10) → the on-due SMS; the payable again (still ahead)
    run(date(2026, 3, 9))
    bodies = [m.body for m in _messages(date(2026, 3, 9), "bill_reminder") if m.channel == "sms"]
    assert len(bodies) == 1 and "今日（2026年3月10日）到期" in bodies[0]

    # B2 paid on 03-10; close of 03-10 → overdue +1 on 03-11: 催款通知 by SMS for B1 only, the 业务员's note
    e_book.pay(b2, "1200.00", date(2026, 3, 10))
    run(date(2026, 3, 10))
    dunning = _messages(date(2026, 3, 10), "bill_dunning")
    assert sorted(m.channel for m in dunning) == ["inapp", "sms"]
    sms = next(m for m in dunning if m.channel == "sms")
    assert sms.body.startswith("【催款通知】上海恒达建材有限公司") and "已逾期1天" in sms.body
    assert b1.number in sms.body and b2.number not in sms.body and "6,300.00元（陆仟叁佰元整）" in sms.body
    inapp = next(m for m in dunning if m.channel == "inapp")
    assert inapp.user_id == manager.pk and "1笔应收款逾期未付（最长1天）" in inapp.body
    assert BillEvent.objects.filter(bill=b1, kind="dunned").get().text == (
        "催款通知（短信（债务人）、站内信（客户经理））：逾期 1 天，未付 ¥6,300.00")

    # +2 … +6: no rule speaks; +7 (close of 03-16): SMS and the formal e-mail
    for day in e_book.days(date(2026, 3, 11), date(2026, 3, 15)):
        run(day)
        assert _messages(day, "bill_dunning") == []
    run(date(2026, 3, 16))
    assert sorted(m.channel for m in _messages(date(2026, 3, 16), "bill_dunning")) == ["email", "sms"]
    email = next(m for m in _messages(date(2026, 3, 16)) if m.channel == "email")
    assert email.subject == f"催款通知：{b1.number}" and "民法典》第六百二十六条" in email.body
    assert email.status == "suppressed"  # the customer has no e-mail address: recorded, not sent

    # +15 (close of 03-24: sent 03-25), then every 15 days: +30 (close of 04-08); nothing at +16
    run(date(2026, 3, 24))
    assert [m.channel for m in _messages(date(2026, 3, 24), "bill_dunning")] == ["sms"]
    run(date(2026, 3, 25))
    assert _messages(date(2026, 3, 25), "bill_dunning") == []
    run(date(2026, 4, 8))
    assert [m.channel for m in _messages(date(2026, 4, 8), "bill_dunning")] == ["sms"]

    # one BillReminder row per (item, rule, day, channel)
    log = [row for row in reminder_log() if row[1] == b1.number]
    assert [(day, channel, kind) for day, _n, _s, channel, kind, _sent in log] == [
        (date(2026, 3, 6), "sms", "before"), (date(2026, 3, 9), "sms", "before"),
        (date(2026, 3, 10), "inapp", "overdue"), (date(2026, 3, 10), "sms", "overdue"),
        (date(2026, 3, 16), "email", "overdue"), (date(2026, 3, 16), "sms", "overdue"),
        (date(2026, 3, 24), "sms", "overdue"), (date(2026, 4, 8), "sms", "overdue")]


def test_a_disputed_bill_is_not_dunned(book):
    type(book["b1"]).objects.filter(pk=book["b1"].pk).update(disputed=True, dispute_note="数量不符")
    run(date(2026, 3, 10))
    (sms,) = [m for m in _messages(date(2026, 3, 10), "bill_dunning") if m.channel == "sms"]
    assert book["b2"].number in sms.body and book["b1"].number not in sms.body


def test_catch_up_days_send_nothing_and_the_last_day_carries_what_is_still_owed(book, company):
    b1 = book["b1"]
    # a close of 03-09 … 03-11 in one run: 03-09 and 03-10 are catch-up days
    run(date(2026, 3, 9), catching_up=True)
    run(date(2026, 3, 10), catching_up=True)
    assert Message.objects.count() == 0
    skipped = BillReminder.objects.filter(sent=False, note=CATCH_UP_REASON)
    assert skipped.filter(due__bill=b1).count() == 3  # on-due SMS (03-09), 催款 SMS and the 业务员 (03-10)
    # 03-11 (+2, no rule of its own): the skipped items still open are carried once, with today's figures
    counts = run(date(2026, 3, 11))
    assert counts["late"] == 2  # B1's and B2's items
    sms = [m for m in _messages(date(2026, 3, 11)) if m.channel == "sms" and m.customer_id == company.pk]
    assert len(sms) == 1 and "已逾期2天" in sms[0].body and "7,500.00" in sms[0].body
    assert not BillReminder.objects.filter(note=CATCH_UP_REASON).exists()
    assert BillReminder.objects.filter(note=CARRIED_REASON).count() >= 3
    # the next day nothing more is carried
    assert "late" not in run(date(2026, 3, 12))


def test_the_bill_reminder_admin_and_the_plan_page(book, admin_user_zh, client):
    run(date(2026, 3, 6))
    client.force_login(admin_user_zh)
    page = client.get("/admin/receivables/billreminder/")
    assert page.status_code == 200 and book["b1"].number in page.content.decode()
    with clock.frozen(date(2026, 3, 6)):
        plan = client.get("/admin/reminder-plan/?day=2026-03-06")
    html = plan.content.decode()
    assert plan.status_code == 200 and book["b1"].number in html and book["p1"].number in html
    assert "已生成消息" in html
    rule = ReminderRule.objects.filter(applies_to="bill", kind="overdue", channel="sms").get()
    with clock.frozen(date(2026, 3, 6)):
        preview = client.get(f"/admin/reminder-rules/{rule.pk}/preview/")
    assert preview.status_code == 200 and "【催款通知】上海恒达建材有限公司" in preview.content.decode()
    rules = client.get("/admin/reminders/reminderrule/")
    assert rules.status_code == 200 and "应收单据（客户）" in rules.content.decode()
