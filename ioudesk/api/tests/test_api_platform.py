"""Token authentication, the docs page, and one error shape for every failure."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ioudesk.api.models import ApiToken
from ioudesk.api.services import api_token_issue, api_token_revoke
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import AuditEvent


@pytest.fixture
def clerk(make_staff):
    return make_staff("wangfang", role="财务")


def _get(client, url, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(url, **headers)


def test_a_token_identifies_its_staff_member(client, clerk):
    record, token = api_token_issue(user=clerk, name="财务系统对接")

    response = _get(client, "/api/v1/me", token)

    assert response.status_code == 200
    assert response.json()["username"] == "wangfang" and response.json()["roles"] == ["财务"]
    assert ApiToken.objects.get(pk=record.pk).key_hash != token and token.startswith("iou_")
    assert AuditEvent.objects.filter(verb="签发接口令牌", object_id=str(record.pk)).exists()


@pytest.mark.parametrize("token", [None, "iou_wrong", "not-a-token"])
def test_missing_or_wrong_token_is_401_in_the_error_shape(client, clerk, token):
    response = _get(client, "/api/v1/me", token)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated" and "Bearer" in body["message"] and body["details"] == []


def test_revoked_and_expired_tokens_stop_working(client, clerk):
    revoked, revoked_token = api_token_issue(user=clerk, name="旧系统")
    expiring, expiring_token = api_token_issue(user=clerk, name="临时", expires_at=timezone.now() + timedelta(hours=1))
    api_token_revoke(token=revoked)
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _get(client, "/api/v1/me", revoked_token).status_code == 401
    assert _get(client, "/api/v1/me", expiring_token).status_code == 401


def test_inactive_staff_token_stops_working(client, clerk):
    _, token = api_token_issue(user=clerk, name="对接")
    clerk.is_active = False
    clerk.save()

    assert _get(client, "/api/v1/me", token).status_code == 401


def test_token_needs_a_purpose(clerk):
    with pytest.raises(ValidationFailed, match="用途"):
        api_token_issue(user=clerk, name="  ")
    assert not ApiToken.objects.exists()


def test_error_messages_follow_the_language(client, clerk):
    response = _get(client, "/api/v1/me", None, HTTP_ACCEPT_LANGUAGE="en")

    assert "Authorization" in response.json()["message"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_docs_and_schema_for_signed_in_staff_only(client, admin_user_zh):
    assert client.get("/api/v1/docs").status_code == 302
    client.force_login(admin_user_zh)

    docs = client.get("/api/v1/docs")
    swagger = client.get("/api/v1/docs/swagger")
    schema = client.get("/api/v1/openapi.json")

    assert swagger.status_code == 200 and "/static/ninja/swagger-ui-bundle.js" in swagger.content.decode()
    assert "cdn" not in swagger.content.decode().lower()
    # the reference page is the back office's own, in Chinese, from the same OpenAPI document
    page = docs.content.decode()
    assert docs.status_code == 200 and "接口文档" in page and "/api/v1/docs/swagger" in page
    assert "登记还款" in page and "/api/v1/ious/{iou_id}/repayments" in page and "Idempotency-Key" in page
    assert schema.json()["info"]["title"] == "欠条管家 API"
    assert "/api/v1/me" in schema.json()["paths"]


def test_back_office_issues_a_token_once_and_revokes_it(client, admin_user_zh, clerk):
    client.force_login(admin_user_zh)

    response = client.post(reverse("admin:api_apitoken_add"), {"user": clerk.pk, "name": "报表系统"}, follow=True)
    page = response.content.decode()
    token = page.split("请立即复制保存：")[1].split("<")[0].strip()

    assert _get(client.__class__(), "/api/v1/me", token).status_code == 200
    record = ApiToken.objects.get(name="报表系统")
    client.get(reverse("admin:api_apitoken_revoke", args=[record.pk]))
    assert _get(client.__class__(), "/api/v1/me", token).status_code == 401
