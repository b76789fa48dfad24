"""SMS backends against stub servers on 127.0.0.1: the Tencent Cloud SMS adapter (its official SDK)
succeeding, timing out and answering 500 (retried with doubling backoff, then failed with the reason,
never sent twice); the HMAC-signed webhook; the file backend. Nothing here reaches the internet."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import override_settings

from ioudesk.notify import services
from ioudesk.notify.models import Channel, Message, Status
from ioudesk.notify.sms import (
    FileSmsBackend,
    TencentSmsBackend,
    WebhookSmsBackend,
    sms_backend,
    webhook_verify,
)
from ioudesk.notify.tests.conftest import at

pytestmark = pytest.mark.django_db

TENCENT = dict(secret_id="AKIDtest", secret_key="test-key", sdk_app_id="1400000001", sign_name="华信信贷",
               template_id="100001", templates={"due-sms": "200002"})


def tencent_ok(handler, body):
    request = json.loads(body)
    return 200, {"Response": {"RequestId": "req-1", "SendStatusSet": [{
        "SerialNo": "2433:000001", "PhoneNumber": request["PhoneNumberSet"][0], "Fee": 1,
        "SessionContext": request.get("SessionContext", ""), "Code": "Ok", "Message": "send success",
        "IsoCode": "CN"}]}}


def queue(customer, key="k", **kwargs):
    return services.message_queue(channel=Channel.SMS, body="【华信信贷】王建国，您本期应还 1,234.56 元。",
                                  customer=customer, category="customer_notice", delivery_key=key, **kwargs)


def test_tencent_adapter_sends_through_the_sdk_to_the_configured_endpoint(debtor, rules, stub_server):
    stub = stub_server(tencent_ok)
    backend = TencentSmsBackend(**TENCENT, endpoint=stub.url, timeout=5)
    message = queue(debtor)
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=backend) == Status.SENT
    message.refresh_from_db()
    assert message.provider_message_id == "2433:000001" and message.attempts == 1
    [request] = stub.requests
    assert request["headers"]["X-TC-Action"] == "SendSms" and request["headers"]["X-TC-Version"] == "2021-01-11"
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    sent = json.loads(request["body"])
    assert sent["PhoneNumberSet"] == ["+8613901012345"] and sent["SmsSdkAppId"] == "1400000001"
    assert sent["SignName"] == "华信信贷" and sent["TemplateId"] == "100001"
    assert sent["TemplateParamSet"] == [message.body] and sent["SessionContext"] == "k"
    # delivering again sends nothing
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:01"), backend=backend) is None
    assert len(stub.requests) == 1


def test_tencent_adapter_sends_a_mapped_template_with_its_values_in_order(debtor, rules, stub_server):
    from ioudesk.notify.models import MessageTemplate

    stub = stub_server(tencent_ok)
    template = services.template_save(template=MessageTemplate(
        code="due-sms", name="到期短信", category="customer_notice", channel=Channel.SMS,
        body="{客户姓名}您好：{通知内容}，详询{联系电话}"))
    context = {"客户姓名": "王建国", "通知内容": "本期应还 1,234.56 元", "联系电话": "010-65001234"}
    _subject, body = services.placeholders.template_render(template, context)
    message = queue(debtor, template=template, context=context)
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"),
                             backend=TencentSmsBackend(**TENCENT, endpoint=stub.url))
    sent = json.loads(stub.requests[0]["body"])
    assert sent["TemplateId"] == "200002"
    assert sent["TemplateParamSet"] == ["王建国", "本期应还 1,234.56 元", "010-65001234"]
    assert body == "王建国您好：本期应还 1,234.56 元，详询010-65001234"
    # queued without the values (no context): the general template with the whole text
    bare = queue(debtor, key="bare", template=template)
    services.message_deliver(bare.pk, now=at("2026-12-01 10:00"),
                             backend=TencentSmsBackend(**TENCENT, endpoint=stub.url))
    sent = json.loads(stub.requests[1]["body"])
    assert sent["TemplateId"] == "100001" and sent["TemplateParamSet"] == [bare.body]


def test_tencent_refusal_fails_at_once_with_its_code(debtor, rules, stub_server):
    def refuse(handler, body):
        return 200, {"Response": {"RequestId": "r", "SendStatusSet": [{
            "SerialNo": "", "PhoneNumber": "+8613901012345", "Fee": 0, "SessionContext": "",
            "Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "incorrect number", "IsoCode": "CN"}]}}

    stub = stub_server(refuse)
    message = queue(debtor)
    status = services.message_deliver(message.pk, now=at("2026-12-01 10:00"),
                                      backend=TencentSmsBackend(**TENCENT, endpoint=stub.url))
    message.refresh_from_db()
    assert status == Status.FAILED and len(stub.requests) == 1
    assert message.status_reason == "发送失败：腾讯云短信 InvalidParameterValue.IncorrectPhoneNumber：incorrect number"


def _retry_until_failed(message, backend, start):
    """Deliver at each retry time the message asks for; returns the moments tried."""
    tried, moment = [], start
    for _ in range(10):
        status = services.message_deliver(message.pk, now=moment, backend=backend)
        tried.append(moment)
        message.refresh_from_db()
        if status != Status.QUEUED:
            break
        # not before its time: one second early does nothing
        assert services.message_deliver(message.pk, now=message.next_attempt_at - dt.timedelta(seconds=1),
                                        backend=backend) is None
        moment = message.next_attempt_at
    return tried


def test_gateway_answering_500_is_retried_with_backoff_then_failed(debtor, rules, stub_server):
    stub = stub_server(lambda handler, body: (500, {"error": "internal"}))
    message = queue(debtor)
    start = at("2026-12-01 10:00")
    tried = _retry_until_failed(message, TencentSmsBackend(**TENCENT, endpoint=stub.url), start)
    # max 3 attempts, 60 s doubling: 10:00:00, 10:01:00, 10:03:00
    assert tried == [start, start + dt.timedelta(seconds=60), start + dt.timedelta(seconds=180)]
    assert len(stub.requests) == 3
    assert message.status == Status.FAILED and message.attempts == 3
    assert message.status_reason == "发送失败（已尝试 3 次）：腾讯云短信 ServerNetworkError：b'{\"error\": \"internal\"}'"
    outcomes = list(message.attempts_log.values_list("outcome", flat=True))
    assert outcomes == ["retry", "retry", "failed"]
    first = message.attempts_log.first()
    assert "第" not in first.error and "ServerNetworkError" in first.error
    assert services.message_deliver(message.pk, now=start + dt.timedelta(hours=1)) is None  # failed stays failed


def test_gateway_timing_out_is_retried_then_failed_and_never_sent_twice(debtor, rules, stub_server):
    def slow(handler, body):
        time.sleep(1.5)
        return None, None

    stub = stub_server(slow)
    message = queue(debtor)
    backend = TencentSmsBackend(**TENCENT, endpoint=stub.url, timeout=0.5)
    tried = _retry_until_failed(message, backend, at("2026-12-01 10:00"))
    assert len(tried) == 3 and message.status == Status.FAILED
    assert "ClientNetworkError" in message.status_reason and "已尝试 3 次" in message.status_reason
    assert len(stub.requests) == 3  # one request per attempt, none taken as sent


def test_a_retry_that_succeeds_is_sent_once(debtor, rules, stub_server):
    answers = iter([(503, {"error": "busy"}), None])

    def flaky(handler, body):
        answer = next(answers)
        return answer if answer else tencent_ok(handler, body)

    stub = stub_server(flaky)
    message = queue(debtor)
    backend = TencentSmsBackend(**TENCENT, endpoint=stub.url)
    tried = _retry_until_failed(message, backend, at("2026-12-01 10:00"))
    assert len(tried) == 2 and message.status == Status.SENT and len(stub.requests) == 2
    assert message.status_reason == ""
    assert services.message_deliver(message.pk, now=at("2026-12-01 11:00"), backend=backend) is None
    assert len(stub.requests) == 2


def test_webhook_signs_the_body_with_hmac_sha256(debtor, rules, stub_server):
    stub = stub_server(lambda handler, body: (200, {"id": "wh-77"}))
    message = queue(debtor)
    backend = WebhookSmsBackend(url=stub.url + "/sms", secret="s3cret", timeout=5)
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=backend) == Status.SENT
    message.refresh_from_db()
    assert message.provider_message_id == "wh-77"
    [request] = stub.requests
    body, signature = request["body"], request["headers"]["X-IOUDesk-Signature"]
    assert request["path"] == "/sms" and request["headers"]["Idempotency-Key"] == "k"
    assert webhook_verify("s3cret", signature, body)
    assert not webhook_verify("other", signature, body)
    assert not webhook_verify("s3cret", signature, body.replace(b"1,234.56", b"9,234.56"))
    assert not webhook_verify("s3cret", signature, body, now=time.time() + 600)  # too old
    import hashlib
    import hmac

    timestamp = signature.split(",")[0].removeprefix("t=")
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert signature == f"t={timestamp},v1={expected}"
    payload = json.loads(body)
    assert payload == {"id": message.pk, "delivery_key": "k", "to": "13901012345", "category": "customer_notice",
                       "body": message.body, "template": "", "params": []}


def test_webhook_4xx_fails_at_once_and_5xx_is_retried(debtor, rules, stub_server):
    refused = stub_server(lambda handler, body: (400, {"error": "bad number"}))
    message = queue(debtor, key="a")
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"),
                             backend=WebhookSmsBackend(url=refused.url, secret="s", timeout=5))
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.status_reason.startswith("发送失败：短信网关拒绝：HTTP 400")

    broken = stub_server(lambda handler, body: (502, {}))
    other = queue(debtor, key="b")
    services.message_deliver(other.pk, now=at("2026-12-01 10:00"),
                             backend=WebhookSmsBackend(url=broken.url, secret="s", timeout=5))
    other.refresh_from_db()
    assert other.status == Status.QUEUED and other.next_attempt_at == at("2026-12-01 10:01")
    assert other.status_reason == "第 1 次发送失败：短信网关返回 HTTP 502；2026-12-01 10:01:00 重试"


def test_file_backend_writes_one_json_line_per_message(debtor, rules, tmp_path):
    message = queue(debtor)
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=FileSmsBackend(tmp_path))
    [path] = list(tmp_path.glob("sms-*.jsonl"))
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["to"] == "13901012345" and json.loads(line)["body"] == message.body


def test_the_backend_is_chosen_by_the_setting(tmp_path):
    from ioudesk.notify.sms import ConsoleSmsBackend

    with override_settings(IOUDESK_SMS_BACKEND="file", IOUDESK_SMS_FILE_DIR=str(tmp_path)):
        assert isinstance(sms_backend(), FileSmsBackend) and sms_backend().directory == tmp_path
    with override_settings(IOUDESK_SMS_BACKEND="console"):
        assert isinstance(sms_backend(), ConsoleSmsBackend)
    with override_settings(IOUDESK_SMS_BACKEND="ioudesk.notify.sms.WebhookSmsBackend"):
        assert isinstance(sms_backend(), WebhookSmsBackend)


def test_email_goes_through_djangos_backend(debtor, rules, mailoutbox):
    message = services.message_queue(channel=Channel.EMAIL, subject="账单", body="您好", to="wang@example.com",
                                     customer=debtor, category="customer_notice", delivery_key="mail")
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:00")) == Status.SENT
    [mail] = mailoutbox
    assert mail.to == ["wang@example.com"] and mail.subject == "账单" and mail.body == "您好"
    assert mail.extra_headers["X-IOUDesk-Delivery-Key"] == "mail"
    assert Message.objects.get(pk=message.pk).address_display == "w***@example.com"


def test_email_server_errors_map_to_retry_or_failure(debtor, rules, monkeypatch):
    """An SMTP server that times out or answers 4xx is tried again; a refused recipient fails at once."""
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend as LocMem

    outcomes = iter([TimeoutError("timed out"), smtplib.SMTPResponseException(451, b"try later"),
                     smtplib.SMTPRecipientsRefused({"wang@example.com": (550, b"no such user")})])

    def send_messages(self, messages):
        raise next(outcomes)

    monkeypatch.setattr(LocMem, "send_messages", send_messages)
    message = services.message_queue(channel=Channel.EMAIL, body="账单", to="wang@example.com", customer=debtor,
                                     category="customer_notice", delivery_key="mail")
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:00")) == Status.QUEUED
    message.refresh_from_db()
    assert "连接邮件服务器失败：TimeoutError" in message.status_reason
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:01")) == Status.QUEUED
    message.refresh_from_db()
    assert "邮件服务器暂时拒绝（451）" in message.status_reason and message.next_attempt_at == at("2026-12-01 10:03")
    assert services.message_deliver(message.pk, now=at("2026-12-01 10:03")) == Status.FAILED
    message.refresh_from_db()
    assert message.status_reason.startswith("发送失败：收件地址被拒收") and message.attempts == 3
