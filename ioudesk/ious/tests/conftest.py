import pytest

from ioudesk.products.models import Product
from ioudesk.products.services import product_save


@pytest.fixture
def consumer_loan(organisation):
    return product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                        min_amount=1000, max_amount=500000, min_term=3, max_term=36))
