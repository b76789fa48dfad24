"""/api/v1/ious: 担保方式 and 借款用途分类 (what the 业务状况月报 counts a loan by) taken on create, shown on
the IOU, and refused by field when wrong (an unknown code by the schema, 保证 without a guarantor by the
service)."""

import json
from datetime import date

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.ious.models import Iou

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, manager):
    _, token = api_token_issue(user=manager, name="测试")

    def request(payload):
        with clock.frozen(date(2026, 1, 15)):
            return client.post("/api/v1/ious", data=json.dumps(payload), content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")

    return request


def _loan(debtor, **fields):
    return {"customer_id": debtor.pk, "principal": "10000", "term": 12, "rate_text": "12%",
            "method": "equal_installment", "contract_date": "2026-01-15", **fields}


def test_recorded_and_shown(post, debtor):
    created = post(_loan(debtor, guarantee_type="mortgage", purpose_category="services"))
    assert created.status_code == 201, created.json()
    assert (created.json()["guarantee_type"], created.json()["purpose_category"]) == ("mortgage", "services")
    plain = post(_loan(debtor))
    assert plain.status_code == 201 and plain.json()["guarantee_type"] is None
    assert plain.json()["purpose_category"] is None


def test_refused_by_field(post, debtor):
    unknown = post(_loan(debtor, guarantee_type="gold"))
    assert unknown.status_code in (400, 422)
    assert "guarantee_type" in json.dumps(unknown.json(), ensure_ascii=False)
    no_guarantor = post(_loan(debtor, guarantee_type="guarantee"))
    assert no_guarantor.status_code == 400
    assert no_guarantor.json()["details"][0]["field"] == "guarantor"
    assert "请填写担保人" in no_guarantor.json()["message"]
    assert not Iou.objects.exists()
