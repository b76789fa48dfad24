"""iou_create takes typed keyword arguments and builds the IOU itself, once, for the back office,
the API and everyone else (defect 19)."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core.errors import ValidationFailed
from ioudesk.ious.services import iou_create


def test_a_loan_on_a_product(debtor, consumer_loan, manager, business_date):
    # ¥20,000 over 6 months on 消费贷 (12 %, 等额本息): the product's terms are copied in.
    iou, warning = iou_create(user=manager, customer=debtor, product=consumer_loan, principal="20000", term=6,
                              guarantor="李四")
    iou.refresh_from_db()
    assert (iou.kind, iou.principal, iou.term, iou.rate_text, iou.method) == (
        "loan", D("20000.00"), 6, "12%", "equal_installment")
    assert iou.contract_date == business_date and iou.guarantor == "李四" and iou.status == "draft"
    assert iou.created_by == manager and warning == ""


def test_a_product_fixes_its_terms(debtor, consumer_loan, manager, business_date):
    with pytest.raises(ValidationFailed, match="rate_text"):
        iou_create(user=manager, customer=debtor, product=consumer_loan, principal="20000", term=6, rate_text="24%")
    with pytest.raises(ValidationFailed, match="超出产品"):
        iou_create(user=manager, customer=debtor, product=consumer_loan, principal="600000", term=6)


def test_a_plain_iou_with_its_own_terms(debtor, manager, business_date):
    # A plain 借条 of ¥5,000 at 月息1分 over 3 months, ¥50.00 kept back as a fee (typed as text).
    iou, _ = iou_create(user=manager, customer=debtor, principal="5000", rate_text="月息1分", method="equal_principal",
                        term=3, upfront_fee="50", contract_date=date(2026, 11, 1))
    iou.refresh_from_db()
    assert (iou.principal, iou.annual_rate, iou.term, iou.upfront_fee) == (D("5000.00"), D("0.12"), 3, D("50.00"))
    with pytest.raises(ValidationFailed, match="两位小数"):
        iou_create(user=manager, customer=debtor, principal="5000", rate_text="12%", term=3, upfront_fee="1.005")


def test_a_debt_for_goods(debtor, manager, business_date):
    # 欠条: ¥58,000 of goods delivered on 2026-11-01, 月结30天 → due 2026-12-01.
    iou, _ = iou_create(user=manager, kind="debt", customer=debtor, principal="58000", debt_reason="goods",
                        reason="钢材货款", payment_terms="net_30", contract_date=date(2026, 11, 1))
    iou.refresh_from_db()
    assert (iou.kind, iou.term, iou.method, iou.due_date) == ("debt", 1, "bullet", date(2026, 12, 1))
