from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.products.models import Product
from ioudesk.products.services import product_save


@pytest.fixture
def loan(debtor, manager, approver, finance):
    """¥10,000 at 12 % a year, 12 equal monthly installments of ¥888.49, disbursed on 2026-01-15."""
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


@pytest.fixture
def consumer_loan(organisation):
    return product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                        min_amount=1000, max_amount=500000, min_term=3, max_term=36))
