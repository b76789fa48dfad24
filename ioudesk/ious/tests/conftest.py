import pytest

from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.products.models import Product
from ioudesk.products.services import product_save


@pytest.fixture
def manager(make_staff):
    return make_staff("zhangwei", role="客户经理")


@pytest.fixture
def approver(make_staff):
    return make_staff("liuyang", role="审批员")


@pytest.fixture
def finance(make_staff):
    return make_staff("chenjing", role="财务")


@pytest.fixture
def debtor(head_office, manager):
    return customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                             id_number="11010519491231002X", phone="13901012345"), user=manager)


@pytest.fixture
def consumer_loan(organisation):
    return product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                        min_amount=1000, max_amount=500000, min_term=3, max_term=36))
