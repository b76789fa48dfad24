from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse


@pytest.fixture
def make_loan(debtor, manager, approver, finance):
    """A loan at 12 % a year in equal monthly installments, disbursed on 2026-01-15 (first due
    2026-02-15), made by the 客户经理 ``manager`` (its officer)."""

    def make(principal="10000", term=12, customer=None, **fields):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer or debtor, principal=Decimal(principal),
                                        term=term, rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15), **fields), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
        iou.refresh_from_db()
        return iou

    return make


@pytest.fixture
def defaults(organisation):
    from ioudesk.reminders.services import reminder_defaults_ensure

    reminder_defaults_ensure()
