"""message_queue_many: many messages in one go (bulk INSERTs, one delivery task per batch) with exactly
the outcomes of message_queue called for each in turn: new, known delivery key, a key twice, no
address, an opted-out channel (suppressed at delivery), refusals."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ioudesk.core.errors import ValidationFailed
from ioudesk.notify import services
from ioudesk.notify.models import Channel, DeliveryAttempt, Message, Status
from ioudesk.notify.tests.conftest import RecordingGateway, at

pytestmark = pytest.mark.django_db

FIELDS = ("channel", "category", "customer_id", "user_id", "branch_id", "address", "address_display", "subject",
          "body", "template_id", "params", "related_type_id", "related_id", "status", "status_reason", "attempts",
          "next_attempt_at", "created_by_id")


@pytest.fixture
def nobody(head_office, manager):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="individual", branch=head_office, name="李四"), user=manager)


def mix(prefix, debtor, nobody, manager):
    """Six messages: an SMS, an e-mail on a channel the debtor opted out of, an SMS to a customer
    without a phone, an in-app note to staff, the SMS's key again, and a key written before."""
    return [
        dict(channel=Channel.SMS, body="您本期应还 1,234.56 元", customer=debtor, category="customer_notice",
             delivery_key=f"{prefix}:sms", related=debtor),
        dict(channel=Channel.EMAIL, subject="账单", body="您的账单", customer=debtor, to="wang@example.com",
             category="customer_notice", delivery_key=f"{prefix}:email"),
        dict(channel=Channel.SMS, body="您好", customer=nobody, category="customer_notice",
             delivery_key=f"{prefix}:nophone"),
        dict(channel=Channel.INAPP, subject="提醒", body="今日有 3 位客户到期", user=manager, category="staff_notice",
             delivery_key=f"{prefix}:inapp"),
        dict(channel=Channel.SMS, body="第二次", customer=debtor, category="customer_notice",
             delivery_key=f"{prefix}:sms"),
        dict(channel=Channel.SMS, body="又一次", customer=debtor, category="customer_notice",
             delivery_key="written-before"),
    ]


def test_the_same_outcomes_as_one_by_one(debtor, nobody, manager, rules, django_capture_on_commit_callbacks):
    before = services.message_queue(channel=Channel.SMS, body="早先的", customer=debtor, category="customer_notice",
                                    delivery_key="written-before")
    services.opt_out_record(customer=debtor, channel=Channel.EMAIL, reason="不要邮件", user=manager)
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True) as one_callbacks, transaction.atomic():
        one = [services.message_queue(**item) for item in mix("one", debtor, nobody, manager)]
    one_tasks = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True) as many_callbacks, transaction.atomic():
        many = services.message_queue_many(mix("many", debtor, nobody, manager))
    many_tasks = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))

    # position by position: the same rows (read back from the database), the same duplicates
    assert len(many) == len(one) == 6
    for a, b in zip(one, many, strict=True):
        stored_a, stored_b = Message.objects.get(pk=a.pk), Message.objects.get(pk=b.pk)
        assert [getattr(stored_a, f) for f in FIELDS] == [getattr(stored_b, f) for f in FIELDS]
        assert [getattr(a, f) for f in FIELDS] == [getattr(b, f) for f in FIELDS]  # the returned objects too
        assert (stored_a.enqueued_at is None) == (stored_b.enqueued_at is None) == (a.status != Status.QUEUED)
    assert one[4].pk == one[0].pk and many[4].pk == many[0].pk and many[4].body == "您本期应还 1,234.56 元"
    assert one[5].pk == many[5].pk == before.pk and many[5].body == "早先的"
    assert [m.status for m in many] == [Status.QUEUED, Status.QUEUED, Status.SUPPRESSED, Status.QUEUED,
                                        Status.QUEUED, Status.QUEUED]
    assert many[2].status_reason == "收件人没有手机号"
    assert many[0].address == "13901012345" and many[0].address_display == "139****2345"
    assert many[1].address_display == "w***@example.com"
    # the address is stored encrypted (not as plain text)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM notify_message WHERE id = %s", [many[0].pk])
        assert "13901012345" not in cursor.fetchone()[0]
    assert Message.objects.filter(delivery_key__startswith="many:").count() == 4

    # one by one: one task per queued message; many: one batch task for the three new queued ones
    assert len(one_callbacks) == 3 and len(many_callbacks) == 1
    assert one_tasks == [("ioudesk.notify.tasks.deliver_message", {"args": [m.pk], "kwargs": {}})
                         for m in (one[0], one[1], one[3])]
    assert many_tasks == [("ioudesk.notify.tasks.deliver_messages",
                           {"args": [[many[0].pk, many[1].pk, many[3].pk]], "kwargs": {}})]

    # delivered: the same outcomes, the opted-out e-mail suppressed with the reason
    noon = at("2026-12-01 12:00")
    gateway_one, gateway_many = RecordingGateway(), RecordingGateway()
    outcomes_one = [services.message_deliver(m.pk, now=noon, backend=gateway_one) for m in (one[0], one[1], one[3])]
    outcomes_many = services.messages_deliver([many[0].pk, many[1].pk, many[3].pk], now=noon, backend=gateway_many)
    assert outcomes_one == [Status.SENT, Status.SUPPRESSED, Status.SENT]
    assert outcomes_many == {Status.SENT: 2, Status.SUPPRESSED: 1}
    assert gateway_one.sent == [one[0].pk, one[3].pk] and gateway_many.sent == [many[0].pk, many[3].pk]
    assert Message.objects.get(pk=many[1].pk).status_reason.startswith("客户已退订电子邮件")
    # never twice: the batch again finds every message claimed or final
    assert services.messages_deliver([many[0].pk, many[1].pk, many[3].pk], now=noon,
                                     backend=gateway_many) == {"skipped": 3}
    assert gateway_many.sent == [many[0].pk, many[3].pk]
    assert DeliveryAttempt.objects.filter(message_id__in=[m.pk for m in many]).count() == 3


def test_a_bad_item_refuses_the_whole_call_and_writes_nothing(debtor, django_capture_on_commit_callbacks):
    items = [dict(channel=Channel.SMS, body="好的", customer=debtor, category="customer_notice", delivery_key="a"),
             dict(channel="fax", body="坏的", customer=debtor, category="customer_notice", delivery_key="b")]
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationFailed, match="未知的消息渠道"):
        services.message_queue_many(items)
    assert not Message.objects.exists() and callbacks == []
    assert services.message_queue_many([]) == []


def test_a_rolled_back_transaction_leaves_no_message_and_enqueues_nothing(debtor,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.message_queue_many([dict(channel=Channel.SMS, body="x", customer=debtor,
                                              category="customer_notice", delivery_key="gone")])
            raise RuntimeError("the event failed")
    assert not Message.objects.exists() and callbacks == [] and not DBTaskResult.objects.exists()


def test_delivery_tasks_are_batched(debtor, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "DELIVER_BATCH", 2)
    monkeypatch.setattr(services, "BULK_BATCH", 3)
    items = [dict(channel=Channel.SMS, body=f"第{n}条", customer=debtor, category="customer_notice",
                  delivery_key=f"k{n}") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        messages = services.message_queue_many(items)
    assert [m.body for m in messages] == [f"第{n}条" for n in range(5)]
    ids = [m.pk for m in messages]
    assert sorted(ids) == ids and len(set(ids)) == 5
    tasks = [args["args"][0] for args in DBTaskResult.objects.order_by("enqueued_at", "id")
             .values_list("args_kwargs", flat=True)]
    assert sorted(tasks) == sorted([ids[0:2], ids[2:4], ids[4:5]])


def test_a_racing_writer_of_a_key_gets_its_message_back(debtor, monkeypatch, django_capture_on_commit_callbacks):
    """Another transaction writes one of the keys between the look-up and the INSERT: that batch goes
    one by one through message_queue, which finds the racer's message for that key."""
    real_build = services._message_build

    def build_while_another_writes(**item):
        if item["delivery_key"] == "k1":  # after the look-up, before the INSERT
            Message.objects.create(channel=Channel.SMS, category="customer_notice", body="别人写的",
                                   delivery_key="k1", customer=debtor, branch_id=debtor.branch_id)
        return real_build(**item)

    monkeypatch.setattr(services, "_message_build", build_while_another_writes)
    items = [dict(channel=Channel.SMS, body=f"第{n}条", customer=debtor, category="customer_notice",
                  delivery_key=f"k{n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        messages = services.message_queue_many(items)
    assert [m.body for m in messages] == ["第0条", "别人写的", "第2条"]
    assert Message.objects.count() == 3 and len(callbacks) == 2  # message_queue enqueued its own two
