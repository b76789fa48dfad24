"""Contact records (催收记录): the refusals (each names its field), the policy warnings, the
evidence with its SHA-256, promises, append-only rows, and the limitation interruption a
delivered demand or a signed acknowledgement records."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ioudesk.collections.models import (
    Case,
    ContactAttachment,
    ContactRecord,
    Promise,
)
from ioudesk.collections.services import contact_record_create
from ioudesk.collections.tests.conftest import EXE, JPEG, MP3, PDF, at, upload
from ioudesk.collections.tests.world import rolled_back, staff_and_debtor
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError, PermissionDenied

pytestmark = pytest.mark.django_db
DAY = date(2026, 2, 17)


@pytest.fixture(autouse=True)
def business_day():
    with clock.frozen(DAY):
        yield


# The staff, the debtor, the loan and its case (opened by the close of 02-16, given to the collector)
# are built once for the module, in a transaction rolled back at its end; each test runs in a
# savepoint of it (as ioudesk/backoffice/tests/test_collection_pages.py does).

def _build_world() -> dict:

    from ioudesk.collections.services import case_assign
    from ioudesk.collections.tests.conftest import close_through
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    head_office, people, debtor = staff_and_debtor()
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("10000"), term=12,
                                    rate_text="12%", method="equal_installment", contract_date=date(2026, 1, 15),
                                    guarantor="李担保"), user=people["zhangwei"])
        iou_submit(iou=iou, user=people["zhangwei"])
        iou_approve(iou=iou, user=people["liuyang"])
        iou_disburse(iou=iou, user=people["chenjing"])
    close_through(date(2026, 2, 16))
    case = Case.objects.get()
    case_assign(case, owner=people["zhaolei"], method="hand", by=None)
    return {"case": case.pk, "debtor": debtor.pk, **{name: user.pk for name, user in people.items()}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield _build_world()


@pytest.fixture
def overdue_case(world, db):
    """The loan's case (installment 1 unpaid since 02-15: ¥888.49 + ¥0.39 penalty = ¥888.88 arrears)."""
    return Case.objects.get(pk=world["case"])


@pytest.fixture
def collector(world, db):
    from ioudesk.core.models import User

    return User.objects.get(pk=world["zhaolei"])


@pytest.fixture
def chief(world, db):
    from ioudesk.core.models import User

    return User.objects.get(pk=world["sunli"])


@pytest.fixture
def debtor(world, db):
    from ioudesk.customers.models import Customer

    return Customer.objects.get(pk=world["debtor"])


@pytest.fixture
def another_collector(world, db):
    from django.contrib.auth.models import Group

    from ioudesk.core.models import User

    user = User.objects.create_user(username="qianduo", password="Secret-pass-2026",
                                    branch=User.objects.get(pk=world["zhaolei"]).branch, is_staff=True)
    user.groups.add(Group.objects.get(name="催收员"))
    return user


def record(case, user, **fields):
    values = {"method": "phone", "party": "debtor", "outcome": "no_answer", "contacted_at": at(DAY, 10), "by": user}
    values.update(fields)
    return contact_record_create(case, **values)


def refused(case, user, **fields) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        record(case, user, **fields)
    return caught.value


def test_a_call_with_a_recording_and_a_promise(overdue_case, collector, private_dir):
    row = record(overdue_case, collector, outcome="promised", notes="称周五发工资", attachments=[
        ("recording", upload("通话.mp3", MP3))], promise=(Decimal("500.00"), date(2026, 2, 20)),
        next_action_due=at(date(2026, 2, 20), 17))
    assert (row.party_name, row.outside_hours, row.over_daily_cap, row.warning) == ("王建国", False, False, "")
    [attachment] = row.attachments.all()
    assert attachment.sha256 == hashlib.sha256(MP3).hexdigest()
    assert (attachment.content_type, attachment.size, attachment.original_name) == ("audio/mpeg", len(MP3), "通话.mp3")
    assert (private_dir / attachment.file.name).read_bytes() == MP3
    promise = Promise.objects.get()
    assert (promise.amount, promise.promised_on, promise.status, promise.collector) == (
        Decimal("500.00"), date(2026, 2, 20), "pending", collector)
    case = Case.objects.get()
    assert case.promise_due_on == date(2026, 2, 20)
    assert case.next_action_due == at(date(2026, 2, 20), 17)
    assert not row.interruption_recorded


def test_refusals_name_the_field(overdue_case, collector, private_dir):
    from ioudesk.customers.models import Contact, Customer

    other = Customer.objects.create(kind="individual", branch=overdue_case.branch, name="路人甲",
                                    acquired_on=DAY, number="KH-X")
    stranger = Contact.objects.create(customer=other, name="路人乙", relation="朋友")
    cases = [
        ({"party": "contact", "contact": stranger}, "contact", "不是债务人 王建国 登记的联系人"),
        ({"party": "contact"}, "contact", "请选择联系人"),
        ({"party": "guarantor", "party_name": "张三"}, "party_name", "不是这笔借据的担保人"),
        ({"party": "neighbour"}, "party", "请选择联系对象"),
        ({"outcome": "promised", "promise": (Decimal("100"), date(2026, 2, 16))}, "promised_on",
         "早于营业日 2026-02-17"),
        # owed today (02-17): ¥888.49 + penalty for 02-16 (posted, ¥0.39) and 02-17 (run on, ¥0.39) = ¥889.27
        ({"outcome": "promised", "promise": (Decimal("889.28"), date(2026, 2, 20))}, "promise_amount",
         "超过截至今日欠款 ¥889.27"),
        ({"outcome": "promised"}, "promise_amount", "请填写承诺金额"),
        ({"outcome": "promised", "promise": ("12.345", date(2026, 2, 20))}, "promise_amount", "最多两位小数"),
        ({"outcome": "promised", "promise": ("一百", date(2026, 2, 20))}, "promise_amount", "无效"),
        ({"outcome": "promised", "promise": (0.5, date(2026, 2, 20))}, "promise_amount", "无效"),
        ({"outcome": "promised", "promise": ("0", date(2026, 2, 20))}, "promise_amount", "须大于 0"),
        ({"outcome": "refused", "promise": (Decimal("10"), date(2026, 2, 20))}, "outcome", "承诺还款"),
        ({"contacted_at": timezone.now() + timedelta(hours=1)}, "contacted_at", "晚于现在"),
        ({"attachments": [("recording", upload("录音.mp3", PDF))]}, "attachments", "通话录音只能上传录音"),
        ({"attachments": [("photo", upload("照片.jpg", EXE))]}, "attachments", "可执行程序"),
        ({"attachments": [("recording", upload("录音.wav", MP3))]}, "attachments", "扩展名与内容不符"),
        ({"attachments": [("delivery_receipt", upload("回执.pdf", b""))]}, "attachments", "空文件"),
    ]
    for fields, field_name, words in cases:
        error = refused(overdue_case, collector, **fields)
        assert error.extra["field"] == field_name and words in str(error.message), (fields, error.message)
    assert not ContactRecord.objects.exists() and not ContactAttachment.objects.exists()
    assert not list(private_dir.rglob("*.*")) if private_dir.exists() else True


def test_a_guarantor_and_a_registered_contact_may_be_contacted(overdue_case, collector, debtor):
    from ioudesk.customers.models import Contact

    spouse = Contact.objects.create(customer=debtor, name="刘梅", relation="配偶")
    assert record(overdue_case, collector, party="guarantor").party_name == "李担保"
    assert record(overdue_case, collector, party="contact", contact=spouse).party_name == "刘梅"


def test_only_the_cases_owner_records(overdue_case, another_collector, chief):
    with pytest.raises(PermissionDenied):
        record(overdue_case, another_collector)
    assert record(overdue_case, chief).recorded_by == chief  # 催收主管: the branch's cases


def test_outside_hours_and_over_the_daily_cap_are_kept_with_a_warning(overdue_case, collector):
    late = record(overdue_case, collector, contacted_at=at(DAY, 21, 30))
    assert late.outside_hours and "不在允许的联系时段 08:00–21:00" in late.warning
    record(overdue_case, collector, contacted_at=at(DAY, 9))
    record(overdue_case, collector, contacted_at=at(DAY, 10))
    fourth = record(overdue_case, collector, contacted_at=at(DAY, 11))
    assert fourth.over_daily_cap and not fourth.outside_hours
    assert "2026-02-17 已联系该债务人 3 次，超过每日上限 3 次" in fourth.warning
    # a letter is not a call: no cap, no contact hours
    letter = record(overdue_case, collector, method="letter", outcome="other", contacted_at=at(DAY, 22))
    assert (letter.outside_hours, letter.over_daily_cap) == (False, False)


def test_records_and_attachments_are_append_only(overdue_case, collector, private_dir):
    row = record(overdue_case, collector, attachments=[("photo", upload("门口.jpg", JPEG))])
    for action in (lambda: row.save(), lambda: row.delete(), lambda: ContactRecord.objects.update(notes="x"),
                   lambda: ContactRecord.objects.all().delete(), lambda: row.attachments.get().delete(),
                   lambda: ContactAttachment.objects.update(kind="other")):
        with pytest.raises(PermissionError):
            action()
    correction = record(overdue_case, collector, outcome="left_message", corrects=row, notes="更正：已留言")
    assert correction.corrects == row and list(row.corrections.all()) == [correction]


def test_a_delivered_lawyers_letter_interrupts_the_limitation_period(overdue_case, collector, private_dir):
    from ioudesk.ious.models import LimitationEvent

    letter = record(overdue_case, collector, method="lawyer_letter", outcome="other",
                    attachments=[("letter", upload("律师函.pdf", PDF))])
    assert not letter.interruption_recorded and not LimitationEvent.objects.exists()  # sent, not yet delivered
    receipt = PDF + b"% receipt\n"
    delivered = record(overdue_case, collector, method="lawyer_letter", outcome="delivered", refers_to=letter,
                       attachments=[("delivery_receipt", upload("签收回执.pdf", receipt))])
    assert delivered.interruption_recorded
    [event] = LimitationEvent.objects.all()
    assert (event.kind, event.on, event.evidence_sha256, event.source) == (
        "demand", DAY, hashlib.sha256(receipt).hexdigest(), f"collections.contactrecord:{delivered.pk}")


def test_a_signed_acknowledgement_interrupts_the_limitation_period(overdue_case, collector, private_dir):
    from ioudesk.ious.models import LimitationEvent

    row = record(overdue_case, collector, method="visit", outcome="other", contacted_at=at(DAY, 15),
                 attachments=[("acknowledgement", upload("确认书.jpg", JPEG))])
    assert row.interruption_recorded
    assert LimitationEvent.objects.get().kind == "acknowledgement"


def test_a_contact_of_the_pending_action_moves_the_next_action_on(overdue_case, collector):
    assert (overdue_case.next_action, overdue_case.stage.order) == ("sms", 1)
    record(overdue_case, collector, method="sms", outcome="left_message")
    case = Case.objects.get()
    # M1: SMS from the close of 02-16, the phone call 3 days later (the close of 02-19): due 02-20 18:00
    assert (case.next_action, case.next_action_due) == ("phone", at(date(2026, 2, 20), 18))
    assert case.stage.order == 1  # the step itself moves when its day comes (the close)


def test_the_database_refuses_to_change_a_contact_record(overdue_case, collector):
    from django.db import DatabaseError, connection, transaction

    row = record(overdue_case, collector)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE collections_contactrecord SET notes = 'changed' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE collections_caseevent SET text = 'changed'")
