"""django-otp's TOTP device admin in Chinese: its model fields' English verbose names are not marked
for translation, so the list's columns and filters, the read-only fields and the search hint get
our labels; an existing device's secret key and QR code are not shown (defect 8)."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.test_pages_by_role import english_on


@pytest.fixture
def device(make_staff):
    return TOTPDevice.objects.create(user=make_staff("qianba"), name="手机")


@pytest.mark.parametrize("page", ["changelist", "change", "add"])
def test_the_device_pages_are_in_chinese(client, admin_user_zh, device, page):
    client.force_login(admin_user_zh)
    url = reverse(f"admin:otp_totp_totpdevice_{page}", args=[device.pk] if page == "change" else [])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()

    assert response.status_code == 200
    assert [leak for leak in english_on(html) if not re.search(r"\b(admin|qianba)\b", leak)] == []
    if page != "add":
        assert "创建时间" in html and "最近使用" in html


def test_an_existing_device_shows_neither_its_key_nor_its_qr_code(client, admin_user_zh, device):
    client.force_login(admin_user_zh)
    html = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()

    assert device.key not in html
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
