"""/api/v1/legal: legal cases (filing moves the limitation date), events, costs, defaulters
(multipart with evidence, match by ID in a POST body, removal) and the limitation clock."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from reportlab.pdfgen import canvas

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, lawyer):
    _, token = api_token_issue(user=lawyer, name="测试")

    def call(method, path, payload=None, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
        if method == "get":
            return client.get(f"/api/v1/legal{path}", payload or {}, **kwargs)
        if "multipart" in extra:
            kwargs.pop("multipart")
            return client.post(f"/api/v1/legal{path}", payload, **kwargs)
        return client.post(f"/api/v1/legal{path}", json.dumps(payload or {}), content_type="application/json",
                           **kwargs)

    return call


def pdf_file(name="决定.pdf"):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "evidence")
    page.save()
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_a_legal_case_through_the_api(api, loan, collection_case):
    with clock.frozen(date(2028, 5, 1)):
        created = api("post", "/cases", {"collection_case_id": collection_case.pk, "lawyer": "李律师"})
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["claim_amount"] == "10000.00" and body["status"] == "preparing"
    with clock.frozen(date(2028, 5, 6)):
        updated = api("post", f"/cases/{body['id']}", {"filed_on": "2028-05-05", "court": "朝阳区人民法院"})
        assert updated.status_code == 200 and updated.json()["status"] == "filed"
        refused = api("post", f"/cases/{body['id']}", {"judgment_on": "2028-05-01"})
        assert refused.status_code == 400 and refused.json()["code"] == "legal_invalid"
        assert api("post", f"/cases/{body['id']}/events", {"kind": "hearing", "on": "2028-05-06"}).status_code == 201
        cost = api("post", f"/cases/{body['id']}/costs", {"kind": "court_fee", "amount": "50", "paid_on": "2028-05-05"})
        assert cost.status_code == 201 and cost.json()["amount"] == "50.00"
        detail = api("get", f"/cases/{body['id']}").json()
        assert detail["costs_total"] == "50.00" and [e["kind"] for e in detail["events"]] == ["filing", "hearing"]
        assert api("get", "/cases", {"status": "filed"}).json()["count"] == 1
        clock_body = api("get", f"/limitation/{loan.pk}").json()
    assert clock_body["expires_on"] == "2031-05-05" and clock_body["in_lawsuit"] is True
    assert [(e["kind"], e["counted"]) for e in clock_body["events"]] == [("lawsuit", True)]


def test_defaulters_through_the_api(api, debtor):
    with clock.frozen(date(2026, 5, 1)):
        created = api("post", "/defaulters", {"name": "某某贸易有限公司", "id_number": "91110105MA01ABCD1X",
                                              "source": "court", "court_case_number": "（2026）京0105执9号",
                                              "reason": "失信被执行人", "evidence": pdf_file()}, multipart=True)
        assert created.status_code == 201, created.content
        row = created.json()
        assert row["id_last4"] == "CD1X" and len(row["evidence_sha256"]) == 64 and row["listed"] is True
        matched = api("post", "/defaulters/match", {"id_number": "91110105ma01abcd1x"}).json()
        assert [m["id"] for m in matched] == [row["id"]]
        assert api("post", "/defaulters/match", {}).status_code == 400
        removed = api("post", f"/defaulters/{row['id']}/remove", {"reason": "已履行"})
        assert removed.status_code == 200 and removed.json()["listed"] is False
        assert api("get", "/defaulters", {"listed": "true"}).json()["count"] == 0


def test_the_watch_list(api, loan):
    with clock.frozen(date(2029, 12, 1)):
        rows = api("get", "/limitation", {"within": 90}).json()
    assert rows["count"] == 1 and rows["items"][0]["days_left"] == 45 and "第188、189条" in rows["items"][0]["basis"]
