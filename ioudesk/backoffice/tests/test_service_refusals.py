"""Admin pages that write through a service: a refusal is shown on the form, next to the field it
names, and nothing is saved or audited (ioudesk.backoffice.mixins.ServiceAdminMixin)."""

import pytest
from django.urls import reverse

from ioudesk.api.models import ApiToken
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Account
from ioudesk.ledger.services import chart_ensure


def field_errors(response, field):
    return [str(e) for e in response.context["adminform"].form.errors.get(field, [])]


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


def test_a_token_with_an_expiry_in_the_past_is_refused_on_the_form_and_not_stored(admin_client, admin_user_zh):
    given = {"user": admin_user_zh.pk, "name": "报表系统", "expires_at_0": "2020-01-01", "expires_at_1": "00:00:00"}

    first = admin_client.post(reverse("admin:api_apitoken_add"), given)
    second = admin_client.post(reverse("admin:api_apitoken_add"), given)

    for response in (first, second):
        assert response.status_code == 200
        assert field_errors(response, "expires_at") == ["到期时间必须晚于现在。"]
    assert ApiToken.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="签发接口令牌").exists()


def test_a_token_issued_on_the_form_is_hashed_and_audited(admin_client, admin_user_zh):
    response = admin_client.post(reverse("admin:api_apitoken_add"), {"user": admin_user_zh.pk, "name": "报表系统"},
                                 follow=True)

    record = ApiToken.objects.get()
    assert "请立即复制保存：iou_" in response.content.decode()
    assert len(record.key_hash) == 64 and record.prefix.startswith("iou_")
    assert AuditEvent.objects.filter(verb="签发接口令牌", object_id=str(record.pk)).count() == 1


def test_a_refused_account_change_is_shown_on_the_form_and_nothing_is_saved(admin_client, monkeypatch):
    chart_ensure()
    cash = Account.objects.get(code=AccountCode.CASH)
    from ioudesk.backoffice.admin import ledger
    from ioudesk.ledger import services

    def refuse_after_writing(**kwargs):  # the service writes, then refuses: the write is undone too
        services.account_update(**kwargs)
        raise ValidationFailed("科目名称与现有科目重复。", extra={"field": "name"})

    monkeypatch.setattr(ledger, "account_update", refuse_after_writing)

    response = admin_client.post(reverse("admin:ledger_account_change", args=[cash.pk]),
                                 {"name": "新名称", "is_active": "on"})

    assert response.status_code == 200
    assert field_errors(response, "name") == ["科目名称与现有科目重复。"]
    assert "修改成功" not in response.content.decode() and "成功" not in str(list(response.context["messages"]))
    cash.refresh_from_db()
    assert cash.name != "新名称"
    assert not AuditEvent.objects.filter(verb="修改科目").exists()
