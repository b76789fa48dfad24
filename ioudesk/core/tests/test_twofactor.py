"""Optional TOTP: once a staff member confirms an authenticator, the back office asks for its code
after the password."""

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioudesk.core.models import AuditEvent


def _code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def test_enrol_then_login_requires_the_code(client, make_staff):
    clerk = make_staff("qianba", password="Right-pass-2026")
    client.post(reverse("admin:login"), {"username": "qianba", "password": "Right-pass-2026"})

    client.post(reverse("backoffice:two_factor"), {"step": "start"})
    device = TOTPDevice.objects.get(user=clerk)
    wrong = client.post(reverse("backoffice:two_factor"), {"step": "confirm", "token": "000000"})
    assert "验证码不正确" in wrong.content.decode() or _code(device) == "000000"
    client.post(reverse("backoffice:two_factor"), {"step": "confirm", "token": _code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(verb="启用双重验证", object_id=str(clerk.pk)).exists()

    client.logout()
    client.post(reverse("admin:login"), {"username": "qianba", "password": "Right-pass-2026"})
    blocked = client.get(reverse("admin:index"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("backoffice:otp_verify"))

    refused = client.post(reverse("backoffice:otp_verify"), {"token": "12345"})
    assert refused.status_code == 200 and "至少" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    device.refresh_from_db()
    device.last_t = -1  # the enrolment code may be reused in this same 30-second step
    device.save()
    passed = client.post(reverse("backoffice:otp_verify") + "?next=/admin/", {"token": _code(device)})
    assert passed.status_code == 302 and passed["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_without_a_device_are_not_asked(client, make_staff):
    make_staff("sunjiu", password="Right-pass-2026")
    client.post(reverse("admin:login"), {"username": "sunjiu", "password": "Right-pass-2026"})

    assert client.get(reverse("admin:index")).status_code == 200
