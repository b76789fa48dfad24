"""The outbox: written in the caller's transaction (rolled back with it), delivered once per delivery
key, claimed by exactly one of two racing workers; opt-outs, quiet hours (Asia/Shanghai) and the
daily cap applied at delivery and recorded."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from ioudesk.core import audit
from ioudesk.notify import services
from ioudesk.notify.channels import PermanentError
from ioudesk.notify.models import Channel, DeliveryAttempt, Message, OptOut, Status
from ioudesk.notify.tests.conftest import SHANGHAI, RecordingGateway, at

pytestmark = pytest.mark.django_db


def queue_sms(customer, key, body="您好", **kwargs):
    return services.message_queue(channel=Channel.SMS, body=body, customer=customer, category="customer_notice",
                                  delivery_key=key, **kwargs)


def test_outbox_row_is_written_with_the_event_and_rolled_back_with_it(debtor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_sms(debtor, "event:1")
            assert Message.objects.filter(delivery_key="event:1").exists()  # visible inside the transaction
            raise RuntimeError("the event failed")
    assert not Message.objects.filter(delivery_key="event:1").exists()
    assert callbacks == []  # nothing was enqueued for the rolled-back message

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            message = queue_sms(debtor, "event:2")
    assert len(callbacks) == 1
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get()
    assert task.task_path == "ioudesk.notify.tasks.deliver_message" and task.args_kwargs["args"] == [message.pk]
    assert message.status == Status.QUEUED and message.address == "13901012345"
    assert message.address_display == "139****2345" and message.branch_id == debtor.branch_id


def test_the_same_delivery_key_returns_the_message_and_queues_nothing(debtor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue_sms(debtor, "due:2026-12-01:1", body="第一次")
        again = queue_sms(debtor, "due:2026-12-01:1", body="第二次")
    assert again.pk == first.pk and again.body == "第一次"
    assert Message.objects.count() == 1 and len(callbacks) == 1


def test_a_recipient_without_a_phone_is_suppressed_with_the_reason(head_office, manager):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    nobody = customer_create(customer=Customer(kind="individual", branch=head_office, name="李四",
                                               id_number="11010519491231002X"), user=manager)
    message = queue_sms(nobody, "k")
    assert message.status == Status.SUPPRESSED and message.status_reason == "收件人没有手机号"


def test_bad_calls_are_refused(debtor, manager):
    from ioudesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="未登记"):
        services.message_queue(channel=Channel.SMS, body="x", customer=debtor, category="nope", delivery_key="a")
    with pytest.raises(ValidationFailed, match="一位客户或一位员工"):
        services.message_queue(channel=Channel.SMS, body="x", customer=debtor, user=manager,
                               category="customer_notice", delivery_key="b")
    with pytest.raises(ValidationFailed, match="未知的消息渠道"):
        services.message_queue(channel="fax", body="x", customer=debtor, category="customer_notice", delivery_key="c")
    assert not Message.objects.exists()


def test_delivered_once_a_second_delivery_does_nothing(debtor, gateway, rules):
    message = queue_sms(debtor, "k")
    moment = at("2026-12-01 10:00")
    assert services.message_deliver(message.pk, now=moment, backend=gateway) == Status.SENT
    assert services.message_deliver(message.pk, now=moment, backend=gateway) is None
    message.refresh_from_db()
    assert gateway.sent == [message.pk] and message.attempts == 1 and message.sent_at == moment
    assert message.provider_message_id == f"gw-{message.pk}"
    assert list(message.attempts_log.values_list("outcome", flat=True)) == ["sent"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_a_message_once(sqlite_file_db, debtor, rules):
    """Two threads (two workers) deliver the same message at the same moment through a slow gateway:
    the claim (one conditional UPDATE) lets exactly one through."""
    message = queue_sms(debtor, "race")
    gateway = RecordingGateway(delay=0.3)
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=gateway))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [Status.SENT, None] or sorted(results, key=str) == [None, Status.SENT]
    assert gateway.sent == [message.pk]
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 1
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_quiet_hours_hold_an_sms_until_the_window_opens(debtor, gateway, rules):
    """Default window 08:00–21:00 Beijing time. Queued at 22:30 on 1 December: held to 08:00 on the 2nd
    (00:00 UTC); not sent at 07:59, sent at 08:00. Queued at 06:00: held to 08:00 the same day."""
    late = queue_sms(debtor, "late")
    assert services.message_deliver(late.pk, now=at("2026-12-01 22:30"), backend=gateway) == Status.QUEUED
    late.refresh_from_db()
    opening = dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert late.next_attempt_at == opening == late.scheduled_for
    assert late.next_attempt_at == dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)
    assert late.attempts == 0 and gateway.sent == []
    assert late.status_reason == "免打扰时段（08:00–21:00 之外不发送），推迟到 2026-12-02 08:00"
    assert services.messages_due(at("2026-12-02 07:59")) == []
    assert services.message_deliver(late.pk, now=at("2026-12-02 07:59"), backend=gateway) is None
    assert services.messages_due(at("2026-12-02 08:00")) == [late.pk]
    assert services.message_deliver(late.pk, now=at("2026-12-02 08:00"), backend=gateway) == Status.SENT
    assert gateway.sent == [late.pk]

    early = queue_sms(debtor, "early")
    services.message_deliver(early.pk, now=at("2026-12-03 06:00"), backend=gateway)
    early.refresh_from_db()
    assert early.next_attempt_at == at("2026-12-03 08:00")
    assert list(early.attempts_log.values_list("outcome", flat=True)) == ["deferred"]


def test_quiet_hours_are_configurable_and_leave_email_alone_by_default(debtor, gateway, rules):
    rules.window_start, rules.window_end = dt.time(9, 30), dt.time(18, 0)
    rules.save()
    sms = queue_sms(debtor, "sms")
    assert services.message_deliver(sms.pk, now=at("2026-12-01 09:00"), backend=gateway) == Status.QUEUED
    sms.refresh_from_db()
    assert sms.next_attempt_at == at("2026-12-01 09:30")
    email = services.message_queue(channel=Channel.EMAIL, body="账单", to="wang@example.com", customer=debtor,
                                   category="customer_notice", delivery_key="email")
    assert services.message_deliver(email.pk, now=at("2026-12-01 23:00"), backend=gateway) == Status.SENT


def test_daily_cap_per_customer_and_channel_counts_the_beijing_day(debtor, gateway, rules):
    """Cap 2 e-mails a day (e-mail: no quiet hours, so the day's edge can be tried). 23:00 and 23:30 on
    1 December are sent; 23:50 is over the cap; 00:10 on the 2nd (16:10 UTC on the 1st) is a new day."""
    rules.daily_cap_email = 2
    rules.save()

    def email(key):
        return services.message_queue(channel=Channel.EMAIL, body="账单", to="wang@example.com", customer=debtor,
                                      category="customer_notice", delivery_key=key)

    outcomes = [services.message_deliver(email(key).pk, now=at(moment), backend=gateway)
                for key, moment in [("a", "2026-12-01 23:00"), ("b", "2026-12-01 23:30"),
                                    ("c", "2026-12-01 23:50"), ("d", "2026-12-02 00:10")]]
    assert outcomes == [Status.SENT, Status.SENT, Status.SUPPRESSED, Status.SENT]
    capped = Message.objects.get(delivery_key="c")
    assert capped.status_reason == "已达每位客户每天电子邮件上限（2 条）" and capped.attempts == 0
    assert len(gateway.sent) == 3
    # another customer is not affected, nor another channel
    sms = queue_sms(debtor, "sms")
    assert services.message_deliver(sms.pk, now=at("2026-12-01 20:00"), backend=gateway) == Status.SENT


def test_opt_out_suppresses_with_the_reason_and_its_withdrawal_is_recorded(debtor, manager, gateway, rules):
    from ioudesk.core.errors import InvalidState

    opt_out = services.opt_out_record(customer=debtor, channel=Channel.SMS, reason="客户要求不再发短信", user=manager)
    with pytest.raises(InvalidState):
        services.opt_out_record(customer=debtor, channel=Channel.SMS, user=manager)
    message = queue_sms(debtor, "after-opt-out")
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=gateway) == Status.SUPPRESSED
    message.refresh_from_db()
    assert message.status_reason.startswith("客户已退订短信") and "客户要求不再发短信" in message.status_reason
    assert gateway.sent == []
    email = services.message_queue(channel=Channel.EMAIL, body="账单", to="wang@example.com", customer=debtor,
                                   category="customer_notice", delivery_key="email")
    assert services.message_deliver(email.pk, now=at("2026-12-01 10:00"), backend=gateway) == Status.SENT

    services.opt_out_withdraw(opt_out=opt_out, reason="客户来电恢复", user=manager)
    again = queue_sms(debtor, "after-withdrawal")
    assert services.message_deliver(again.pk, now=at("2026-12-01 10:05"), backend=gateway) == Status.SENT
    opt_out.refresh_from_db()
    assert opt_out.withdrawn_by == manager and opt_out.withdraw_reason == "客户来电恢复"
    assert OptOut.objects.filter(customer=debtor).count() == 1  # the row is kept, withdrawn
    verbs = list(audit.events_for(opt_out).order_by("id").values_list("verb", flat=True))
    assert verbs == ["登记退订", "撤销退订"]
    services.opt_out_record(customer=debtor, channel=Channel.SMS, reason="又要求退订", user=manager)  # a new one
    assert OptOut.objects.filter(customer=debtor, withdrawn_at__isnull=True).count() == 1


def test_resend_copies_the_message_with_a_new_key_and_is_audited(debtor, gateway, rules, admin_user_zh,
                                                                   manager):
    from ioudesk.core.errors import InvalidState, PermissionDenied

    message = queue_sms(debtor, "orig")
    with pytest.raises(InvalidState):
        services.message_resend(message=message, user=admin_user_zh)  # still queued
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"),
                             backend=RecordingGateway(fail_with=PermanentError("空号")))
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.status_reason == "发送失败：空号"
    with pytest.raises(PermissionDenied):
        services.message_resend(message=message, user=manager)
    copy = services.message_resend(message=message, user=admin_user_zh, reason="号码已更正")
    assert copy.delivery_key == f"resend:{message.pk}:1:orig" and copy.resent_from == message
    assert copy.body == message.body and copy.address == "13901012345" and copy.status == Status.QUEUED
    event = audit.events_for(copy).get(verb="重发消息")
    assert event.reason == "号码已更正" and event.changes == {"resent_from": [None, message.pk]}
    second = services.message_resend(message=message, user=admin_user_zh)
    assert second.delivery_key == f"resend:{message.pk}:2:orig"


def test_a_message_stuck_in_sending_is_failed_not_sent_again(debtor, rules):
    message = queue_sms(debtor, "stuck")
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, claimed_at=at("2026-12-01 10:00"))
    assert services.messages_fail_stuck(at("2026-12-01 10:10")) == 0
    assert services.messages_fail_stuck(at("2026-12-01 10:16")) == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED and "无法确定是否已发出" in message.status_reason


def test_the_periodic_sweep_enqueues_what_is_due(debtor, rules, django_capture_on_commit_callbacks):
    """Due: a retry or a held-back message whose time has come, and a message whose task has waited in
    the queue for over 10 minutes; not one whose task was enqueued a minute ago."""
    due, later, waiting, lost = (queue_sms(debtor, key) for key in ("due", "later", "waiting", "lost"))
    Message.objects.filter(pk=due.pk).update(next_attempt_at=at("2026-12-01 08:00"), enqueued_at=None)
    Message.objects.filter(pk=later.pk).update(next_attempt_at=at("2026-12-01 09:00"), enqueued_at=None)
    Message.objects.filter(pk=waiting.pk).update(enqueued_at=at("2026-12-01 08:29"))
    Message.objects.filter(pk=lost.pk).update(enqueued_at=at("2026-12-01 08:19"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.messages_enqueue_due(at("2026-12-01 08:30")) == 2
    from django_tasks_db.models import DBTaskResult

    assert len(callbacks) == 1  # one batch task for both
    assert list(DBTaskResult.objects.filter(task_path="ioudesk.notify.tasks.deliver_messages")
                .values_list("args_kwargs", flat=True)) == [{"args": [[due.pk, lost.pk]], "kwargs": {}}]
    assert Message.objects.get(pk=due.pk).enqueued_at == at("2026-12-01 08:30")
    assert services.messages_due(at("2026-12-01 08:35")) == []  # enqueued once, not every minute
    # still not delivered half an hour on (no worker ran): enqueued again, with the later one now due
    assert services.messages_due(at("2026-12-01 09:00")) == [due.pk, later.pk, waiting.pk, lost.pk]


def test_backoff_doubles_and_stops_at_six_hours(debtor, rules):
    from ioudesk.notify.channels import TransientError

    rules.max_attempts, rules.retry_base_seconds = 12, 600
    rules.save()
    message = queue_sms(debtor, "slow")
    gateway = RecordingGateway(fail_with=TransientError("网关超时"))
    moment, delays = at("2026-12-01 10:00"), []
    for _ in range(7):
        services.message_deliver(message.pk, now=moment, backend=gateway)
        message.refresh_from_db()
        delays.append(int((message.next_attempt_at - moment).total_seconds()))
        moment = message.next_attempt_at
    # 10, 20, 40, 80, 160, 320 minutes, then six hours
    assert delays == [600, 1200, 2400, 4800, 9600, 19200, 21600]


def test_sending_rules_are_checked(organisation):
    from ioudesk.core.errors import ValidationFailed

    settings = services.notify_settings()
    settings.max_attempts = 99
    with pytest.raises(ValidationFailed, match="最多尝试次数应在 1 到 20 之间"):
        services.notify_settings_save(settings=settings)
