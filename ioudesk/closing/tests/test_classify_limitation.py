"""A five-tier class set by hand (iou_classify) is a recorded decision the close never overwrites
with a better floor; a repayment after the last due date starts the limitation period again."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.closing import services
from ioudesk.core import clock
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.ious.models import Iou, TransactionKind
from ioudesk.ious.services.classification import iou_classify
from ioudesk.ious.services.repayment import iou_repay


def close(day):
    with clock.frozen(day):
        services.close_execute(through=day, origin="command")


def test_a_worse_hand_class_stays_and_a_better_one_is_refused(loan, admin_user_zh):
    close(date(2026, 2, 15))
    with clock.frozen(date(2026, 2, 20)):
        close(date(2026, 2, 20))  # 02-16 … 02-20 caught up: 5 days past due, 关注 since 02-16
        with pytest.raises(ValidationFailed, match="至少为“关注”"):
            iou_classify(iou=loan, classification="normal", reason="客户承诺还款", user=admin_user_zh)
        iou = iou_classify(iou=loan, classification="doubtful", reason="债务人失联，担保人无力代偿", user=admin_user_zh)
    assert (iou.classification, iou.classification_manual) == ("doubtful", "doubtful")
    # The class changed on 02-16 (penalty of 1 day posted: 0.39); setting it by hand is an event
    # too: penalty posted to date, the 4 days since on 788.49 at 18 % (ACT/360): 1.58.
    assert list(loan.transactions.filter(kind=TransactionKind.PENALTY).order_by("day").values_list("day", "amount")) == [
        (date(2026, 2, 16), D("0.39")), (date(2026, 2, 20), D("1.58"))]
    event = AuditEvent.objects.filter(verb="调整五级分类").get()
    assert event.reason == "债务人失联，担保人无力代偿"
    assert event.changes["classification"] == ["special_mention", "doubtful"]
    close(date(2026, 2, 21))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification) == (6, "doubtful")  # the floor (关注) is better


def test_a_repayment_after_the_last_due_date_restarts_limitation(new_loan, finance):
    debt = new_loan(kind="debt", term=1, rate="年化0%", method="bullet", due_date=date(2026, 2, 20),
                    debt_reason="goods")
    assert debt.limitation_expires_on == date(2029, 2, 20)  # 3 years from the due date (art. 188)
    close(date(2026, 2, 1))
    with clock.frozen(date(2026, 3, 10)):
        iou_repay(iou=debt, amount="100", user=finance)
    debt = Iou.objects.get(pk=debt.pk)
    assert debt.limitation_expires_on == date(2029, 3, 10)  # a partial payment acknowledges (art. 195)
