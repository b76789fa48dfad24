"""The idempotency rule in the domain (services/idempotency.py): what the back-office forms and the
API both rely on. The worked example: ¥10,000 at 12 % over 12 months, disbursed 2026-01-15."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ious.models import Transaction
from ioudesk.ious.services.idempotency import IdempotencyKeyReused, is_replay
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_settle_early
from ioudesk.ious.tests.test_concurrency import disbursed_loan

FEB15 = date(2026, 2, 15)


@pytest.fixture
def loan(debtor, manager, approver, finance):
    return disbursed_loan(debtor, manager, approver, finance)


def test_the_same_payment_again_is_its_replay(loan, finance):
    with clock.frozen(FEB15):
        first = iou_repay(iou=loan, amount="888.49", user=finance, method="cash", idempotency_key="k")
        again = iou_repay(iou=loan, amount=D("888.490"), user=finance, method="cash", idempotency_key="k")

    assert again.pk == first.pk and is_replay(again) and not is_replay(first)
    assert len(first.request_hash) == 64


@pytest.mark.parametrize("change", [{"day": date(2026, 2, 14)}, {"method": "wechat"}, {"payer": "李四"},
                                    {"reference": "YH-2"}, {"amount": "888.48"}])
def test_another_payment_with_the_key_is_refused_and_not_posted(loan, finance, change):
    given = {"amount": "888.49", "method": "cash", "payer": "王建国", "reference": "YH-1"}
    with clock.frozen(FEB15):
        iou_repay(iou=loan, user=finance, idempotency_key="k", **given)
        with pytest.raises(IdempotencyKeyReused) as refused:
            iou_repay(iou=loan, user=finance, idempotency_key="k", **{**given, **change})

    assert refused.value.code == "idempotency_key_reused" and "“k”" in str(refused.value.message)
    assert Transaction.objects.filter(iou=loan, kind="repayment").count() == 1


def test_a_repayments_key_does_not_settle_early(loan, finance):
    with clock.frozen(FEB15):
        iou_repay(iou=loan, amount="888.49", user=finance, idempotency_key="k")
        with pytest.raises(IdempotencyKeyReused):
            iou_settle_early(iou=loan, amount="888.49", user=finance, idempotency_key="k")

    loan.refresh_from_db()
    assert loan.status == "active"


def test_a_key_stored_before_fingerprints_keeps_the_old_rule(loan, finance):
    with clock.frozen(FEB15):
        first = iou_repay(iou=loan, amount="888.49", user=finance, idempotency_key="old")
        Transaction.objects.filter(pk=first.pk).update(request_hash=None)  # as migrated

        again = iou_repay(iou=loan, amount="888.49", user=finance, method="wechat", idempotency_key="old")

    assert again.pk == first.pk and is_replay(again)
