"""/api/v1/applications: create at the desk, upload and review materials, submit; bad input answered
with the field named."""

import pytest

from ioudesk.api.services import api_token_issue

from .conftest import ID_AGE_17, ID_AGE_36, pdf, png

BASE = "/api/v1/applications"


@pytest.fixture
def api(client, manager):
    _, token = api_token_issue(user=manager, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def request(method, path="", payload=None, multipart=False):
        if method == "post" and not multipart:
            return client.post(f"{BASE}{path}", data=payload or {}, content_type="application/json", **auth)
        if method == "post":
            return client.post(f"{BASE}{path}", data=payload or {}, **auth)
        return client.get(f"{BASE}{path}", data=payload or {}, **auth)

    return request


def test_create_upload_review_submit(api, approver, product, requirements, business_date, notify_ready):
    from ioudesk.approvals.flows import flow_defaults_ensure

    flow_defaults_ensure()
    id_card, income = requirements
    body = {"product_id": product.pk, "amount": "50000", "term": 12, "purpose": "装修", "applicant_name": "王建国",
            "id_number": ID_AGE_17, "phone": "13812345678", "consent": True}
    refused = api("post", "", body)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["field"] == "id_number"
    created = api("post", "", dict(body, id_number=ID_AGE_36))
    assert created.status_code == 201, created.content
    application = created.json()
    assert application["number"] == "SQ20261128-0001" and application["amount"] == "50000.00"
    assert application["id_number_masked"] == "110105********1239"
    assert [i["state"] for i in application["checklist"]] == ["missing", "missing"]
    pk = application["id"]
    up = api("post", f"/{pk}/materials", {"requirement_id": income.pk, "file": png("x.png")}, multipart=True)
    assert up.status_code == 400 and up.json()["code"] == "file_type_not_allowed"
    materials = [api("post", f"/{pk}/materials", {"requirement_id": r.pk, "file": f}, multipart=True).json()
                 for r, f in ((id_card, png()), (income, pdf()))]
    returned = api("post", f"/{pk}/materials/{materials[0]['id']}/review", {"decision": "return"})
    assert returned.status_code == 400
    for m in materials:
        assert api("post", f"/{pk}/materials/{m['id']}/review", {"decision": "accept"}).status_code == 200
    submitted = api("post", f"/{pk}/submit", {"comment": "材料齐全"})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["approval_request_number"].startswith("SP")
    assert submitted.json()["application"]["status"] == "in_review"
    listed = api("get", "", {"status": "in_review"})
    assert listed.status_code == 200, listed.content
    assert listed.json()["count"] == 1
    assert api("get", "/999999").status_code == 404
