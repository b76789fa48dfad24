"""core.prepared: statements compiled once must read and write exactly what the ORM does."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, transaction
from django.db.transaction import TransactionManagementError

from ioudesk.core import clock, prepared
from ioudesk.core.models import AuditEvent, Branch
from ioudesk.ious.models import Installment, Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.models import JournalEntry


def fields_of(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def paid_loan(debtor, manager, approver, finance):
    """¥10,000 at 12 %, 12 months, disbursed 2026-01-15, first installment (888.49) paid on time."""
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance, idempotency_key="prepared-disburse")
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=iou, amount=D("888.49"), user=finance, idempotency_key="prepared-repay")
    return iou


INSTALLMENTS = prepared.Select(lambda iou_id: Installment.objects.filter(
    schedule__iou_id=iou_id, schedule__is_current=True).order_by("number"))


def test_a_select_reads_the_same_instances_as_the_orm(paid_loan):
    rows = INSTALLMENTS(paid_loan.pk)
    orm = list(Installment.objects.filter(schedule__iou=paid_loan, schedule__is_current=True).order_by("number"))

    assert [fields_of(r) for r in rows] == [fields_of(r) for r in orm]
    first = rows[0]
    # Money comes back as Decimal yuan, the flag as a bool, the dates as dates — not fen, 1 or text.
    assert (first.number, first.principal_due, first.interest_paid) == (1, D("788.49"), D("100.00"))
    assert first.interest_accrued is True and first.paid_off_on == date(2026, 2, 15)
    assert rows[1].interest_accrued is False and rows[1].paid_off_on is None
    assert len(rows) == 12 and first._state.adding is False and first._state.db == "default"
    assert INSTALLMENTS(paid_loan.pk + 1000) == []


def test_a_select_takes_text_and_deferred_fields(paid_loan):
    by_key = prepared.Select(lambda key: Transaction.objects.filter(idempotency_key=key).only("pk", "amount"))

    [found] = by_key("prepared-repay")
    assert found.amount == D("888.49") and found.iou_id == paid_loan.pk  # iou_id loaded on demand
    assert by_key("no-such-key") == []


def test_a_select_refuses_what_it_cannot_reproduce():
    with pytest.raises(ValueError, match="plain model querysets"):
        prepared.Select(lambda pk: Iou.objects.select_related("customer").filter(pk=pk))(1)
    with pytest.raises(ValueError, match="did not reach the SQL unchanged"):
        prepared.Select(lambda name: Branch.objects.filter(name__icontains=name))(1)
    with pytest.raises(TypeError, match="expected 1 arguments"):
        INSTALLMENTS()


@pytest.mark.django_db(transaction=True)
def test_a_locking_select_outside_a_transaction_is_refused_like_the_orm():
    locked = prepared.Select(lambda pk: Iou.objects.select_for_update().filter(pk=pk))
    with pytest.raises(TransactionManagementError):
        locked(1)
    with transaction.atomic():
        assert locked(1) == []
    from django.db import connection

    if connection.features.has_select_for_update:  # compiled inside a transaction, checked on every call
        with pytest.raises(TransactionManagementError):
            locked(1)


def test_insert_and_update_write_what_save_writes(organisation, head_office):
    event = prepared.insert(AuditEvent(actor_name="张三", action="action", verb="测试", changes={"金额": ["1", "2"]},
                                       object_repr="借据 JD20261128-0001"))
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == {"金额": ["1", "2"]} and stored.verb == "测试" and stored.occurred_at is not None
    assert fields_of(stored) == fields_of(event) and event._state.adding is False

    branch = Branch.objects.get(pk=head_office.pk)
    branch.name = "总部营业部"
    prepared.update(branch, ["name"])
    assert Branch.objects.get(pk=head_office.pk).name == "总部营业部"


def test_updates_set_auto_now_and_money_in_fen(paid_loan):
    iou = Iou.objects.get(pk=paid_loan.pk)
    before = iou.updated_at
    iou.principal_outstanding = D("9211.51") - D("0.01")
    prepared.update(iou, ["principal_outstanding", "updated_at"])

    again = Iou.objects.get(pk=iou.pk)
    assert again.principal_outstanding == D("9211.50") and again.updated_at > before
    assert Iou.objects.filter(pk=iou.pk, principal_outstanding=D("9211.50")).exists()


def test_writes_refuse_what_would_bypass_the_model(paid_loan):
    entry = JournalEntry.objects.filter(iou_id=paid_loan.pk).first()
    with pytest.raises(TypeError, match="has its own save"):
        prepared.update(entry, ["memo"])  # the ledger is append-only
    with pytest.raises(ValueError, match="new instances"):
        prepared.insert(Iou.objects.get(pk=paid_loan.pk))
    gone = Iou.objects.get(pk=paid_loan.pk)
    gone.pk = 10_000_000
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        prepared.update(gone, ["status"])


def _due_by(iou_id: int, day: date):
    return Installment.objects.filter(schedule__iou_id=iou_id, schedule__is_current=True,
                                      due_date__lte=day).order_by("number")


def test_a_select_takes_dates_for_arguments_annotated_date(paid_loan):
    due_by = prepared.Select(_due_by)

    assert [row.number for row in due_by(paid_loan.pk, date(2026, 2, 15))] == [1]
    assert [row.due_date for row in due_by(paid_loan.pk, date(2026, 4, 14))] == [date(2026, 2, 15), date(2026, 3, 15)]
    assert len(due_by(paid_loan.pk, date(2027, 1, 15))) == 12 and due_by(paid_loan.pk, date(2026, 1, 1)) == []
