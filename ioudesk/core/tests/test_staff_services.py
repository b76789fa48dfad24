"""Staff and roles change only through ioudesk.core.staff: its guards (not yourself, not the last
系统管理员, unique user names, seeded roles kept) and an audit event without secrets (issue 9,
defect 19)."""

import pytest
from django.contrib.auth.models import Group, Permission

from ioudesk.core import audit, staff
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models import AuditEvent, User
from ioudesk.core.roles import ACCOUNT_MANAGER, ADMINISTRATOR, COLLECTOR, FINANCE


def role(name):
    return Group.objects.get(name=name)


def verbs():
    """What the trail recorded, oldest first, without the organisation fixture's 初始化机构."""
    return list(AuditEvent.objects.exclude(verb="初始化机构").order_by("id").values_list("verb", flat=True))


def field_of(refused):
    return refused.value.extra.get("field")


# ---------------------------------------------------------------- staff_create


def test_a_new_staff_member_can_log_in_and_the_trail_has_no_password(head_office, admin_user_zh):
    created = staff.staff_create(username="liming", password="Li-ming-2026x", branch=head_office,
                                 last_name="李", first_name="明", roles=[role(FINANCE)], actor=admin_user_zh)

    assert created.is_staff and created.check_password("Li-ming-2026x")
    assert list(created.groups.values_list("name", flat=True)) == [FINANCE]
    event = audit.events_for(created).get()
    assert event.verb == "新建员工" and event.object_repr == "李明（liming）"
    assert event.changes["password"] == [None, audit.HIDDEN]
    assert "Li-ming" not in str(event.changes) and "argon2" not in str(event.changes)


@pytest.mark.parametrize("username", ["ZhangWei", " zhangwei ", "bad name!", ""])
def test_a_user_name_taken_in_any_case_or_invalid_is_refused(make_staff, head_office, username):
    make_staff("zhangwei")

    with pytest.raises(ValidationFailed) as refused:
        staff.staff_create(username=username, password="Some-pass-2026x", branch=head_office)

    assert field_of(refused) == "username"
    assert User.objects.count() == 1 and not AuditEvent.objects.filter(verb="新建员工").exists()


def test_a_manager_cannot_give_the_administrator_role(make_staff, head_office):
    manager = make_staff("zhangwei", role=ACCOUNT_MANAGER)

    with pytest.raises(PermissionDenied) as refused:
        staff.staff_create(username="boss", password="Some-pass-2026x", branch=head_office,
                           roles=[role(ADMINISTRATOR)], actor=manager)

    assert field_of(refused) == "groups" and not User.objects.filter(username="boss").exists()


def test_a_staff_member_goes_only_to_a_branch_the_actor_sees(make_staff, make_branch, head_office):
    east, west = make_branch("E1", "东城支行"), make_branch("W1", "西城支行")
    manager = make_staff("zhangwei", role=ACCOUNT_MANAGER, branch=east)

    with pytest.raises(PermissionDenied) as refused:
        staff.staff_create(username="xiaowang", password="Some-pass-2026x", branch=west, actor=manager)

    assert field_of(refused) == "branch" and not User.objects.filter(username="xiaowang").exists()


# ---------------------------------------------------------------- staff_update


def test_a_role_change_is_audited_with_before_and_after(make_staff, admin_user_zh):
    clerk = make_staff("wangfang", role=FINANCE)

    staff.staff_update(staff=clerk, actor=admin_user_zh, roles=[role(COLLECTOR)], last_name="王")

    clerk.refresh_from_db()
    assert clerk.last_name == "王" and list(clerk.groups.values_list("name", flat=True)) == [COLLECTOR]
    event = audit.events_for(clerk).get()
    assert event.verb == "修改角色" and event.changes["groups"] == [[FINANCE], [COLLECTOR]]
    assert event.changes["last_name"] == ["", "王"] and "password" not in event.changes


def test_an_administrator_cannot_remove_their_own_role_or_deactivate_themselves(make_staff, admin_user_zh):
    make_staff("second", role=ADMINISTRATOR)  # not the last one: the self-guard alone refuses

    with pytest.raises(InvalidState) as own_role:
        staff.staff_update(staff=admin_user_zh, actor=admin_user_zh, roles=[])
    with pytest.raises(InvalidState) as own_account:
        staff.staff_deactivate(staff=admin_user_zh, actor=admin_user_zh)

    assert field_of(own_role) == "groups" and field_of(own_account) == "is_active"
    admin_user_zh.refresh_from_db()
    assert admin_user_zh.is_active and admin_user_zh.groups.filter(name=ADMINISTRATOR).exists()
    assert not audit.events_for(admin_user_zh).exists()


def test_the_last_active_administrator_is_never_removed(make_staff, admin_user_zh):
    other = make_staff("second", role=ADMINISTRATOR)
    staff.staff_deactivate(staff=other, actor=admin_user_zh)  # two → one: allowed

    with pytest.raises(InvalidState) as deactivated:
        staff.staff_deactivate(staff=admin_user_zh, actor=None)  # even the system may not
    with pytest.raises(InvalidState) as demoted:
        staff.staff_update(staff=admin_user_zh, actor=None, roles=[role(FINANCE)])

    assert "最后一位在职的系统管理员" in str(deactivated.value.message) and field_of(demoted) == "groups"
    admin_user_zh.refresh_from_db()
    assert admin_user_zh.is_active and admin_user_zh.groups.filter(name=ADMINISTRATOR).exists()
    assert verbs() == ["停用员工"]


def test_activate_and_deactivate_are_audited(make_staff, admin_user_zh):
    clerk = make_staff("wangfang", role=FINANCE)

    staff.staff_deactivate(staff=clerk, actor=admin_user_zh)
    staff.staff_activate(staff=clerk, actor=admin_user_zh)

    clerk.refresh_from_db()
    assert clerk.is_active
    assert list(audit.events_for(clerk).order_by("id").values_list("verb", flat=True)) == ["停用员工", "启用员工"]


def test_a_new_password_is_set_and_audited_without_it(make_staff):
    clerk = make_staff("wangfang")

    staff.staff_set_password(staff=clerk, password="Brand-new-2026x")
    with pytest.raises(ValidationFailed):
        staff.staff_set_password(staff=clerk, password="123")

    clerk.refresh_from_db()
    assert clerk.check_password("Brand-new-2026x")
    event = audit.events_for(clerk).get()
    assert event.verb == "修改密码" and event.changes == {"password": [audit.HIDDEN, audit.HIDDEN]}


# ---------------------------------------------------------------- roles


def test_a_role_of_our_own_is_created_changed_and_deleted_with_an_audit_event(organisation):
    view_customer = Permission.objects.get(codename="view_customer")

    created = staff.role_save(name="外包催收", permissions=[view_customer])
    staff.role_save(role=created, name="外包催收员", permissions=[])
    staff.role_delete(role=created)

    assert not Group.objects.filter(name__startswith="外包催收").exists()
    verbs = list(audit.events_for(created).order_by("id").values_list("verb", flat=True))
    assert verbs == ["新建角色", "修改角色权限", "删除角色"]


@pytest.mark.parametrize("name", [ADMINISTRATOR, FINANCE])
def test_the_seeded_roles_keep_their_names_and_are_never_deleted(organisation, name):
    seeded = role(name)

    with pytest.raises(InvalidState) as renamed:
        staff.role_save(role=seeded, name="改个名字", permissions=list(seeded.permissions.all()))
    with pytest.raises(InvalidState) as deleted:
        staff.role_delete(role=seeded)

    assert field_of(renamed) == "name" and "系统预置角色" in str(deleted.value.message)
    assert Group.objects.filter(name=name).exists() and verbs() == []


def test_a_role_with_members_or_a_taken_name_is_refused(make_staff):
    own = staff.role_save(name="外包催收", permissions=[])
    make_staff("waibao").groups.add(own)

    with pytest.raises(InvalidState):
        staff.role_delete(role=own)
    with pytest.raises(ValidationFailed) as taken:
        staff.role_save(name="财务", permissions=[])

    assert field_of(taken) == "name" and Group.objects.filter(name="外包催收").exists()
    assert verbs() == ["新建角色"]
