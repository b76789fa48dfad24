"""The contract date's range (defect 10 of issue 9): a 1900-01-01 借款日期 used to reach the legal-cap
calculation, which asked for a 起诉日期 that no form has. The service checks the range first and
names the field as the form names it; the back office shows the message next to that field."""

from datetime import date

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
    return Iou(kind=IouKind.LOAN, customer=debtor, principal="10000", rate_text="12%", method="bullet", term=1,
               contract_date=day, **fields)


@pytest.mark.parametrize("day, words", [
    (date(1900, 1, 1), "借款日期 1900-01-01 早于 2006-11-28（20 年前）"),
    (date(2019, 6, 1), "借款日期 2019-06-01 早于 2020-08-20"),
    (date(2026, 11, 29), "借款日期 2026-11-29 晚于营业日 2026-11-28"),
])
def test_the_service_names_the_contract_date(debtor, manager, business_date, day, words):
    with pytest.raises(ValidationFailed) as refused:
        iou_create(iou=_plain(debtor, day), user=manager)

    assert words in str(refused.value.message) and "起诉日期" not in str(refused.value.message)
    assert refused.value.extra["field"] == "contract_date"
    assert not Iou.objects.exists()


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
