"""还款提醒: the rules' cadence on real dates, one message per customer per channel per day, stopped
when paid, the IOU's credit, rules per product, catch-up closes, idempotency, and notify's rules
(opt-out, quiet hours) applied to the reminders.

The loans: ¥10,000 at 12 % a year in 12 equal monthly installments, disbursed 2026-01-15, so each
installment is 10000 × 0.01 × 1.01¹² / (1.01¹² − 1) = ¥888.49, due on the 15th from 2026-02-15.
A ¥5,000, 6-month one pays 5000 × 0.01 × 1.01⁶ / (1.01⁶ − 1) = ¥862.74.

The close of day D reminds for D + 1 (selectors.send_day_for), so with the default rules the
installment due 2026-02-15 is reminded when closing 02-11 (3 days before 02-15), 02-14 (on the due
date), 02-15 (+1 overdue, and the in-app note to the 客户经理), 02-17 (+3), 02-21 (+7), then weekly:
02-28 (+14), 03-07 (+21), 03-14 (+28).
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ioudesk.core import clock
from ioudesk.core.errors import ValidationFailed
from ioudesk.notify import services as notify
from ioudesk.notify.channels import SendResult
from ioudesk.notify.models import Message, MessageTemplate, Status
from ioudesk.reminders import selectors
from ioudesk.reminders.models import Reminder, ReminderRule, ReminderState
from ioudesk.reminders.services import CATCH_UP_REASON, reminders_day_step, rule_save, rule_validate

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days(start: date, end: date):
    while start <= end:
        yield start
        start += timedelta(days=1)


def close(day: date, **kwargs) -> dict:
    with clock.frozen(day):
        return reminders_day_step(day=day, close_run=None, **kwargs)


def messages_on(day: date, channel="sms") -> list[Message]:
    """The reminder messages of the close of ``day`` on ``channel``."""
    return list(Message.objects.filter(delivery_key__startswith="reminder:", delivery_key__endswith=day.isoformat(),
                                       channel=channel).order_by("id"))


class Gateway:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message.pk)
        return SendResult(provider_message_id=f"stub-{message.pk}")


def test_default_cadence_before_on_due_overdue_and_weekly(defaults, make_loan, debtor, manager, settings):
    settings.IOUDESK_CONTACT_PHONE = "010-88886666"
    iou = make_loan()
    for day in days(date(2026, 2, 1), date(2026, 3, 14)):
        close(day)
    log = selectors.reminder_log()
    sms_days = [day for day, customer, channel, category, status in log if channel == "sms"]
    assert sms_days == [date(2026, 2, 11), date(2026, 2, 14), date(2026, 2, 15), date(2026, 2, 17),
                        date(2026, 2, 21), date(2026, 2, 28), date(2026, 3, 7), date(2026, 3, 11),
                        date(2026, 3, 14)]
    assert [(d, c, ch, cat, st) for d, c, ch, cat, st in log if ch == "inapp"] == [
        (date(2026, 2, 15), debtor.pk, "inapp", "repayment_reminder", "queued")]
    assert {row[1:] for row in log} >= {(debtor.pk, "sms", "repayment_reminder", "queued")}

    before = messages_on(date(2026, 2, 11))[0]
    assert before.customer_id == debtor.pk and before.address == "13901012345"
    assert before.body == (f"王建国您好，您在示范机构的借据{iou.number}将于2026年2月15日到期，应还金额888.49元"
                           "（捌佰捌拾捌元肆角玖分），请按时还款。如有疑问请致电010-88886666。")
    # Overdue: what the installment owes as posted (no close ran, so no penalty posted yet); the
    # penalty since is reckoned to the day of payment, as the template says.
    overdue = messages_on(date(2026, 2, 21))[0]
    assert (f"{iou.number}已逾期7天（到期日2026年2月15日），尚欠888.49元（捌佰捌拾捌元肆角玖分），"
            "逾期罚息按约定计至实际还款日") in overdue.body
    [note] = Message.objects.filter(channel="inapp")
    assert (note.user_id, note.customer_id, note.subject) == (manager.pk, None, "逾期提醒：王建国")
    assert note.delivery_key == f"reminder:officer:{manager.pk}:2026-02-15"
    assert note.body == ("您负责的客户王建国有1期逾期未还（最长1天），合计888.49元，请跟进：\n"
                         f"借据{iou.number} 第1期，2026年2月15日到期，应还 ¥888.49")

    # 03-14: installment 1 is 28 days overdue (weekly) and installment 2 due the next day: one SMS,
    # the overdue wording, the sum 888.49 × 2 = 1,776.98, the earliest due date.
    both = messages_on(date(2026, 3, 14))
    assert len(both) == 1
    assert "已逾期28天（到期日2026年2月15日），尚欠1,776.98元（壹仟柒佰柒拾陆元玖角捌分）" in both[0].body
    assert Reminder.objects.filter(day=date(2026, 3, 14), channel="sms").count() == 2
    assert messages_on(date(2026, 3, 11))[0].body.count("2026年3月15日到期") == 1


def test_one_message_per_customer_per_channel_with_two_ious_due(defaults, make_loan, debtor):
    first, second = make_loan(), make_loan(principal="5000", term=6)
    counts = close(date(2026, 2, 14))  # both first installments are due 02-15
    assert counts["messages"] == 1
    [message] = messages_on(date(2026, 2, 14))
    assert message.delivery_key == f"reminder:{debtor.pk}:sms:2026-02-14"
    # 888.49 + 862.74 = 1,751.23
    assert "应还金额1,751.23元（壹仟柒佰伍拾壹元贰角叁分）" in message.body
    assert f"借据{first.number}、{second.number}今日（2026年2月15日）到期" in message.body
    assert sorted(Reminder.objects.filter(message=message).values_list("iou_id", flat=True)) == [first.pk, second.pk]


def test_a_paid_installment_is_no_longer_reminded_and_credit_lowers_the_next(defaults, make_loan, finance):
    iou = make_loan()
    with clock.frozen(date(2026, 2, 16)):
        from ioudesk.ious.services.repayment import iou_repay

        iou_repay(iou=iou, amount=Decimal("1000.00"), user=finance, idempotency_key="pay-1")
    iou.refresh_from_db()
    credit = iou.overpayment
    assert Decimal("0") < credit < Decimal("111.51")  # 1000 − 888.49 = 111.51, less any penalty for a day
    for day in days(date(2026, 2, 16), date(2026, 3, 10)):
        close(day)
    assert selectors.reminder_log() == []  # +3, +7 and the weekly ones stopped at the payment
    close(date(2026, 3, 11))  # installment 2, 3 days ahead, less the credit applied on its due date
    [message] = messages_on(date(2026, 3, 11))
    rest = Decimal("888.49") - credit
    assert f"应还金额{rest:,.2f}元" in message.body


def test_product_rules_replace_the_defaults_for_their_ious(defaults, make_loan, debtor, manager, organisation):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.products.models import Product
    from ioudesk.products.services import product_save

    product = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=500000, min_term=3, max_term=36))
    rule_save(rule=ReminderRule(product=product, kind="before", offsets="1", channel="sms",
                                template=MessageTemplate.objects.get(code="reminder-before-sms")))
    other = customer_create(customer=Customer(kind="individual", branch=debtor.branch, name="李秀英",
                                              phone="13700000001"), user=manager)
    plain = make_loan()
    with_product = make_loan(customer=other, product=product)

    close(date(2026, 2, 11))  # 3 days before: the defaults, the plain loan only
    assert {m.customer_id for m in messages_on(date(2026, 2, 11))} == {debtor.pk}
    close(date(2026, 2, 13))  # 1 day before: the product's rule
    assert [m.customer_id for m in messages_on(date(2026, 2, 13))] == [other.pk]
    close(date(2026, 2, 14))  # on the due date: only the defaults have such a rule
    assert [m.customer_id for m in messages_on(date(2026, 2, 14))] == [debtor.pk]
    assert {plain.product_id, with_product.product_id} == {None, product.pk}

    # Switching the product's rule off silences its IOUs (no fallback to the defaults).
    ReminderRule.objects.filter(product=product).update(is_active=False)
    close(date(2026, 2, 15))
    assert {m.customer_id for m in messages_on(date(2026, 2, 15))} == {debtor.pk}


def test_a_debt_without_product_gets_the_defaults(defaults, debtor, manager, approver, finance):
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", reason="货款", customer=debtor,
                                    principal=Decimal("3200"), rate_text="0%", contract_date=date(2026, 1, 15),
                                    due_date=date(2026, 2, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance, idempotency_key="debt-1")
    close(date(2026, 2, 11))
    [message] = messages_on(date(2026, 2, 11))
    assert "应还金额3,200.00元（叁仟贰佰元整）" in message.body


def test_second_run_adds_nothing(defaults, make_loan):
    make_loan()
    make_loan(principal="5000", term=6)
    first = close(date(2026, 2, 15))
    assert first["messages"] == 2  # one SMS, one in-app note
    assert sum(v for k, v in first.items() if k.startswith("#")) == 4  # 2 installments × 2 rules
    rows, messages = Reminder.objects.count(), Message.objects.count()
    assert close(date(2026, 2, 15)) == {"messages": 0, "suppressed": 0}
    assert (Reminder.objects.count(), Message.objects.count()) == (rows, messages)


def test_catch_up_days_send_nothing_and_say_why(defaults, make_loan, debtor, manager):
    make_loan()
    counts = close(date(2026, 2, 15), catching_up=True)
    assert counts["messages"] == 0 and counts["suppressed"] == 2
    assert Message.objects.count() == 0
    assert set(Reminder.objects.values_list("state", "reason")) == {(ReminderState.SKIPPED, CATCH_UP_REASON)}
    assert selectors.reminder_log() == [(date(2026, 2, 15), debtor.pk, "inapp", "repayment_reminder", "suppressed"),
                                        (date(2026, 2, 15), debtor.pk, "sms", "repayment_reminder", "suppressed")]

    # The next normal day (02-16, for 02-17: 2 days overdue, no rule of its own that day) carries
    # what the catch-up skipped, once, with today's figures: an overdue SMS and the 客户经理's note.
    counts = close(date(2026, 2, 16))
    assert (counts["messages"], counts["late"]) == (2, 1)
    [sms] = messages_on(date(2026, 2, 16))
    assert "已逾期2天（到期日2026年2月15日），尚欠888.49元" in sms.body
    assert set(Reminder.objects.filter(day=date(2026, 2, 15)).values_list("state", "message__delivery_key")) == {
        (ReminderState.LATE, f"reminder:{debtor.pk}:sms:2026-02-16"),
        (ReminderState.LATE, f"reminder:officer:{manager.pk}:2026-02-16")}
    assert [(d, ch, st) for d, _c, ch, _cat, st in selectors.reminder_log()] == [
        (date(2026, 2, 15), "inapp", "suppressed"), (date(2026, 2, 15), "sms", "suppressed"),
        (date(2026, 2, 16), "inapp", "queued"), (date(2026, 2, 16), "sms", "queued")]
    # … and only once: 02-17 (+3) is the rule's own day again, with the SMS alone
    counts = close(date(2026, 2, 17))
    assert counts["messages"] == 1 and "late" not in counts


def test_opt_out_and_quiet_hours_are_respected(defaults, make_loan, debtor, manager):
    make_loan()
    close(date(2026, 2, 11))
    [message] = messages_on(date(2026, 2, 11))
    gateway = Gateway()
    # The close runs late in the evening: the SMS waits for 08:00.
    evening = dt.datetime(2026, 2, 11, 22, 30, tzinfo=SHANGHAI)
    assert notify.message_deliver(message.pk, now=evening, backend=gateway) == Status.QUEUED
    message.refresh_from_db()
    assert message.scheduled_for == dt.datetime(2026, 2, 12, 8, 0, tzinfo=SHANGHAI)
    assert gateway.sent == []
    morning = dt.datetime(2026, 2, 12, 8, 0, 30, tzinfo=SHANGHAI)
    assert notify.message_deliver(message.pk, now=morning, backend=gateway) == Status.SENT
    assert gateway.sent == [message.pk]

    notify.opt_out_record(customer=debtor, channel="sms", reason="客户来电要求不再发短信", user=manager)
    close(date(2026, 2, 14))
    [due] = messages_on(date(2026, 2, 14))
    noon = dt.datetime(2026, 2, 15, 12, 0, tzinfo=SHANGHAI)
    assert notify.message_deliver(due.pk, now=noon, backend=gateway) == Status.SUPPRESSED
    due.refresh_from_db()
    assert "退订" in due.status_reason and gateway.sent == [message.pk]
    assert [row[4] for row in selectors.reminder_log() if row[2] == "sms"] == ["sent", "suppressed"]


def test_rule_due_dates_with_weekly_repeats():
    rule = ReminderRule(kind="overdue", offsets="1,3,7", repeat_every=7, channel="sms")
    send = date(2026, 3, 15)
    assert selectors.rule_due_dates(rule, send, oldest=date(2026, 2, 1)) == [
        send - timedelta(days=n) for n in (42, 35, 28, 21, 14, 7, 3, 1)]
    rule.repeat_until = 21
    assert selectors.rule_due_dates(rule, send, oldest=date(2025, 1, 1)) == [
        send - timedelta(days=n) for n in (21, 14, 7, 3, 1)]
    rule.repeat_until = None  # without a limit: ten years back, 1 + 3 + 7 and 520 weekly repeats (14 … 3647)
    dates = selectors.rule_due_dates(rule, send)
    assert len(dates) == 3 + 520 and dates[0] == send - timedelta(days=3647)
    assert selectors.rule_due_dates(ReminderRule(kind="before", offsets="7,3"), send, None) == [
        date(2026, 3, 18), date(2026, 3, 22)]
    assert selectors.rule_due_dates(ReminderRule(kind="on_due"), send, None) == [send]


def test_unknown_placeholder_refused_when_the_template_is_saved(defaults):
    template = MessageTemplate.objects.get(code="reminder-before-sms")
    template.body = "{客户姓名}您好，请于{到期日}前归还{欠款总额}元。"
    with pytest.raises(ValidationFailed) as refused:
        notify.template_save(template=template)
    assert "{欠款总额}" in str(refused.value.message)


def test_rule_checks(defaults):
    inapp = MessageTemplate.objects.get(code="reminder-overdue-officer")
    with pytest.raises(ValidationFailed) as refused:
        rule_validate(rule=ReminderRule(kind="before", offsets="3,x", channel="sms", template=inapp))
    assert refused.value.extra["fields"]["offsets"].startswith("天数请写正整数")
    with pytest.raises(ValidationFailed) as refused:
        rule_validate(rule=ReminderRule(kind="before", offsets="3", channel="sms", template=inapp, repeat_every=7))
    assert set(refused.value.extra["fields"]) == {"repeat_every", "template"}
    rule = ReminderRule(kind="overdue", offsets="7, 1，3", repeat_every=7, channel="inapp", template=inapp)
    rule_validate(rule=rule)
    assert rule.offsets == "1,3,7"


def test_defaults_seeded_once(defaults):
    from ioudesk.reminders.services import reminder_defaults_ensure

    assert [(r.kind, r.offsets, r.repeat_every, r.channel) for r in ReminderRule.objects.order_by("id")] == [
        ("before", "3", None, "sms"), ("on_due", "", None, "sms"), ("overdue", "1,3,7", 7, "sms"),
        ("overdue", "1", None, "inapp")]
    assert reminder_defaults_ensure() == 0


def test_sample_is_a_real_upcoming_installment(defaults, make_loan):
    from ioudesk.notify.placeholders import sample_context

    assert sample_context("repayment_reminder")["客户姓名"] == "王建国"  # the sample values
    iou = make_loan()
    with clock.frozen(date(2026, 2, 12)):
        context = sample_context("repayment_reminder")
    assert (context["借据编号"], context["到期日"], context["应还金额"], context["距到期天数"]) == (
        iou.number, "2026年2月15日", "888.49", "3")
