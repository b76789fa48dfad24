"""Personal data stays out of URLs (defect 26 of issue 9): searching 客户管理 (and exporting the result)
by ID number used to put the number into the URL and so into the access log. The search box POSTs;
the list and its links carry a token. The API's GET refuses such a term and points to POST /search."""

import json
import re
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.api.services import api_token_issue

ID = "11010519491231002X"
LIST = reverse("admin:customers_customer_changelist")


@pytest.fixture
def staff(client, make_staff):
    from django.contrib.auth.models import Group

    user = make_staff("boss", role="客户经理")
    user.groups.add(Group.objects.get(name="系统管理员"))
    client.force_login(user)
    return user


def test_the_search_box_posts_and_the_list_carries_a_token(client, staff, debtor):
    form = client.get(LIST).content.decode()
    assert re.search(r'<form[^>]*id="changelist-search"[^>]*method="post"', form)

    redirect = client.post(reverse("backoffice:customer_search"), {"q": "11010519491231002x", "kind": "individual"})

    location = redirect["Location"]
    assert redirect.status_code == 302 and "110105" not in location and "qt=" in location and "kind=individual" in location
    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200 and list(page.context["cl"].result_list) == [debtor]
    assert not re.search(r'href="[^"]*110105', html) and 'value="11010519491231002x"' in html


def test_the_full_export_of_a_search_by_id_number(client, staff, debtor):
    location = client.post(reverse("backoffice:customer_search"), {"q": ID})["Location"]
    client.get(location)

    export = client.get(reverse("admin:customers_customer_export_excel_full"),  # the link has no query
                        HTTP_REFERER=f"http://testserver{location}")
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).worksheets[0]
    assert any(row and "王建国" in [str(v) for v in row] for row in sheet.iter_rows(values_only=True))


def test_a_token_from_another_session_finds_nothing_secret(client, staff, debtor, django_user_model):
    location = client.post(reverse("backoffice:customer_search"), {"q": ID})["Location"]
    client.logout()
    client.force_login(staff)  # a new session: the token is gone, the list is unfiltered

    page = client.get(location)

    assert page.status_code == 200 and page.context["cl"].query == ""


def test_the_api_searches_by_post_and_refuses_personal_data_in_the_url(client, manager, debtor):
    _, token = api_token_issue(user=manager, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    found = client.post("/api/v1/customers/search", json.dumps({"q": ID}), content_type="application/json", **auth)
    refused = client.get(f"/api/v1/customers?q={ID}", **auth)
    by_name = client.get("/api/v1/customers?q=王建国", **auth)

    assert found.status_code == 200 and [c["id"] for c in found.json()["items"]] == [debtor.pk]
    assert refused.status_code == 400 and refused.json()["code"] == "personal_data_in_url"
    assert refused.json()["details"][0]["field"] == "q"
    assert [c["id"] for c in by_name.json()["items"]] == [debtor.pk]
