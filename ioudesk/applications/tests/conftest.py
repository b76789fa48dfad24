import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.applications.models import ApplicationProduct, MaterialRequirement
from ioudesk.products.models import Product
from ioudesk.products.services import product_save

# Valid 身份证号 (checksums worked out with calc.idcheck.check_character); the business date is 2026-11-28.
ID_AGE_36 = "110105199003151239"      # born 1990-03-15: 36
ID_AGE_17 = "110105200811291235"      # born 2008-11-29: 17, eighteen tomorrow
ID_AGE_66 = "110105196001011239"      # born 1960-01-01: 66
ID_AGE_31 = "110105199506201234"      # born 1995-06-20: 31

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"0" * 200


def png(name="id.png", size=None):
    body = PNG if size is None else PNG + b"\x00" * (size - len(PNG))
    return SimpleUploadedFile(name, body, content_type="image/png")


def pdf(name="income.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def screening_defaults(organisation):
    from ioudesk.screening.services import screening_defaults_ensure

    screening_defaults_ensure()


@pytest.fixture
def product(organisation, screening_defaults):
    product = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=500000, min_term=3, max_term=36))
    ApplicationProduct.objects.create(product=product, online=True)
    return product


@pytest.fixture
def requirements(product):
    id_card = MaterialRequirement.objects.create(code="id_card", name="身份证", allowed_kinds="jpeg,png,pdf",
                                                 max_size_mb=1, order=1)
    income = MaterialRequirement.objects.create(product=product, code="income", name="收入证明",
                                                allowed_kinds="pdf", max_size_mb=2, order=2)
    return id_card, income


@pytest.fixture
def values(product):
    return dict(product=product, amount="50000", term=12, purpose="装修", applicant_name="王建国",
                id_number=ID_AGE_36, phone="13812345678", email="wjg@example.com", monthly_income="15000",
                employer="北京某科技公司", monthly_debt="2000", consent=True)


@pytest.fixture
def notify_ready(organisation):
    from ioudesk.notify.services import notify_settings

    notify_settings()

