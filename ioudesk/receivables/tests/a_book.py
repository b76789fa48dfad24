"""Helper A's fixtures and builders for bill tests (imported by test_a_*.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock

DAY = date(2026, 11, 28)


@pytest.fixture
def company(head_office, manager):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="company", branch=head_office, name="杭州明达贸易有限公司",
                                             credit_code="91330106MA2H0KQ38Q", phone="13901012345",
                                             owner=manager), user=manager)


@pytest.fixture
def supplier(head_office, manager):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="company", branch=head_office, name="宁波恒信包装材料有限公司",
                                             phone="13901012346"), user=manager)


@pytest.fixture
def terms(organisation):
    from ioudesk.receivables.bills import terms_defaults_ensure
    from ioudesk.receivables.models import PaymentTerms

    terms_defaults_ensure()
    return {t.name: t for t in PaymentTerms.objects.all()}


@pytest.fixture
def today():
    with clock.frozen(DAY) as day:
        yield day


def goods(description="不锈钢保温杯", quantity="100", unit_price="50.00", tax_rate="13", **extra):
    return {"description": description, "quantity": quantity, "unit_price": unit_price, "tax_rate": tax_rate,
            "kind": extra.pop("kind", "goods"), "unit": extra.pop("unit", "个"), **extra}


def make_bill(*, customer, user, lines=None, post=True, **extra):
    """A receivable bill (default: 100 个 × ¥50.00 at 13 % = ¥5,650.00), posted by ``user``."""
    from ioudesk.receivables.bills import bill_create, bill_post

    extra.setdefault("bill_date", clock.today())
    bill = bill_create(customer=customer, lines=lines or [goods()], user=user, **extra)
    return bill_post(bill=bill, user=user) if post else bill


def verify_ok():
    from ioudesk.ledger.verify import verify

    report = verify()
    assert report.ok, report.differences
    return report


__all__ = ["DAY", "D", "company", "goods", "make_bill", "supplier", "terms", "today", "verify_ok"]
