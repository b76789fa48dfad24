"""/api/v1/messages: list with filters, detail with attempts, resend; permissions and scope like the
back office; errors in the API's one shape."""

from __future__ import annotations

import json

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import roles
from ioudesk.notify import services
from ioudesk.notify.models import Channel, Message, Status
from ioudesk.notify.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            return getattr(client, method)(f"/api/v1/messages{path}", **kwargs)

        return request

    return make


@pytest.fixture
def log(debtor, rules, gateway):
    from ioudesk.notify.channels import PermanentError
    from ioudesk.notify.tests.conftest import RecordingGateway

    sent = services.message_queue(channel=Channel.SMS, body="已发", customer=debtor, category="customer_notice",
                                  delivery_key="s1")
    services.message_deliver(sent.pk, now=at("2026-12-01 10:00"), backend=gateway)
    failed = services.message_queue(channel=Channel.SMS, body="失败", customer=debtor, category="customer_notice",
                                    delivery_key="s2")
    services.message_deliver(failed.pk, now=at("2026-12-01 10:00"),
                             backend=RecordingGateway(fail_with=PermanentError("空号")))
    return sent, failed


def test_list_filter_detail_and_resend(call, admin_user_zh, log, debtor):
    sent, failed = log
    api = call(admin_user_zh)
    body = api("get", "").json()
    assert body["count"] == 2 and [m["id"] for m in body["items"]] == [failed.pk, sent.pk]
    assert body["items"][0]["address_masked"] == "139****2345" and "13901012345" not in json.dumps(body)
    assert [m["id"] for m in api("get", "?status=failed").json()["items"]] == [failed.pk]
    assert api("get", f"?customer_id={debtor.pk}&channel=sms").json()["count"] == 2
    assert api("get", "?channel=email").json()["count"] == 0
    assert api("get", "?created_from=2999-01-01").json()["count"] == 0
    assert api("get", "?status=bogus").status_code == 422

    detail = api("get", f"/{failed.pk}").json()
    assert detail["status"] == "failed" and detail["status_reason"] == "发送失败：空号"
    assert [a["outcome"] for a in detail["delivery_attempts"]] == ["failed"]

    response = api("post", f"/{failed.pk}/resend", {"reason": "号码已更正"})
    assert response.status_code == 201
    copy = Message.objects.get(pk=response.json()["id"])
    assert copy.resent_from == failed and copy.status == Status.QUEUED
    assert response.json()["resent_from_id"] == failed.pk


def test_errors_and_permissions(call, make_staff, admin_user_zh, log):
    sent, _failed = log
    auditor = call(make_staff("audit", role=roles.AUDITOR))
    assert auditor("get", "").json()["count"] == 2
    refused = auditor("post", f"/{sent.pk}/resend", {})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    finance = call(make_staff("fin", role=roles.FINANCE))
    assert finance("get", "").status_code == 403
    admin = call(admin_user_zh)
    missing = admin("get", "/999999")
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message", "details"}
    queued = services.message_queue(channel=Channel.INAPP, body="x", user=admin_user_zh, category="staff_notice",
                                    delivery_key="q")
    busy = admin("post", f"/{queued.pk}/resend", {})
    assert busy.status_code == 400 and busy.json()["code"] == "notify_not_final"


def test_delivery_receipts_signed_by_the_gateway(client, log, settings):
    import time as clock_time

    from ioudesk.notify.sms import webhook_signature

    sent, _failed = log
    sent.refresh_from_db()
    settings.IOUDESK_SMS_WEBHOOK_SECRET = "s3cret"
    body = json.dumps({"receipts": [{"id": sent.provider_message_id, "status": "delivered",
                                     "at": "2026-12-01T10:00:05+08:00"},
                                    {"id": "unknown", "status": "delivered"}]}).encode()
    stamp = str(int(clock_time.time()))

    def post(payload, signature):
        return client.post("/api/v1/messages/receipts", data=payload, content_type="application/json",
                           HTTP_X_IOUDESK_SIGNATURE=signature)

    refused = post(body, f"t={stamp},v1={webhook_signature('wrong', stamp, body)}")
    assert refused.status_code == 403 and refused.json()["message"] == "回执签名无效", refused.content.decode()
    answer = post(body, f"t={stamp},v1={webhook_signature('s3cret', stamp, body)}")
    assert answer.status_code == 200 and answer.json() == {"applied": 1, "ignored": 1}
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED and sent.delivered_at == at("2026-12-01 10:00:05")
    assert list(sent.attempts_log.values_list("outcome", flat=True)) == ["sent", "delivered"]
    again = post(body, f"t={stamp},v1={webhook_signature('s3cret', stamp, body)}")
    assert again.json() == {"applied": 0, "ignored": 2}  # a report applies once


def test_tencent_status_callback_with_its_token(client, debtor, rules, settings, gateway):
    message = services.message_queue(channel=Channel.SMS, body="短信", customer=debtor, category="customer_notice",
                                     delivery_key="t")
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=gateway)
    settings.IOUDESK_SMS_RECEIPT_TOKEN = "tok-123"
    payload = json.dumps([{"user_receive_time": "2026-12-01 10:00:09", "nationcode": "86", "mobile": "13901012345",
                           "report_status": "FAIL", "errmsg": "MK:0005", "description": "用户手机关机",
                           "sid": f"gw-{message.pk}"}])
    assert client.post("/api/v1/messages/receipts/tencent?token=nope", data=payload,
                       content_type="application/json").status_code == 403
    answer = client.post("/api/v1/messages/receipts/tencent?token=tok-123", data=payload,
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"applied": 1, "ignored": 0}
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.status_reason == "运营商回执未送达：MK:0005 用户手机关机"
