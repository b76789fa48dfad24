"""Loans made through the services, then put in the state a test needs (bucket, balances) with
plain UPDATEs: the reports read those columns, not how they came to be."""

from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse

_numbers = count(1)


@pytest.fixture
def make_loan(debtor, manager, approver, finance):
    def make(principal="10000", customer=None, **state):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer or debtor, principal=Decimal(principal),
                                        term=12, rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15)), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
        if state:
            Iou.objects.filter(pk=iou.pk).update(**state)
        iou.refresh_from_db()
        return iou

    return make


@pytest.fixture
def make_payment():
    """A repayment document on an IOU (what a collections.Recovery row points to)."""

    def make(iou, amount, day):
        return Transaction.objects.create(iou=iou, kind="repayment", day=day, amount=Decimal(amount),
                                          reference=f"T{next(_numbers)}")

    return make
