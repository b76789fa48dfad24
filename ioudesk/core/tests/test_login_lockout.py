"""Given a staff account, when someone types the wrong password five times, then the account is
locked with a clear message, and the failures and the lockout are in the audit trail."""

from django.urls import reverse

from ioudesk.core.models import AuditEvent
from ioudesk.core.models.audit import AuditAction


def _login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account(client, make_staff):
    clerk = make_staff("zhangsan", password="Right-pass-2026")

    for _ in range(4):
        response = _login(client, "zhangsan", "wrong")
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()  # Django's own zh-hans message
    fifth = _login(client, "zhangsan", "wrong")
    page = fifth.content.decode()

    assert fifth.status_code == 403
    assert "账户已锁定" in page and "连续 5 次" in page and "30 分钟" in page
    assert "Traceback" not in page
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_id=str(clerk.pk))
    assert failed.count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT, object_id=str(clerk.pk)).count() == 1


def test_the_right_password_does_not_open_a_locked_account(client, make_staff):
    make_staff("lisi", password="Right-pass-2026")
    for _ in range(5):
        _login(client, "lisi", "wrong")

    response = _login(client, "lisi", "Right-pass-2026")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_administrator_unlocks_and_it_is_recorded(client, make_staff, admin_user_zh):
    clerk = make_staff("wangwu", password="Right-pass-2026")
    for _ in range(5):
        _login(client, "wangwu", "wrong")
    admin_client = client.__class__()
    admin_client.force_login(admin_user_zh)

    admin_client.get(reverse("admin:core_user_unlock_account", args=[clerk.pk]))
    response = _login(client, "wangwu", "Right-pass-2026")

    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="解除登录锁定", object_id=str(clerk.pk)).exists()


def test_unknown_username_failures_are_recorded_by_name(client, organisation):
    _login(client, "nobody", "wrong")

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.object_repr == "nobody" and event.content_type is None


def test_successful_login_lands_on_the_dashboard_and_is_recorded(client, make_staff):
    clerk = make_staff("zhouqi", password="Right-pass-2026")

    response = _login(client, "zhouqi", "Right-pass-2026")

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_id=clerk.pk).exists()
