"""Making IOUs: terms copied from the product, plain IOUs for goods, the legal-cap check, and
sign-off by someone other than the maker."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import audit
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.ious.models import Approval, Iou
from ioudesk.ious.services import (
    iou_approve,
    iou_cancel,
    iou_create,
    iou_from_product,
    iou_reject,
    iou_submit,
)


def test_loan_from_a_product_copies_its_terms(debtor, consumer_loan, manager, business_date):
    iou = iou_from_product(product=consumer_loan, customer=debtor, principal="100000", term=12,
                           contract_date=business_date)
    iou, warning = iou_create(iou=iou, user=manager)
    consumer_loan.rate_text = "18%"
    consumer_loan.save()

    iou.refresh_from_db()
    assert iou.number == "JD20261128-0001" and iou.status == "draft"
    assert iou.rate_text == "12%" and iou.annual_rate == Decimal("0.12") and iou.method == "equal_installment"
    assert iou.branch == debtor.branch and iou.officer == manager
    # 12 % equal installments: IRR 12.00 %, exactly the 4 × 3.00 % LPR cap of 2026-11-28.
    assert warning == "" and iou.cap_within is True and iou.cap_rate == Decimal("0.12")


def test_product_limits_are_enforced(debtor, consumer_loan, business_date):
    with pytest.raises(ValidationFailed, match="超出产品"):
        iou_from_product(product=consumer_loan, customer=debtor, principal="600000", term=12,
                         contract_date=business_date)
    with pytest.raises(ValidationFailed, match="期数 48"):
        iou_from_product(product=consumer_loan, customer=debtor, principal="10000", term=48,
                         contract_date=business_date)


def test_flat_rate_loan_above_the_cap_is_warned_and_recorded(debtor, manager, business_date):
    iou = Iou(kind="loan", customer=debtor, principal=Decimal("10000"), term=12, rate_text="月息1分",
              method="flat", contract_date=business_date)

    iou, warning = iou_create(iou=iou, user=manager)

    assert iou.cap_within is False and "超过保护上限 12.00%" in warning
    # Flat 1 %/month on ¥10,000 charges ¥1,200.00. At the 12 % cap on the balance actually
    # outstanding (10,000, 9,166.67 … 833.33 over twelve 30/360 months) the protected interest is
    # 1 % × (10,000 × 78/12) = ¥650.00, so ¥550.00 is not protected.
    assert iou.cap_unprotected_interest == Decimal("550.00")
    assert audit.events_for(iou).filter(verb="利率超过保护上限").exists()


def test_plain_iou_for_goods_with_payment_terms(debtor, manager, business_date):
    iou = Iou(kind="debt", debt_reason="goods", reason="2026年11月钢材货款", customer=debtor,
              principal=Decimal("58000.00"), rate_text="0%", payment_terms="net_30", contract_date=business_date)

    iou, warning = iou_create(iou=iou, user=manager)

    assert iou.due_date == date(2026, 12, 28) and iou.term == 1 and iou.method == "bullet"
    assert warning == "" and iou.annual_rate == 0


def test_bad_input_is_refused_and_nothing_saved(debtor, manager, business_date):
    with pytest.raises(ValidationFailed, match="利率"):
        iou_create(iou=Iou(customer=debtor, principal=Decimal("1000"), term=3, rate_text="500%",
                           contract_date=business_date), user=manager)
    with pytest.raises(ValidationFailed, match="营业日"):
        iou_create(iou=Iou(customer=debtor, principal=Decimal("1000"), term=3, rate_text="12%",
                           contract_date=date(2026, 12, 1)), user=manager)
    assert not Iou.objects.exists()


def test_sign_off_by_a_supervisor(debtor, consumer_loan, manager, approver, business_date):
    iou, _ = iou_create(iou=iou_from_product(product=consumer_loan, customer=debtor, principal="20000", term=6,
                                             contract_date=business_date), user=manager)

    with pytest.raises(InvalidState, match="草稿"):
        iou_approve(iou=iou, user=approver)
    iou_submit(iou=iou, user=manager)
    with pytest.raises(PermissionDenied):
        iou_approve(iou=iou, user=manager)
    with pytest.raises(ValidationFailed, match="审批意见"):
        iou_reject(iou=iou, user=approver, comment=" ")
    iou_reject(iou=iou, user=approver, comment="请补充收入证明")
    iou_submit(iou=iou, user=manager)
    iou = iou_approve(iou=iou, user=approver, comment="同意")

    assert iou.status == "approved"
    assert list(Approval.objects.filter(iou=iou).values_list("decision", "comment")) == [
        ("rejected", "请补充收入证明"), ("approved", "同意")]
    verbs = list(audit.events_for(iou).values_list("verb", flat=True))
    assert verbs.count("提交审批") == 2 and "驳回" in verbs and "审批通过" in verbs


def test_cancel_needs_a_reason_and_only_before_disbursement(debtor, consumer_loan, manager, business_date):
    iou, _ = iou_create(iou=iou_from_product(product=consumer_loan, customer=debtor, principal="20000", term=6,
                                             contract_date=business_date), user=manager)

    with pytest.raises(ValidationFailed):
        iou_cancel(iou=iou, user=manager, reason="")
    iou = iou_cancel(iou=iou, user=manager, reason="客户放弃借款")
    assert iou.status == "cancelled"
    with pytest.raises(InvalidState, match="已作废"):
        iou_submit(iou=iou, user=manager)


def test_iou_for_goods_takes_effect_as_a_receivable(debtor, manager, approver, finance, business_date):
    from ioudesk.ious.services.disbursement import iou_disburse
    from ioudesk.ledger.models import JournalEntry

    iou, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", reason="钢材货款", customer=debtor,
                                principal=Decimal("58000.00"), rate_text="0%", payment_terms="eonm",
                                contract_date=business_date), user=manager)
    iou_submit(iou=iou, user=manager)
    iou_approve(iou=iou, user=approver)
    iou_disburse(iou=iou, user=finance)

    entry = JournalEntry.objects.get(iou_id=iou.pk)
    assert sorted((p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")) == [
        ("1122", Decimal("58000.00"), Decimal("0.00")), ("6001", Decimal("0.00"), Decimal("58000.00"))]
    iou.refresh_from_db()
    assert iou.status == "active" and iou.principal_outstanding == Decimal("58000.00")
    assert iou.maturity_date == date(2026, 12, 31) and iou.limitation_expires_on == date(2029, 12, 31)


def test_an_iou_without_interest_runs_overdue_interest_at_the_lpr(debtor, manager, approver, finance):
    """法释〔2020〕17号 art. 28: no interest agreed at all → overdue interest at the one-year LPR
    from the due date. ¥58,000 due 2026-12-31, 10 days late, LPR 3.00 %:
    58,000 × 3 % × 10 / 360 = 48.33."""
    from ioudesk.core import clock
    from ioudesk.ious.services.accrual import iou_close_day
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 11, 28)):
        iou, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", customer=debtor, principal=Decimal("58000"),
                                    rate_text="0%", due_date=date(2026, 12, 31), contract_date=date(2026, 11, 28)),
                            user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    with clock.frozen(date(2027, 1, 10)):
        iou = iou_close_day(iou=iou)

    assert iou.penalty_outstanding == Decimal("48.33") and iou.interest_outstanding == Decimal("0.00")
    assert iou.days_past_due == 10 and iou.status == "overdue"
    assert iou.cap_unprotected_penalty == Decimal("0.00")  # 3 % is well within art. 29's 12 %
