"""The reminder step inside the real daily close (ioudesk.closing): registered as a day step, run
once per closed day, nothing twice when the same days are closed again, and a catch-up close
records its past days as not sent.

The loan: ¥10,000 at 12 % in 12 monthly installments of ¥888.49 from 2026-02-15 (see test_reminders)."""

from datetime import date, timedelta

import pytest

from ioudesk.closing import services as closing
from ioudesk.closing.models import CloseRun
from ioudesk.closing.registry import day_steps
from ioudesk.core import clock
from ioudesk.notify.models import Message
from ioudesk.reminders import selectors
from ioudesk.reminders.models import Reminder, ReminderRule, ReminderState
from ioudesk.reminders.services import CATCH_UP_REASON, reminders_day_step, rule_count_label

pytestmark = pytest.mark.django_db


def test_registered_as_a_day_step():
    step = next(step for step in day_steps() if step.name == "reminders")
    assert (step.label, step.order) == ("还款提醒", 50)


def test_close_day_by_day_sends_the_cadence_once(defaults, make_loan, debtor):
    make_loan()
    day = date(2026, 2, 10)
    while day <= date(2026, 2, 22):
        with clock.frozen(day):
            closing.close_execute(through=day, origin="command")
        day += timedelta(days=1)
    counts = {run.day: run.counts["reminders"] for run in CloseRun.objects.all()}
    overdue_sms = rule_count_label(ReminderRule.objects.get(kind="overdue", channel="sms"))
    assert overdue_sms.endswith(" 默认 逾期+1、+3、+7天，此后每7天 短信（债务人）")
    assert counts[date(2026, 2, 21)] == {"messages": 1, "suppressed": 0, overdue_sms: 1}
    assert counts[date(2026, 2, 22)] == {"messages": 0, "suppressed": 0}
    log = selectors.reminder_log()
    assert [(d, ch) for d, _c, ch, _cat, _st in log] == [
        (date(2026, 2, 11), "sms"), (date(2026, 2, 14), "sms"), (date(2026, 2, 15), "inapp"),
        (date(2026, 2, 15), "sms"), (date(2026, 2, 17), "sms"), (date(2026, 2, 21), "sms")]
    assert {c for _d, c, _ch, _cat, _st in log} == {debtor.pk}
    messages, rows = Message.objects.count(), Reminder.objects.count()
    for run in CloseRun.objects.all():  # the step run again for every closed day (a retry): nothing new
        assert reminders_day_step(day=run.day, close_run=run) == {"messages": 0, "suppressed": 0}
    assert (Message.objects.count(), Reminder.objects.count()) == (messages, rows)


def test_catch_up_close_sends_only_for_the_last_day(defaults, make_loan, organisation):
    from ioudesk.core.services import business_date_set

    make_loan()
    business_date_set(new_date=date(2026, 2, 10), reason="测试")
    closing.close_execute(origin="command")
    business_date_set(new_date=date(2026, 2, 14), reason="测试：营业日前移")
    closing.close_execute(origin="command")  # closes 02-11 … 02-14; only 02-14 is not catching up
    # 02-11 (3 days before) was skipped; 02-14's own SMS (due on 02-15) carries that installment anyway
    [skipped] = Reminder.objects.filter(day=date(2026, 2, 11))
    [today] = Message.objects.filter(category="repayment_reminder")
    assert (skipped.state, skipped.reason, skipped.message_id) == (ReminderState.LATE, CATCH_UP_REASON, today.pk)
    assert "今日（2026年2月15日）到期" in today.body
    assert [(d, ch, st) for d, _c, ch, _cat, st in selectors.reminder_log()] == [
        (date(2026, 2, 11), "sms", "suppressed"), (date(2026, 2, 14), "sms", "queued")]


def test_business_date_moved_a_month_on_reminds_of_what_is_still_owed(defaults, make_loan, debtor, manager):
    """As a new user would try it: the business date moved from 02-10 to 03-10, the close catches up
    02-11 … 03-10. The past days send nothing; the last one (for 03-11: installment 1 is 24 days
    overdue, no weekly day; installment 2 is due in 4 days, no rule either) carries what they skipped
    and is still owed: one overdue SMS to the debtor and one note to the 客户经理."""
    from ioudesk.core.services import business_date_set

    make_loan()
    business_date_set(new_date=date(2026, 2, 10), reason="测试")
    closing.close_execute(origin="command")
    business_date_set(new_date=date(2026, 3, 10), reason="测试：营业日前移一个月")
    closing.close_execute(origin="command")
    messages = Message.objects.filter(category="repayment_reminder").order_by("channel")
    assert [(m.channel, m.customer_id, m.user_id, m.delivery_key) for m in messages] == [
        ("inapp", None, manager.pk, f"reminder:officer:{manager.pk}:2026-03-10"),
        ("sms", debtor.pk, None, f"reminder:{debtor.pk}:sms:2026-03-10")]
    assert "已逾期24天（到期日2026年2月15日）" in messages[1].body
    counts = CloseRun.objects.get(day=date(2026, 3, 10)).counts["reminders"]
    assert (counts["messages"], counts["late"]) == (2, 1)
    assert set(Reminder.objects.filter(day__lt=date(2026, 3, 10)).values_list("state", flat=True)) == {
        ReminderState.LATE}
