from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.tests.conftest import loan  # noqa: F401  (the ¥10,000 / 12 % / 12-month loan)


def make_loan(debtor, manager, approver, finance, *, principal="10000", term=12, rate="12%",
              method="equal_installment", on=date(2026, 1, 15), kind="loan", due_date=None, contract=None, **extra):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind=kind, customer=debtor, principal=D(principal), term=term, rate_text=rate,
                                    method=method, contract_date=contract or on, due_date=due_date, **extra), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return Iou.objects.get(pk=iou.pk)


@pytest.fixture
def new_loan(debtor, manager, approver, finance):
    def make(**kwargs):
        return make_loan(debtor, manager, approver, finance, **kwargs)

    return make


def ledger_rows():
    """The ledger without numbers, ids and timestamps: what two runs must agree on."""
    from ioudesk.ledger.models import Posting

    return sorted(Posting.objects.values_list("entry__iou_id", "entry__day", "entry__kind", "entry__memo",
                                              "account__code", "debit", "credit", "component"))


IOU_FIELDS = ("pk", "status", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
              "fee_outstanding", "overpayment", "days_past_due", "bucket", "classification", "overdue_since",
              "limitation_expires_on", "settled_on", "cap_unprotected_penalty")


def iou_rows():
    from ioudesk.ious.models import Installment, Transaction

    return (list(Iou.objects.order_by("pk").values_list(*IOU_FIELDS)),
            list(Installment.objects.order_by("pk").values_list(
                "pk", "interest_accrued", "principal_paid", "interest_paid", "penalty_charged", "penalty_paid",
                "penalty_accrued_to", "paid_off_on")),
            sorted(Transaction.objects.values_list("iou_id", "kind", "day", "amount", "principal", "interest",
                                                   "penalty", "overpayment")))
