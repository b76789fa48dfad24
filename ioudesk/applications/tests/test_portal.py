"""The public pages: the form with its locally drawn captcha, the honeypot, submitting, the status
page with uploads, and the rate limit's message on the page."""

import re

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse

from ioudesk.applications.models import Application, MaterialRequirement

from .conftest import ID_AGE_36, png


def _form(client):
    page = client.get(reverse("portal:apply"))
    assert page.status_code == 200
    key = re.search(r'name="captcha_0" value="(\w+)"', page.content.decode()).group(1)
    return page, key, CaptchaStore.objects.get(hashkey=key).response


def _post(client, product, **changes):
    _page, key, answer = _form(client)
    data = {"product": product.pk, "amount": "50000", "term": "12", "purpose": "装修", "applicant_name": "王建国",
            "id_number": ID_AGE_36, "phone": "13812345678", "consent": "on", "captcha_0": key, "captcha_1": answer,
            "website": ""}
    data.update(changes)
    return client.post(reverse("portal:apply"), data, REMOTE_ADDR=changes.pop("ip", "203.0.113.1"))


@pytest.mark.django_db
def test_the_form_draws_its_captcha_locally(client, product, business_date):
    page, key, _answer = _form(client)
    html = page.content.decode()
    assert "在线申请贷款" in html and "消费贷" in html and 'name="website"' in html
    image = client.get(reverse("captcha-image", kwargs={"key": key}))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_apply_then_status_page_then_upload(client, product, business_date, notify_ready):
    MaterialRequirement.objects.create(code="id_card", name="身份证", allowed_kinds="jpeg,png,pdf", order=1)
    response = _post(client, product)
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:status",
                                                                           args=[application.tracking_token])
    page = client.get(response["Location"]).content.decode()
    assert application.number in page and "还需要：身份证" in page
    requirement = MaterialRequirement.objects.get()
    upload = client.post(reverse("portal:upload", args=[application.tracking_token, requirement.pk]),
                         {"file": png()})
    assert upload.status_code == 302
    assert application.materials.count() == 1
    bad = client.post(reverse("portal:upload", args=[application.tracking_token, requirement.pk]),
                      {"file": png("x.exe")})
    assert bad.status_code == 200 and "扩展名" in bad.content.decode()
    track = client.post(reverse("portal:track"), {"number": application.number, "phone_last4": "5678"})
    assert track["Location"] == reverse("portal:status", args=[application.tracking_token])
    assert client.get(reverse("portal:status", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_wrong_captcha_honeypot_and_rate_limit_on_the_page(client, product, business_date, notify_ready):
    page = _post(client, product, captcha_1="999")
    assert page.status_code == 200 and "验证码不正确" in page.content.decode()
    page = _post(client, product, website="http://spam.example")
    assert "提交未被受理" in page.content.decode() and not Application.objects.exists()
    for n in range(4):
        _post(client, product, phone=f"1390000000{n}")
    page = _post(client, product, phone="13900000009")
    assert "提交过于频繁：同一网络每分钟最多提交 5 次申请" in page.content.decode()
    assert Application.objects.count() == 4
    page = _post(client, product, amount="1", phone="13900000008", ip="198.51.100.1")
    assert "超出产品" in page.content.decode()
