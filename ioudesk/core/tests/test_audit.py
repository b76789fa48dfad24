"""The audit trail: every change through the back office is recorded with before and after, and
nobody can change or delete a recorded event."""

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from ioudesk.core import audit
from ioudesk.core.models import AuditEvent, Branch
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.roles import COLLECTOR, FINANCE


def _change_form_data(user, **overrides):
    data = {
        "username": user.username,
        "last_name": "", "first_name": "", "email": "", "phone": "",
        "branch": user.branch_id, "is_active": "on", "is_staff": "on",
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01", "date_joined_1": "09:00:00",
    }
    data.update(overrides)
    return data


def test_role_change_is_in_the_audit_log_with_before_and_after(client, admin_user_zh, make_staff):
    clerk = make_staff("wangfang", role=FINANCE)
    client.force_login(admin_user_zh)
    collector = Group.objects.get(name=COLLECTOR)

    response = client.post(
        reverse("admin:core_user_change", args=[clerk.pk]),
        _change_form_data(clerk, groups=[collector.pk]),
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    event = audit.events_for(clerk).get(action=AuditAction.UPDATE)
    assert event.verb == "修改角色"
    assert event.changes["groups"] == [[FINANCE], [COLLECTOR]]
    assert event.actor_name == "admin"
    assert event.ip_address == "10.1.2.3"


def test_role_change_shows_in_the_auditor_list(client, admin_user_zh, make_staff):
    clerk = make_staff("lisi", role=FINANCE)
    client.force_login(admin_user_zh)
    client.post(reverse("admin:core_user_change", args=[clerk.pk]),
                _change_form_data(clerk, groups=[Group.objects.get(name=COLLECTOR).pk]))
    auditor = make_staff("shenji", role="审计")
    client.force_login(auditor)

    page = client.get(reverse("admin:core_auditevent_changelist"), {"q": "修改角色"}).content.decode()

    assert "修改角色" in page and "lisi" in page


def test_create_and_delete_are_recorded(client, admin_user_zh, head_office):
    client.force_login(admin_user_zh)
    client.post(reverse("admin:core_branch_add"), {
        "organisation": head_office.organisation_id, "parent": head_office.pk, "code": "T01", "name": "临时网点",
        "is_active": "on",
    })
    branch = Branch.objects.get(code="T01")
    client.post(reverse("admin:core_branch_delete", args=[branch.pk]), {"post": "yes"})

    actions = list(audit.events_for(branch).order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.CREATE, AuditAction.DELETE]
    assert not Branch.objects.filter(code="T01").exists()


def test_an_event_cannot_be_changed_or_deleted_through_the_model(organisation):
    event = audit.record(AuditAction.ACTION, verb="测试")

    with pytest.raises(PermissionError):
        event.reason = "改写"
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="改写")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_the_database_refuses_an_update_even_in_raw_sql(organisation):
    event = audit.record(AuditAction.ACTION, verb="测试")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgres
def test_postgres_refuses_a_raw_delete(organisation):
    event = audit.record(AuditAction.ACTION, verb="测试")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_even_the_administrator_cannot_edit_or_delete_through_the_back_office(client, admin_user_zh):
    event = audit.record(AuditAction.ACTION, verb="测试")
    client.force_login(admin_user_zh)

    change = client.post(reverse("admin:core_auditevent_change", args=[event.pk]), {"reason": "改写"})
    delete = client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"})
    add = client.get(reverse("admin:core_auditevent_add"))

    assert change.status_code == 403
    assert delete.status_code == 403
    assert add.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_detail_page_links_to_its_own_trail(client, admin_user_zh, make_staff):
    clerk = make_staff("zhaoliu", role=FINANCE)
    client.force_login(admin_user_zh)
    client.post(reverse("admin:core_user_change", args=[clerk.pk]), _change_form_data(clerk, last_name="赵"))

    response = client.get(reverse("admin:core_user_open_audit_trail", args=[clerk.pk]))
    trail = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "object_id=" in response["Location"]
    assert "zhaoliu" in trail and "修改" in trail


def test_passwords_never_enter_the_trail(client, admin_user_zh):
    client.force_login(admin_user_zh)
    client.post(reverse("admin:core_user_add"), {
        "username": "newclerk", "branch": admin_user_zh.branch_id,
        "password1": "Very-secret-2026", "password2": "Very-secret-2026",
    })

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_repr="newclerk")
    assert event.changes["password"] == [None, audit.HIDDEN]
    assert "pbkdf2" not in str(event.changes) and "argon2" not in str(event.changes)


def test_password_change_by_the_administrator_is_recorded(client, admin_user_zh, make_staff):
    clerk = make_staff("sunli", role=FINANCE)
    client.force_login(admin_user_zh)

    response = client.post(reverse("admin:auth_user_password_change", args=[clerk.pk]),
                           {"password1": "New-secret-2026x", "password2": "New-secret-2026x", "usable_password": "true"})

    assert response.status_code == 302
    event = audit.events_for(clerk).get(verb="修改密码")
    assert "New-secret" not in str(event.changes)


def test_session_ends_after_thirty_idle_minutes(client, make_staff):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    make_staff("idle", password="Right-pass-2026")
    client.post(reverse("admin:login"), {"username": "idle", "password": "Right-pass-2026"})
    session = Session.objects.get(session_key=client.session.session_key)
    assert abs(session.expire_date - (timezone.now() + timedelta(minutes=30))) < timedelta(seconds=30)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
