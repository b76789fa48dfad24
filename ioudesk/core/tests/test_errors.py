"""Bad input gets a clear message in the user's language, and nothing is written."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from ioudesk.core.models import AuditEvent, Branch


def test_unknown_url_gets_the_product_404_in_chinese(client, admin_user_zh):
    client.force_login(admin_user_zh)

    response = client.get("/admin/no-such-page/xyz/")
    page = response.content.decode()

    assert response.status_code in (404, 302)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "返回首页" in page


def test_unknown_url_in_english(client, admin_user_zh):
    client.cookies["django_language"] = "en"

    page = client.get("/no-such-page/").content.decode()

    assert "Page not found" in page


def test_form_with_missing_fields_explains_and_writes_nothing(client, admin_user_zh, head_office):
    client.force_login(admin_user_zh)
    branches_before = Branch.objects.count()
    events_before = AuditEvent.objects.count()

    response = client.post("/admin/core/branch/add/", {"organisation": head_office.organisation_id})
    page = response.content.decode()

    assert response.status_code == 200
    assert "这个字段是必填项" in page
    assert Branch.objects.count() == branches_before
    assert AuditEvent.objects.count() == events_before


def _boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [path("boom/", _boom)]
handler500 = "ioudesk.core.views.server_error"


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.django_db
def test_server_error_shows_no_stack_trace():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")
    page = response.content.decode()

    assert response.status_code == 500
    assert "系统出错了" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_403_page_in_product_style(client, make_staff, make_branch):
    clerk = make_staff("noperm")
    client.force_login(clerk)

    response = client.get("/admin/business-date/")

    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
