"""The contract date's range (defect 10 of issue 9): a 1900-01-01 借款日期 used to reach the legal-cap
calculation, which asked for a 起诉日期 that no form has. The service checks the range first and
names the field as the form names it; the back office shows the message next to that field."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ioudesk.api.services import api_token_issue
from ioudesk.core.errors import ValidationFailed
from ioudesk.ious.models import Iou, IouKind
from ioudesk.ious.services import iou_create

CREATE = reverse("backoffice:iou_create")
PLAIN = {"principal": "10000", "rate_text": "12%", "method": "bullet", "frequency": "monthly", "term": "1",
         "day_count": "30/360"}


def _plain(debtor, day, **fields):
    fields = {"rate_text": "12%", "term": 1, **fields}
    return Iou(kind=IouKind.LOAN, customer=debtor, principal="10000", method="bullet", contract_date=day, **fields)


@pytest.mark.parametrize("day, words", [
    (date(1900, 1, 1), "借款日期 1900-01-01 早于 2006-11-28（20 年前）"),
    (date(2026, 11, 29), "借款日期 2026-11-29 晚于营业日 2026-11-28"),
])
def test_the_service_names_the_contract_date(debtor, manager, business_date, day, words):
    with pytest.raises(ValidationFailed) as refused:
        iou_create(iou=_plain(debtor, day), user=manager)

    assert words in str(refused.value.message) and "起诉日期" not in str(refused.value.message)
    assert refused.value.extra["field"] == "contract_date"
    assert not Iou.objects.exists()


def test_a_loan_formed_before_2020_08_20_is_capped_as_if_sued_on_the_business_date(debtor, manager, business_date):
    """法释〔2020〕17号 art. 31: ¥10,000 at 20 % a year, bullet over 24 months from 2019-08-20 (30/360):
    interest 10,000 × 20 % × 2 = 4,000.00. Protected: 24 % for 2019-08-20..2020-08-19 (one 30/360 year:
    2,400.00), then 4 × the LPR on the assumed filing day 2026-11-28 (3.00 % → 12 %) for the second year
    (1,200.00): 3,600.00. Unprotected: 400.00."""
    iou, warning = iou_create(iou=_plain(debtor, date(2019, 8, 20), term=24, rate_text="20%", day_count="30/360"),
                              user=manager)

    assert iou.pk and iou.cap_within is False
    assert iou.cap_unprotected_interest == Decimal("400.00")
    assert "按营业日2026-11-28作为起诉日测算" in iou.cap_rule and "起诉日期" not in warning
    assert "¥400.00" in warning


def test_an_older_loan_repaid_before_2020_08_20_is_within_the_old_24_percent(debtor, manager, business_date):
    """¥10,000 at 20 % for one month from 2019-06-01: 166.67 of interest, all of it before 2020-08-20,
    where 24 % (200.00) was protected: within the cap although 20 % is above today's 12 %."""
    iou, warning = iou_create(iou=_plain(debtor, date(2019, 6, 1), rate_text="20%", day_count="30/360"), user=manager)

    assert iou.pk and iou.cap_within is True and warning == ""
    assert iou.cap_unprotected_interest == Decimal("0.00")


def test_a_debt_is_named_as_its_form_names_it(debtor, manager, business_date):
    with pytest.raises(ValidationFailed, match="欠款日期 1900-01-01"):
        iou_create(iou=Iou(kind=IouKind.DEBT, customer=debtor, principal="500", rate_text="0%",
                           contract_date=date(1900, 1, 1)), user=manager)


def test_an_older_debt_without_a_due_date_needs_no_cap_and_is_accepted(debtor, manager, business_date):
    iou, warning = iou_create(iou=Iou(kind=IouKind.DEBT, customer=debtor, principal="500", rate_text="0%",
                                      contract_date=date(2019, 5, 1)), user=manager)

    assert iou.pk and warning == ""


def test_the_page_shows_it_next_to_the_field(client, debtor, manager, business_date):
    client.force_login(manager)

    response = client.post(f"{CREATE}?kind=plain", {"customer": debtor.pk, **PLAIN, "contract_date": "1900-01-01"})

    form = response.context["form"]
    assert response.status_code == 200 and not Iou.objects.exists()
    assert "借款日期 1900-01-01 早于" in " ".join(form.errors["contract_date"])
    assert "起诉日期" not in response.content.decode()


def test_the_api_names_the_field(client, debtor, manager, business_date):
    _, token = api_token_issue(user=manager, name="测试")

    response = client.post("/api/v1/ious", {"customer_id": debtor.pk, "principal": "10000", "term": 1,
                                            "rate_text": "12%", "method": "bullet", "contract_date": "1900-01-01"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid_contract_date"
    assert body["details"][0]["field"] == "contract_date" and "起诉日期" not in body["message"]


def test_the_customer_box_ignores_a_page_that_is_not_a_number(client, debtor, manager):
    client.force_login(manager)

    for page in ("abc", "99999999999999999999999", "-3"):
        response = client.get(reverse("backoffice:iou_customer_search"), {"term": "王", "page": page})
        assert response.status_code == 200 and response.json()["results"], page
