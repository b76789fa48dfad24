"""SMS backends, chosen by IOUDESK_SMS_BACKEND (config/settings.py):

- ``console``: prints the message (masked number) to the log: development.
- ``file``: one JSON line per message under ``<IOUDESK_DATA_DIR>/sms/``: development and tests.
- ``webhook``: a JSON POST to IOUDESK_SMS_WEBHOOK_URL signed with HMAC-SHA256 over
  ``<timestamp>.<body>`` with IOUDESK_SMS_WEBHOOK_SECRET, in the header
  ``X-IOUDesk-Signature: t=<timestamp>,v1=<hex>``; the delivery key travels as ``Idempotency-Key``
  so a receiver can drop a retry it already took.
- ``tencent``: Tencent Cloud SMS (短信 SendSms, API 2021-01-11) through its official SDK
  ``tencentcloud-sdk-python-sms``; endpoint configurable (IOUDESK_SMS_TENCENT_ENDPOINT, e.g.
  ``http://127.0.0.1:8201`` for a stub). Tencent sends only templates approved in its console: the
  message's template code maps to a Tencent template id (IOUDESK_SMS_TENCENT_TEMPLATES, JSON
  ``{"code": "id"}``), with the placeholder values in order (kept when the caller passes
  ``message_queue(context=…)``); any other message goes through IOUDESK_SMS_TENCENT_TEMPLATE_ID with
  the whole text as its one parameter.
- or a dotted path to a class with ``send(message) -> SendResult``.

Timeouts, connection errors, 429 and 5xx are `TransientError` (retried with backoff); other refusals
are `PermanentError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from ioudesk.core.masking import mask_phone
from ioudesk.notify.outcomes import PermanentError, SendResult, TransientError

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-IOUDesk-Signature"


def _setting(name: str, default=None):
    return getattr(settings, name, default)


def sms_backend():
    name = _setting("IOUDESK_SMS_BACKEND", "console") or "console"
    simple = {"console": ConsoleSmsBackend, "file": FileSmsBackend, "webhook": WebhookSmsBackend,
              "tencent": TencentSmsBackend}
    cls = simple.get(name) or import_string(name)
    return cls()


def _payload(message) -> dict:
    return {
        "id": message.pk, "delivery_key": message.delivery_key, "to": message.address,
        "category": message.category, "body": message.body,
        "template": message.template.code if message.template_id else "", "params": list(message.params or []),
    }


class ConsoleSmsBackend:
    def send(self, message) -> SendResult:
        logger.info("短信 → %s：%s", mask_phone(message.address), message.body)
        return SendResult(provider_message_id=f"console-{message.pk}")


class FileSmsBackend:
    """Appends one JSON line per message to <dir>/sms-YYYYMMDD.jsonl (IOUDESK_SMS_FILE_DIR, by default
    <IOUDESK_DATA_DIR>/sms)."""

    _lock = threading.Lock()

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory or _setting("IOUDESK_SMS_FILE_DIR") or Path(settings.DATA_DIR) / "sms")

    def send(self, message) -> SendResult:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime()
        line = json.dumps({**_payload(message), "at": stamp.isoformat()}, ensure_ascii=False)
        path = self.directory / f"sms-{stamp:%Y%m%d}.jsonl"
        with self._lock, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
        return SendResult(provider_message_id=f"file-{message.pk}")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """For a receiver (and the tests): is `header` a valid signature of `body`, made within `tolerance` s?"""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp, signature = parts["t"], parts["v1"]
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (KeyError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(signature, webhook_signature(secret, timestamp, body))


class WebhookSmsBackend:
    def __init__(self, url: str | None = None, secret: str | None = None, timeout: float | None = None):
        self.url = url or _setting("IOUDESK_SMS_WEBHOOK_URL", "")
        self.secret = secret if secret is not None else _setting("IOUDESK_SMS_WEBHOOK_SECRET", "")
        self.timeout = timeout or float(_setting("IOUDESK_SMS_TIMEOUT", 10))

    def send(self, message) -> SendResult:
        import requests

        if not self.url:
            raise PermanentError("没有配置短信网关地址（IOUDESK_SMS_WEBHOOK_URL）")
        if not self.secret:
            raise PermanentError("没有配置短信网关签名密钥（IOUDESK_SMS_WEBHOOK_SECRET）")
        body = json.dumps(_payload(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: f"t={timestamp},v1={webhook_signature(self.secret, timestamp, body)}",
            "Idempotency-Key": message.delivery_key,
        }
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.Timeout as error:
            raise TransientError(f"短信网关超时（{self.timeout:g} 秒）") from error
        except requests.RequestException as error:
            raise TransientError(f"连接短信网关失败：{type(error).__name__}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"短信网关返回 HTTP {response.status_code}")
        if response.status_code >= 300:
            raise PermanentError(f"短信网关拒绝：HTTP {response.status_code} {response.text[:200]}")
        provider_id = ""
        try:
            data = response.json()
            provider_id = str(data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""
        except ValueError:
            pass
        return SendResult(provider_message_id=provider_id)


# Tencent error codes worth another try (docs: 短信 API 2021-01-11 公共错误码 / SendSms 错误码)
TENCENT_TRANSIENT = ("ClientNetworkError", "ServerNetworkError", "InternalError", "RequestLimitExceeded",
                     "LimitExceeded.PhoneNumberThirtySecondLimit", "FailedOperation.ServiceSuspendDueToArrears")


class TencentSmsBackend:
    def __init__(self, **options):
        get = lambda key, default="": options.get(key, _setting(f"IOUDESK_SMS_TENCENT_{key.upper()}", default))  # noqa: E731
        self.secret_id = get("secret_id")
        self.secret_key = get("secret_key")
        self.app_id = get("sdk_app_id")
        self.sign_name = get("sign_name")
        self.template_id = get("template_id")
        self.templates = get("templates", {}) or {}
        if isinstance(self.templates, str):
            self.templates = json.loads(self.templates) if self.templates.strip() else {}
        self.region = get("region", "ap-guangzhou")
        self.endpoint = get("endpoint", "") or "https://sms.tencentcloudapi.com"
        self.timeout = float(options.get("timeout", _setting("IOUDESK_SMS_TIMEOUT", 10)))

    def _client(self):
        from urllib.parse import urlparse

        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        url = urlparse(self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}")
        http = HttpProfile(protocol=url.scheme or "https", endpoint=url.netloc, reqTimeout=self.timeout)
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)  # no fall-back to another endpoint
        return sms_client.SmsClient(credential.Credential(self.secret_id, self.secret_key), self.region, profile)

    @staticmethod
    def _phone(address: str) -> str:
        digits = address.replace(" ", "").replace("-", "")
        if digits.startswith("+"):
            return digits
        if digits.startswith("0086"):
            return "+" + digits[2:]
        return "+86" + digits

    def send(self, message) -> SendResult:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        if not (self.secret_id and self.secret_key and self.app_id and self.sign_name):
            raise PermanentError("腾讯云短信未配置完整（SecretId、SecretKey、SdkAppId、签名）")
        code = message.template.code if message.template_id else ""
        if code and code in self.templates and message.params:
            template_id, params = str(self.templates[code]), [str(p) for p in message.params]
        elif self.template_id:
            template_id, params = str(self.template_id), [message.body]
        else:
            raise PermanentError(f"腾讯云短信没有对应的模板（模板代码 {code or '（无）'}；"
                                 "请在 IOUDESK_SMS_TENCENT_TEMPLATES 里配置，或配置通用模板 IOUDESK_SMS_TENCENT_TEMPLATE_ID）")
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [self._phone(message.address)]
        request.SmsSdkAppId = str(self.app_id)
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = params
        request.SessionContext = message.delivery_key[:512]
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or ""
            text = f"腾讯云短信 {code}：{str(error.get_message())[:200]}"
            if code.startswith(TENCENT_TRANSIENT) or "timed out" in str(error.get_message()).lower():
                raise TransientError(text) from error
            raise PermanentError(text) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise PermanentError("腾讯云短信没有返回发送状态")
        status = statuses[0]
        if status.Code != "Ok":
            text = f"腾讯云短信 {status.Code}：{status.Message}"
            if str(status.Code).startswith(TENCENT_TRANSIENT):
                raise TransientError(text)
            raise PermanentError(text)
        return SendResult(provider_message_id=status.SerialNo or response.RequestId or "")
