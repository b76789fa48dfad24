"""The daily close over IOUs: interest falling due, penalty by the rule of decision 0006, days past
due advanced set-based, refusals, idempotence, failures recorded.

The loan: ¥10,000 lent on 2026-01-15 at 12 % a year, 12 equal monthly installments of ¥888.49
(installment 1 due 2026-02-15: interest 100.00 + principal 788.49; installment 2 due 2026-03-15:
interest 92.12 + principal 796.37). Penalty: the contract rate +50 % = 18 % a year, ACT/360, on
overdue principal.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from ioudesk.calc.interest import penalty_interest
from ioudesk.closing import services
from ioudesk.closing.models import CloseFailure, CloseRun, CloseSettings, RunState
from ioudesk.closing.registry import register_day_step, unregister_day_step
from ioudesk.closing.selectors import closed_through
from ioudesk.closing.tests.conftest import iou_rows, ledger_rows
from ioudesk.core import clock
from ioudesk.ious.models import Installment, Iou, Transaction, TransactionKind
from ioudesk.ious.selectors import penalty_to_date
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.verify import verify


def close_days(first: date, last: date):
    day = first
    while day <= last:
        with clock.frozen(day):
            services.close_execute(through=day, origin="command")
        day += timedelta(days=1)


def test_close_brings_a_loan_through_two_missed_installments(loan):
    close_days(date(2026, 2, 14), date(2026, 3, 20))
    loan.refresh_from_db()
    assert closed_through() == date(2026, 3, 20)
    # Installment 1 unpaid since 2026-02-15: 33 days past due on 2026-03-20, M2, 关注.
    assert (loan.days_past_due, loan.bucket, loan.classification, loan.status, loan.overdue_since) == (
        33, "M2", "special_mention", "overdue", date(2026, 2, 15))
    assert loan.interest_outstanding == D("100.00") + D("92.12")
    # Penalty posted when the class changed (02-16, 正常 → 关注: 1 day on 788.49), at month end
    # (02-28: 12 more days) and when installment 2 fell due (03-15: 15 more days); on no other day.
    rate = D("0.18")

    def quote(since, until, principal=D("788.49")):
        return penalty_interest(overdue_principal=principal, due_date=since, as_of=until, penalty_rate=rate).amount

    expected = [(date(2026, 2, 16), quote(date(2026, 2, 15), date(2026, 2, 16))),
                (date(2026, 2, 28), quote(date(2026, 2, 16), date(2026, 2, 28))),
                (date(2026, 3, 15), quote(date(2026, 2, 28), date(2026, 3, 15)))]
    assert [amount for _day, amount in expected] == [D("0.39"), D("4.73"), D("5.91")]
    penalties = list(Transaction.objects.filter(iou=loan, kind=TransactionKind.PENALTY).order_by("day")
                     .values_list("day", "amount"))
    assert penalties == expected
    posted = sum(amount for _day, amount in expected)
    assert loan.penalty_outstanding == posted
    # To date (2026-03-20): 5 more days on 788.49 and 5 days on installment 2's 796.37.
    pending = (penalty_interest(overdue_principal=D("788.49"), due_date=date(2026, 3, 15), as_of=date(2026, 3, 20),
                                penalty_rate=rate).amount
               + penalty_interest(overdue_principal=D("796.37"), due_date=date(2026, 3, 15),
                                  as_of=date(2026, 3, 20), penalty_rate=rate).amount)
    assert pending == D("1.97") + D("1.99")
    assert penalty_to_date(loan, date(2026, 3, 20)) == posted + pending
    assert verify().ok


def test_a_second_close_of_the_same_days_changes_nothing(loan, new_loan):
    other = new_loan(principal="5000", term=6)
    day = date(2026, 2, 10)
    while day <= date(2026, 3, 3):
        with clock.frozen(day):
            services.close_execute(through=day, origin="command")
            with pytest.raises(services.AlreadyClosed, match="已完成日终"):
                services.close_start(through=day, origin="command")
            before = (ledger_rows(), iou_rows())
            # Forget the day's run and close it again: every per-IOU change is idempotent.
            CloseRun.objects.filter(day=day).delete()
            CloseSettings.objects.update(closed_through=day - timedelta(days=1))
            services.close_execute(through=day, origin="command")
            assert (ledger_rows(), iou_rows()) == before, day
        day += timedelta(days=1)
    assert Iou.objects.get(pk=other.pk).days_past_due == 16
    assert verify().ok


def test_refusals(loan):
    with clock.frozen(date(2026, 2, 1)):
        with pytest.raises(services.CloseRefused, match="晚于营业日 2026-02-01"):
            services.close_start(through=date(2026, 2, 2), origin="command")
        services.close_execute(origin="command")
        with pytest.raises(services.AlreadyClosed, match="2026-01-31 已完成日终（已日终至 2026-02-01）"):
            services.close_start(through=date(2026, 1, 31), origin="command")
    # A run held by a live process: the second close says it is running.
    with clock.frozen(date(2026, 2, 2)):
        run = services.close_start(origin="command")
        CloseRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, owner="otherhost:1",
                                                  started_at=run.created_at,
                                                  lease_until=run.created_at + timedelta(days=1))
        with pytest.raises(services.CloseRunning, match="日终 2026-02-02 正在进行（开始于"):
            services.close_execute(origin="command")


def test_catch_up_closes_missed_days_in_order_and_advances_the_business_date(loan, organisation):
    from ioudesk.core.services import business_date_set

    business_date_set(new_date=date(2026, 2, 10), reason="测试")
    services.close_execute(origin="command")  # the first close: the business date only
    organisation.refresh_from_db()
    assert organisation.business_date == date(2026, 2, 11)  # advanced: "日终 2026-02-10 完成"
    business_date_set(new_date=date(2026, 2, 20), reason="测试：营业日前移")
    runs = services.close_execute(origin="command")
    assert [r.day for r in runs] == [date(2026, 2, 11) + timedelta(days=n) for n in range(10)]
    organisation.refresh_from_db()
    assert organisation.business_date == date(2026, 2, 21)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket) == (5, "M1")  # as of 2026-02-20
    assert all(r.state == RunState.DONE for r in CloseRun.objects.all())


def test_an_iou_that_raises_is_recorded_and_the_rest_are_closed(loan, new_loan, monkeypatch):
    other = new_loan(principal="5000", term=6)
    from ioudesk.ious.services import accrual

    real = accrual.close_day_locked

    def broken(iou, rows, day, *, user=None):
        if iou.pk == loan.pk:
            raise RuntimeError("测试：这笔借据出错")
        return real(iou, rows, day, user=user)

    close_days(date(2026, 2, 14), date(2026, 2, 15))  # both fall due in bulk
    monkeypatch.setattr(accrual, "close_day_locked", broken)
    with clock.frozen(date(2026, 2, 16)):
        run = services.close_execute(origin="command")[0]  # both fall overdue: per-IOU
    failure = CloseFailure.objects.get(close_run=run)
    assert (failure.iou_id, failure.step, failure.message) == (loan.pk, "ious", "测试：这笔借据出错")
    assert "RuntimeError" in failure.traceback
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert Iou.objects.get(pk=other.pk).days_past_due == 1
    assert Iou.objects.get(pk=loan.pk).days_past_due == 0  # not reached
    monkeypatch.setattr(accrual, "close_day_locked", real)
    assert services.close_retry_failed(close_run=run, user=None) == {"resolved": 1, "failed": 0}
    assert Iou.objects.get(pk=loan.pk).days_past_due == 1
    assert verify().ok


def test_day_steps_run_in_order_and_a_failing_step_does_not_stop_the_others(loan):
    calls = []
    register_day_step("test.b", label="B", order=20, run=lambda **kw: calls.append(("b", kw["day"])) or {"b": 1})
    register_day_step("test.a", label="A", order=10, run=lambda **kw: 1 / 0)
    register_day_step("test.c", label="C", order=30, run=lambda **kw: calls.append(("c", kw["catching_up"])) or {})
    try:
        with clock.frozen(date(2026, 2, 1)):
            run = services.close_execute(origin="command")[0]
    finally:
        for name in ("test.a", "test.b", "test.c"):
            unregister_day_step(name)
    assert calls == [("b", date(2026, 2, 1)), ("c", False)]
    run.refresh_from_db()
    assert run.counts["test.b"] == {"b": 1} and run.counts["test.a"] == {"failed": 1}
    assert CloseFailure.objects.get(close_run=run).step == "test.a"


def test_a_repayment_before_the_batch_reaches_the_iou_equals_one_after(loan, new_loan, finance):
    twin = new_loan()
    close_days(date(2026, 2, 14), date(2026, 3, 14))
    day = date(2026, 3, 15)
    with clock.frozen(day):
        iou_repay(iou=loan, amount="1800", user=finance)  # before the close of 03-15 reaches it
        services.close_execute(origin="command")
        iou_repay(iou=twin, amount="1800", user=finance)  # after
    a, b = Iou.objects.get(pk=loan.pk), Iou.objects.get(pk=twin.pk)
    fields = ("principal_outstanding", "interest_outstanding", "penalty_outstanding", "overpayment",
              "days_past_due", "bucket", "classification", "status")
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]

    def books(iou):
        return sorted((k, d, m.replace(iou.number, ""), c, dr, cr) for k, d, m, c, dr, cr in
                      ledger_rows_for(iou.pk))
    assert books(a) == books(b)
    rows = lambda iou: list(Installment.objects.filter(schedule__iou=iou).order_by("number").values_list(  # noqa: E731
        "interest_accrued", "principal_paid", "interest_paid", "penalty_charged", "penalty_paid", "penalty_accrued_to"))
    assert rows(a) == rows(b)
    assert verify().ok


def ledger_rows_for(iou_id):
    from ioudesk.ledger.models import Posting

    return Posting.objects.filter(entry__iou_id=iou_id).values_list(
        "entry__kind", "entry__day", "entry__memo", "account__code", "debit", "credit")


def test_a_debt_entered_after_its_due_date_falls_overdue_at_the_next_close(loan, new_loan):
    close_days(date(2026, 2, 1), date(2026, 2, 3))
    # A 欠条 for goods due 2026-01-20, entered on 2026-02-04: overdue from the first close after it.
    debt = new_loan(kind="debt", term=1, rate="年化0%", method="bullet", due_date=date(2026, 1, 20),
                    debt_reason="goods", on=date(2026, 2, 4), contract=date(2026, 1, 10))
    close_days(date(2026, 2, 4), date(2026, 2, 4))
    debt.refresh_from_db()
    assert (debt.days_past_due, debt.bucket, debt.status) == (15, "M1", "overdue")


def test_the_first_close_finds_an_iou_left_behind_even_with_closed_through_set(loan):
    # Installment 1's interest was booked on its due date (2026-02-15) and nothing brought the loan
    # up to date since. Then the book is set up as `ioudesk setup` does: closed through the day
    # before the business date, no close ever run.
    from ioudesk.ious.services.accrual import iou_close_day

    iou_close_day(iou=loan, day=date(2026, 2, 15))
    CloseSettings.objects.update_or_create(organisation=loan.branch.organisation,
                                           defaults={"closed_through": date(2026, 3, 9)})
    close_days(date(2026, 3, 10), date(2026, 3, 10))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket, loan.overdue_since) == (23, "M1", date(2026, 2, 15))
