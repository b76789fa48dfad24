"""The staff and role pages write through ioudesk.core.staff: a refusal is shown on the form next
to its field and nothing is saved or audited; a change is audited by the service (defect 19)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ioudesk.core import audit
from ioudesk.core.models import AuditEvent, User
from ioudesk.core.roles import ADMINISTRATOR, COLLECTOR, FINANCE


def field_errors(response, field):
    return [str(e) for e in response.context["adminform"].form.errors.get(field, [])]


def staff_form(user, **overrides):
    return {
        "username": user.username, "last_name": user.last_name, "first_name": user.first_name, "email": "",
        "phone": "", "branch": user.branch_id, "is_active": "on", "is_staff": "on",
        **({"is_superuser": "on"} if user.is_superuser else {}),
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01", "date_joined_1": "09:00:00",
        **overrides,
    }


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


def test_an_administrator_removing_their_own_role_is_refused_on_the_form(admin_client, admin_user_zh, make_staff):
    make_staff("second", role=ADMINISTRATOR)
    given = staff_form(admin_user_zh, groups=[Group.objects.get(name=FINANCE).pk], last_name="管")

    response = admin_client.post(reverse("admin:core_user_change", args=[admin_user_zh.pk]), given)

    assert response.status_code == 200
    assert field_errors(response, "groups") == ["不能移除自己的“系统管理员”角色：请由另一位系统管理员操作。"]
    admin_user_zh.refresh_from_db()
    assert admin_user_zh.last_name == "" and admin_user_zh.groups.filter(name=ADMINISTRATOR).exists()
    assert not audit.events_for(admin_user_zh).exclude(verb="登录").exists()


def test_deactivating_the_last_administrator_is_refused_on_the_form(admin_client, admin_user_zh, make_staff):
    other = make_staff("second", role=ADMINISTRATOR)
    admin_user_zh.groups.clear()  # the signed-in superuser is no 系统管理员: `other` is the last one

    response = admin_client.post(reverse("admin:core_user_change", args=[other.pk]),
                                 staff_form(other, is_active=""))

    assert response.status_code == 200
    assert "最后一位在职的系统管理员" in field_errors(response, "is_active")[0]
    other.refresh_from_db()
    assert other.is_active and not audit.events_for(other).exists()


def test_a_staff_member_added_on_the_form_is_created_by_the_service(admin_client, admin_user_zh):
    response = admin_client.post(reverse("admin:core_user_add"), {
        "username": "xiaoli", "branch": admin_user_zh.branch_id,
        "password1": "Xiao-li-2026x", "password2": "Xiao-li-2026x",
    })

    created = User.objects.get(username="xiaoli")
    assert response.status_code == 302 and response["Location"].endswith(f"/{created.pk}/change/")
    assert created.is_staff and created.check_password("Xiao-li-2026x")
    assert audit.events_for(created).get().verb == "新建员工"


def test_a_role_change_on_the_form_is_audited_once(admin_client, make_staff):
    clerk = make_staff("wangfang", role=FINANCE)

    admin_client.post(reverse("admin:core_user_change", args=[clerk.pk]),
                      staff_form(clerk, groups=[Group.objects.get(name=COLLECTOR).pk]))

    event = audit.events_for(clerk).get()
    assert event.verb == "修改角色" and event.changes["groups"] == [[FINANCE], [COLLECTOR]]


def test_deactivate_selected_refuses_yourself_and_changes_nobody(admin_client, admin_user_zh, make_staff):
    clerk = make_staff("wangfang", role=FINANCE)

    response = admin_client.post(reverse("admin:core_user_changelist"), {
        "action": "deactivate_selected", "_selected_action": [clerk.pk, admin_user_zh.pk]}, follow=True)

    assert "不能停用自己的账号" in response.content.decode()
    assert User.objects.filter(is_active=False).count() == 0
    assert not AuditEvent.objects.filter(verb="停用员工").exists()


def test_staff_are_not_deleted(admin_client, make_staff):
    clerk = make_staff("wangfang")

    response = admin_client.post(reverse("admin:core_user_delete", args=[clerk.pk]), {"post": "yes"})

    assert response.status_code == 403 and User.objects.filter(pk=clerk.pk).exists()


def test_the_password_page_sets_it_through_the_service(admin_client, make_staff):
    clerk = make_staff("sunli")

    response = admin_client.post(reverse("admin:auth_user_password_change", args=[clerk.pk]),
                                 {"password1": "New-secret-2026x", "password2": "New-secret-2026x",
                                  "usable_password": "true"})

    clerk.refresh_from_db()
    assert response.status_code == 302 and clerk.check_password("New-secret-2026x")
    assert audit.events_for(clerk).get().verb == "修改密码"


# ---------------------------------------------------------------- roles


def test_renaming_a_seeded_role_is_refused_on_the_form(admin_client):
    finance = Group.objects.get(name=FINANCE)

    response = admin_client.post(reverse("admin:auth_group_change", args=[finance.pk]), {
        "name": "出纳", "permissions": list(finance.permissions.values_list("pk", flat=True))})

    assert response.status_code == 200
    assert field_errors(response, "name") == ["“财务”是系统预置角色，不能改名。"]
    assert Group.objects.filter(name=FINANCE).exists() and not Group.objects.filter(name="出纳").exists()


def test_deleting_a_seeded_role_is_refused_with_the_reason(admin_client):
    finance = Group.objects.get(name=FINANCE)

    response = admin_client.post(reverse("admin:auth_group_delete", args=[finance.pk]), {"post": "yes"}, follow=True)

    assert "“财务”是系统预置角色，不能删除。" in response.content.decode()
    assert Group.objects.filter(name=FINANCE).exists()


def test_a_role_added_on_the_form_is_audited(admin_client):
    response = admin_client.post(reverse("admin:auth_group_add"), {"name": "外包催收", "permissions": []})

    created = Group.objects.get(name="外包催收")
    assert response.status_code == 302
    assert audit.events_for(created).get().verb == "新建角色"


def test_the_staff_page_says_a_password_is_set_and_never_shows_its_hash(client, admin_user_zh, make_staff):
    """Django shows the hash's algorithm, salt and first characters (算法: argon2 … 哈希: NhP+zx****);
    the page says only whether a password is set, and links the form that sets a new one."""
    from tests.test_pages_by_role import english_on

    member = make_staff("chenjing", role=FINANCE)
    client.force_login(admin_user_zh)
    html = client.get(reverse("admin:core_user_change", args=[member.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
                      ).content.decode()

    assert "已设置密码（不显示）" in html
    assert f'href="{reverse("admin:auth_user_password_change", args=[member.pk])}"' in html
    assert "argon2" not in html and member.password.split("$")[-1][:6] not in html
    assert [leak for leak in english_on(html) if not re.search(r"\b(admin|chenjing)\b", leak)] == []
    # the breadcrumb names the staff member as written (no name recorded: the user name, not "Chenjing")
    assert ">chenjing<" in html.replace("\n", "").replace(" ", "") and "Chenjing" not in html


def test_who_may_only_look_is_not_offered_the_password_form(client, make_staff):
    from ioudesk.core.roles import AUDITOR

    member = make_staff("chenjing", role=FINANCE)
    client.force_login(make_staff("zhouqiang", role=AUDITOR))
    html = client.get(reverse("admin:core_user_change", args=[member.pk])).content.decode()

    assert "已设置密码（不显示）" in html
    assert reverse("admin:auth_user_password_change", args=[member.pk]) not in html
