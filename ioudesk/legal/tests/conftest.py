from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.collections.models import Case
from ioudesk.core import clock
from ioudesk.core.roles import ADMINISTRATOR
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "private"


@pytest.fixture
def loan(debtor, manager, approver, finance):
    """¥10,000 at 12 % a year, 12 equal monthly instalments from 2026-02-15 (last due 2027-01-15:
    limitation ends 2030-01-15), disbursed on 2026-01-15."""
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def lawyer(make_staff):
    """Someone with every legal permission (系统管理员)."""
    return make_staff("sunli", role=ADMINISTRATOR)


@pytest.fixture
def collection_case(loan):
    return Case.objects.create(number="CS20260601-0001", iou=loan, customer=loan.customer, branch=loan.branch,
                               opened_on=date(2026, 3, 16), bucket="M1", days_past_due=1)
