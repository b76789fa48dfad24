"""90 business days of the real daily close with the default reminder rules, and the reminder log
checked against what the rules say, worked out here from the due dates and the payments alone:
who got what on which day, on which channel, with quiet hours and opt-outs respected.

Five debtors, loans disbursed 2026-01-15 at 12 % in equal monthly installments (due on the 15th
from 2026-02-15); the close runs every day from 2026-02-01 to 2026-05-01 at 23:00, its messages are
handed to the gateway at once (SMS held back by the quiet hours, 21:00–08:00) and again at 08:00:30
the next morning:

* 王建国 pays every installment on its due date (exactly the installment);
* 李秀英 never pays;
* 张敏 pays ¥1,000 on 2026-02-20 (installment 1, 5 days late, and credit towards installment 2), then nothing;
* 刘芳 never pays and asked for no SMS (退订) before it all began;
* 陈强 has two loans (¥10,000 / 12 and ¥5,000 / 6) and never pays: one message a day for both.

The default rules, counted from the day after the closed day D (s = D + 1), x = s − due date:
SMS at x = −3, 0, +1, +3, +7 and every 7 days after (+14, +21 …); the in-app note to the 客户经理 at
x = +1 (one note a day per 客户经理 for all their customers); for every installment not paid off
by the end of D.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ioudesk.closing import services as closing
from ioudesk.core import clock
from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.ious.models import Installment
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.notify import services as notify
from ioudesk.notify.channels import InAppBackend, SendResult
from ioudesk.notify.models import DeliveryAttempt, Message, Status
from ioudesk.reminders import selectors

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 2, 1), date(2026, 5, 1)


class Gateway:
    """The SMS gateway takes every message; in-app ones go to the real inbox backend."""

    def send(self, message):
        if message.channel == "inapp":
            return InAppBackend().send(message)
        return SendResult(provider_message_id=f"stub-{message.pk}")


def sms_due(x: int) -> bool:
    return x in (-3, 0, 1, 3, 7) or (x > 7 and (x - 7) % 7 == 0)


def test_ninety_days_of_reminders(defaults, make_loan, debtor, manager, finance):
    def customer(name, phone):
        return customer_create(customer=Customer(kind="individual", branch=debtor.branch, name=name, phone=phone),
                               user=manager)

    li, zhang, liu, chen = (customer("李秀英", "13700000001"), customer("张敏", "13700000002"),
                            customer("刘芳", "13700000003"), customer("陈强", "13700000004"))
    loans = {debtor.pk: [make_loan()], li.pk: [make_loan(customer=li)], zhang.pk: [make_loan(customer=zhang)],
             liu.pk: [make_loan(customer=liu)],
             chen.pk: [make_loan(customer=chen), make_loan(customer=chen, principal="5000", term=6)]}
    notify.opt_out_record(customer=liu, channel="sms", reason="客户要求不再发短信", user=manager)

    # installment (customer, due date, day paid off or None), as the payments below make them
    due_dates = [date(2026, m, 15) for m in (2, 3, 4)]
    paid_on: dict[tuple[int, date], date | None] = {}
    for customer_id, ious in loans.items():
        for _iou in ious:
            for due in due_dates:
                paid_on[(customer_id, due)] = None
    for due in due_dates:
        paid_on[(debtor.pk, due)] = due
    paid_on[(zhang.pk, date(2026, 2, 15))] = date(2026, 2, 20)

    gateway = Gateway()
    day = START
    while day <= END:
        with clock.frozen(day):
            for due in due_dates:
                if due == day:  # 王建国 pays the installment on its due date
                    [iou] = loans[debtor.pk]
                    row = Installment.objects.get(schedule__iou=iou, schedule__is_current=True, due_date=due)
                    iou_repay(iou=iou, amount=row.total_due, user=finance, idempotency_key=f"wang-{due}")
            if day == date(2026, 2, 20):
                iou_repay(iou=loans[zhang.pk][0], amount=Decimal("1000.00"), user=finance, idempotency_key="zhang")
            closing.close_execute(through=day, origin="command")
            for pk in Message.objects.filter(status=Status.QUEUED).values_list("pk", flat=True):
                notify.message_deliver(pk, now=dt.datetime.combine(day, dt.time(23, 0), SHANGHAI), backend=gateway)
        morning = dt.datetime.combine(day + timedelta(days=1), dt.time(8, 0, 30), SHANGHAI)
        for pk in Message.objects.filter(status=Status.QUEUED).values_list("pk", flat=True):
            notify.message_deliver(pk, now=morning, backend=gateway)
        day += timedelta(days=1)

    # What the rules say, from the due dates and payments only.
    expected = set()
    for (customer_id, due), paid in paid_on.items():
        day = START
        while day <= END:
            x = (day + timedelta(days=1) - due).days
            if paid is None or paid > day:
                if sms_due(x):
                    expected.add((day, customer_id, "sms", "suppressed" if customer_id == liu.pk else "sent"))
                if x == 1:
                    expected.add((day, customer_id, "inapp", "delivered"))
            day += timedelta(days=1)
    log = selectors.reminder_log()
    assert {(d, c, ch, st) for d, c, ch, _cat, st in log} == expected
    # one SMS per customer per day (陈强's two loans included), one in-app note per 客户经理 per day
    # (every loan here is 张伟's, the manager who made it) listing the customers 1 day overdue
    assert Message.objects.filter(category="repayment_reminder", channel="sms").count() == sum(
        1 for row in expected if row[2] == "sms")
    notes = Message.objects.filter(category="repayment_reminder", channel="inapp")
    assert set(notes.values_list("user_id", flat=True)) == {manager.pk}
    assert notes.count() == len({row[0] for row in expected if row[2] == "inapp"})
    # 李秀英, who never pays, by hand: s runs to 05-02. Installment 1 (due 02-15): x = −3, 0, 1, 3, 7,
    # then 14 … 70 (9 weekly) = 14 days; installment 2 (03-15): −3, 0, 1, 3, 7, 14 … 42 = 10, of which
    # 0, 7, 14, 21, 28, 35, 42 fall on a day of installment 1's (03-15, 03-22 … 04-26: x = 28, 35 … 70),
    # 3 new; installment 3 (04-15): −3, 0, 1, 3, 7, 14 = 6, of which −3 (04-12) is installment 1's
    # x = 56, 5 new. 14 + 3 + 5 = 22 SMS, one of them (04-12) for all three installments.
    li_sms = [d for d, c, ch, _cat, _st in log if c == li.pk and ch == "sms"]
    assert len(li_sms) == 22
    assert selectors.Reminder.objects.filter(customer=li, day=date(2026, 4, 11), channel="sms").count() == 3
    assert {cat for _d, _c, _ch, cat, _st in log} == {"repayment_reminder"}
    # a few of them in words: 王建国 only before and on each due date; 张敏's first installment +1 and +3
    assert sorted(d for d, c, ch, _cat, _st in log if c == debtor.pk) == [
        date(2026, 2, 11), date(2026, 2, 14), date(2026, 3, 11), date(2026, 3, 14), date(2026, 4, 11),
        date(2026, 4, 14)]
    zhang_feb = sorted(d for d, c, ch, _cat, _st in log if c == zhang.pk and ch == "sms" and d < date(2026, 3, 1))
    assert zhang_feb == [date(2026, 2, 11), date(2026, 2, 14), date(2026, 2, 15), date(2026, 2, 17)]

    # Quiet hours: every SMS was held back at 23:00 and sent the next morning after 08:00.
    sent = Message.objects.filter(channel="sms", status=Status.SENT, category="repayment_reminder")
    assert sent.count() == sum(1 for row in expected if row[2] == "sms" and row[3] == "sent")
    for message in sent:
        local = message.sent_at.astimezone(SHANGHAI)
        assert local.time() >= dt.time(8, 0) and local.time() < dt.time(21, 0)
        assert list(message.attempts_log.values_list("outcome", flat=True)) == [
            DeliveryAttempt.Outcome.DEFERRED, DeliveryAttempt.Outcome.SENT]
    # Opt-out: 刘芳's SMS were never handed to the gateway, each says why.
    for message in Message.objects.filter(customer=liu, channel="sms"):
        assert message.status == Status.SUPPRESSED and "退订" in message.status_reason and not message.sent_at
    # 陈强's daily message speaks for both loans.
    per_day = defaultdict(set)
    for reminder in selectors.Reminder.objects.filter(customer=chen, channel="sms"):
        per_day[reminder.message_id].add(reminder.iou_id)
    assert set(map(frozenset, per_day.values())) == {frozenset(iou.pk for iou in loans[chen.pk])}
