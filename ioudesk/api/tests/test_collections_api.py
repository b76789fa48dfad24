"""/api/v1/collections: cases (list with the workbench filters, detail, assign, recall), contact
records (list, detail, create as multipart with attachments), promises — the same services,
predicates and scope as the back office's 催收 pages, errors in the API's one shape.

The case is the page tests' (ioudesk/backoffice/tests/test_collection_pages.py): ¥10,000 at 12 %
over 12 months lent on 2026-10-03; on 2026-11-28 the first installment is 25 days overdue, arrears
¥888.49 + ¥9.86 penalty = ¥898.35, M1, assigned to the collector zhaolei."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ioudesk.api.services import api_token_issue
from ioudesk.backoffice.tests.test_collection_pages import (  # noqa: F401  (fixtures)
    case,
    collector,
    day,
    other_collector,
    supervisor,
    wav_bytes,
    world,
)
from ioudesk.collections.models import ContactRecord

pytestmark = pytest.mark.django_db
BASE = "/api/v1/collections"


@pytest.fixture
def api(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def request(method, path, payload=None, **extra):
            if method == "post" and payload is not None and not extra.get("multipart"):
                return client.post(f"{BASE}{path}", data=payload, content_type="application/json", **auth)
            if method == "post":
                return client.post(f"{BASE}{path}", data=payload or {}, **auth)
            return client.get(f"{BASE}{path}", data=payload or {}, **auth)

        return request

    return make


def test_cases_list_detail_and_scope(api, case, collector, other_collector, day):  # noqa: F811
    mine = api(collector)
    listed = mine("get", "/cases")
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert body["count"] == 1
    row = body["items"][0]
    assert (row["number"], row["arrears"], row["bucket"], row["days_past_due"], row["term"], row["owner"]) == (
        case.number, "898.35", "M1", 25, "short", "zhaolei")
    assert mine("get", "/cases", {"bucket": "M2"}).json()["count"] == 0
    assert mine("get", "/cases", {"term": "long"}).json()["count"] == 0
    assert mine("get", "/cases", {"workbench": "true", "q": case.iou.number}).json()["count"] == 1
    bad = mine("get", "/cases", {"bucket": "M9"})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"

    detail = mine("get", f"/cases/{case.pk}").json()
    assert detail["limitation_expires_on"] == (case.iou.limitation_expires_on.isoformat()
                                               if case.iou.limitation_expires_on else None)
    assert [e["kind"] for e in detail["events"]][:2] == ["opened", "assigned"]
    assert mine("get", "/cases/999999").status_code == 404
    assert mine("get", "/cases/999999").json()["code"] == "not_found"


def test_assign_and_recall_need_the_assignment_right(api, case, collector, other_collector, supervisor, day):  # noqa: F811
    denied = api(collector)("post", f"/cases/{case.pk}/assign", {"owner_id": other_collector.pk})
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"

    lead = api(supervisor)
    neither = lead("post", f"/cases/{case.pk}/assign", {"reason": "x"})
    assert neither.status_code == 400 and neither.json()["code"] == "validation_failed"
    same = lead("post", f"/cases/{case.pk}/assign", {"owner_id": collector.pk})
    assert same.status_code == 400 and same.json()["code"] == "assign_same"
    moved = lead("post", f"/cases/{case.pk}/assign", {"owner_id": other_collector.pk, "reason": "调整"})
    assert moved.status_code == 200 and moved.json()["owner"] == "qianfeng"
    assert moved.json()["assignments"][0]["method"] == "reassign"

    no_reason = lead("post", f"/cases/{case.pk}/recall", {"reason": ""})
    assert no_reason.status_code == 422
    recalled = lead("post", f"/cases/{case.pk}/recall", {"reason": "休假"})
    assert recalled.status_code == 200 and recalled.json()["owner"] is None
    again = lead("post", f"/cases/{case.pk}/recall", {"reason": "休假"})
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"


def test_contact_record_created_with_a_recording_and_a_promise(api, case, collector, day, settings, tmp_path):  # noqa: F811
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path)
    mine = api(collector)
    audio = wav_bytes()
    created = mine("post", f"/cases/{case.pk}/contact-records", {
        "method": "phone", "party": "debtor", "outcome": "promised", "contacted_at": "2026-11-28T10:30:00+08:00",
        "notes": "答应月底还", "promise_amount": "500", "promised_on": "2026-11-30",
        "recording": SimpleUploadedFile("call.wav", audio, content_type="audio/wav"),
    }, multipart=True)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["attachments"][0]["sha256"] == hashlib.sha256(audio).hexdigest()
    assert body["attachments"][0]["kind"] == "recording"
    assert (body["promise"]["amount"], body["promise"]["promised_on"], body["promise"]["status"]) == (
        "500.00", "2026-11-30", "pending")
    assert body["warning"] == "" and body["recorded_by"] == "zhaolei"

    listed = mine("get", "/contact-records", {"case_id": case.pk}).json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    assert mine("get", f"/contact-records/{body['id']}").status_code == 200
    promises = mine("get", "/promises", {"status": "pending"}).json()
    assert promises["count"] == 1 and promises["items"][0]["case_number"] == case.number


def test_contact_record_refusals(api, case, collector, other_collector, day):  # noqa: F811
    mine = api(collector)
    path = f"/cases/{case.pk}/contact-records"
    base = {"method": "phone", "party": "debtor", "outcome": "promised", "contacted_at": "2026-11-28T10:30:00+08:00"}
    past = mine("post", path, {**base, "promise_amount": "100", "promised_on": "2026-11-27"}, multipart=True)
    assert past.status_code == 400 and past.json()["code"] == "promise_in_past"
    above = mine("post", path, {**base, "promise_amount": "898.36", "promised_on": "2026-11-30"}, multipart=True)
    assert above.status_code == 400 and above.json()["code"] == "promise_above_arrears"
    stranger = mine("post", path, {**base, "outcome": "no_answer", "party": "contact", "contact_id": 999999},
                    multipart=True)
    assert stranger.status_code == 400 and stranger.json()["code"] == "validation_failed"
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    future = mine("post", path, {**base, "outcome": "no_answer", "contacted_at": tomorrow}, multipart=True)
    assert future.status_code == 400 and future.json()["code"] == "contact_time_future"
    wrong_file = mine("post", path, {**base, "outcome": "no_answer", "recording": SimpleUploadedFile(
        "call.wav", b"MZ\x90\x00 not audio at all", content_type="audio/wav")}, multipart=True)
    assert wrong_file.status_code == 400
    assert not ContactRecord.objects.exists()

    other = api(other_collector)("post", path, {**base, "outcome": "no_answer"}, multipart=True)
    assert other.status_code in (403, 404)
