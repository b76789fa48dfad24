"""Writes for staff and roles: the one door the back office (and commands) use to create a staff
member, change their details, branch and roles, set their password, activate or deactivate them,
and to save or delete a role.

Guards, checked before anything is written:

- a user name is required, valid and unique (ignoring case: "ZhangWei" and "zhangwei" are one);
- a staff member is put only in a branch the acting user can see;
- only a 系统管理员 (or a superuser) gives someone the 系统管理员 role or superuser status;
- nobody removes their own 系统管理员 role or superuser status, or deactivates themselves;
- the last active 系统管理员 is never removed or deactivated: somebody must be able to log in and
  manage staff;
- the seeded roles (``ioudesk.core.roles.ROLES``) keep their names and are never deleted:
  ``roles_sync()`` finds them by name at every ``ioudesk setup``; a role that still has members is
  not deleted either.

Every write is audited with before and after (``audit.snapshot``: the password is always
``******``, never a hash).

`actor` is the staff member doing it, or None for the system (a command run by an operator).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.approval_hooks import approval_gate
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models import Branch, User
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import staff_label
from ioudesk.core.roles import ADMINISTRATOR, ROLES


class Keep(Enum):
    """For staff_update: leave this field as it is stored."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _refuse(error_class, message, field: str):
    return error_class(message, extra={"field": field, "details": [{"field": field, "message": str(message)}]})


def _is_administrator(user: User) -> bool:
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()


def _other_active_administrators(staff: User) -> int:
    return User.objects.filter(is_active=True, groups__name=ADMINISTRATOR).exclude(pk=staff.pk).count()


def _check_username(username: str, *, exclude_pk=None) -> str:
    username = (username or "").strip()
    if not username:
        raise _refuse(ValidationFailed, _("请填写用户名。"), "username")
    if len(username) > 150:
        raise _refuse(ValidationFailed, _("用户名最长 150 个字符。"), "username")
    try:
        User.username_validator(username)
    except DjangoValidationError:
        raise _refuse(ValidationFailed, _("用户名“%(name)s”不可用：只能包含字母、数字和 @ . + - _。") % {
            "name": username}, "username") from None
    if User.objects.filter(username__iexact=username).exclude(pk=exclude_pk).exists():
        raise _refuse(ValidationFailed, _("用户名“%(name)s”已被其他员工使用，请换一个。") % {"name": username},
                      "username")
    return username


def _check_branch(branch: Branch | None, actor: User | None) -> None:
    if branch is None:
        return
    if not branch.is_active:
        raise _refuse(ValidationFailed, _("网点“%(name)s”已停用，请选择在用的网点。") % {"name": branch.name}, "branch")
    if actor is not None and not scope.can_see_branch(actor, branch.pk):
        raise _refuse(PermissionDenied, _("您只能把员工安排到自己所在网点（及下级网点）。"), "branch")


def _snapshot(user: User) -> dict:
    return audit.snapshot(user)  # password shown as ****** (audit.SECRET_FIELDS)


def _copy_saved(target, saved) -> None:
    """An interface that built its own instance goes on with it (log entry, redirect): give it the
    saved record's values."""
    if target is None or target is saved:
        return
    for field in type(saved)._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding, target._state.db = False, saved._state.db


# ---------------------------------------------------------------- staff


def _set_password(user: User, password: str | None) -> None:
    """The password checked by the validators (refused under the form's field name), or, with none,
    password login turned off. Not saved: the caller saves."""
    if not password:
        user.set_unusable_password()
        return
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise _refuse(ValidationFailed, "；".join(error.messages), "password1") from None
    user.set_password(password)


@transaction.atomic
def staff_create(*, username: str, password: str | None, branch: Branch | None, actor: User | None = None,
                 first_name: str = "", last_name: str = "", email: str = "", phone: str = "",
                 roles: Iterable[Group] = (), is_staff: bool = True) -> User:
    """A new staff member who can log in to the back office (``is_staff``) with `password`
    (None: no password login until one is set). Audited as 新建员工, the password hidden."""
    username = _check_username(username)
    _check_branch(branch, actor)
    roles = list(roles)
    if actor is not None and any(role.name == ADMINISTRATOR for role in roles) and not _is_administrator(actor):
        raise _refuse(PermissionDenied, _("只有系统管理员可以授予“系统管理员”角色。"), "groups")
    staff = User(username=username, branch=branch, first_name=(first_name or "").strip(),
                 last_name=(last_name or "").strip(), email=(email or "").strip(), phone=(phone or "").strip(),
                 is_staff=is_staff)
    _set_password(staff, password)
    staff.save()
    if roles:
        staff.groups.set(roles)
    audit.record_change(obj=staff, before=None, after=_snapshot(staff), verb="新建员工")
    return staff


@transaction.atomic
def staff_update(*, staff: User, actor: User | None = None, username: str | Keep = KEEP,
                 first_name: str | Keep = KEEP, last_name: str | Keep = KEEP, email: str | Keep = KEEP,
                 phone: str | Keep = KEEP, branch: Branch | None | Keep = KEEP, is_active: bool | Keep = KEEP,
                 is_staff: bool | Keep = KEEP, is_superuser: bool | Keep = KEEP,
                 roles: Iterable[Group] | Keep = KEEP, permissions: Iterable[Permission] | Keep = KEEP) -> User:
    """Change what is given (anything left out stays as stored). `staff` may be an instance a form
    has already changed in memory: the stored row is read again, locked, and is what the guards and
    the audit trail compare with. Returns the saved staff member (`staff` is updated too)."""
    stored = User.objects.select_for_update().get(pk=staff.pk)
    before = _snapshot(stored)
    was_administrator = stored.is_active and stored.groups.filter(name=ADMINISTRATOR).exists()
    yourself = actor is not None and actor.pk == stored.pk

    if username is not KEEP:
        stored.username = _check_username(username, exclude_pk=stored.pk)
    for name, value in (("first_name", first_name), ("last_name", last_name), ("email", email), ("phone", phone)):
        if value is not KEEP:
            setattr(stored, name, (value or "").strip())
    if branch is not KEEP and (branch.pk if branch else None) != stored.branch_id:
        _check_branch(branch, actor)
        stored.branch = branch
    if is_active is not KEEP:
        if yourself and stored.is_active and not is_active:
            raise _refuse(InvalidState, _("不能停用自己的账号：请由另一位系统管理员操作。"), "is_active")
        stored.is_active = bool(is_active)
    if is_staff is not KEEP:
        stored.is_staff = bool(is_staff)
    if is_superuser is not KEEP and bool(is_superuser) != stored.is_superuser:
        if yourself and not is_superuser:
            raise _refuse(InvalidState, _("不能取消自己的超级用户身份：请由另一位系统管理员操作。"), "is_superuser")
        if actor is not None and is_superuser and not actor.is_superuser:
            raise _refuse(PermissionDenied, _("只有超级用户可以授予超级用户身份。"), "is_superuser")
        stored.is_superuser = bool(is_superuser)

    new_roles = None if roles is KEEP else list(roles)
    if new_roles is not None:
        had = set(stored.groups.values_list("name", flat=True))
        gets = {role.name for role in new_roles}
        if ADMINISTRATOR in gets - had and actor is not None and not _is_administrator(actor):
            raise _refuse(PermissionDenied, _("只有系统管理员可以授予“系统管理员”角色。"), "groups")
        if yourself and ADMINISTRATOR in had - gets:
            raise _refuse(InvalidState, _("不能移除自己的“系统管理员”角色：请由另一位系统管理员操作。"), "groups")
    new_permissions = None if permissions is KEEP else list(permissions)

    still_administrator = stored.is_active and (
        ADMINISTRATOR in {role.name for role in new_roles} if new_roles is not None
        else stored.groups.filter(name=ADMINISTRATOR).exists())
    if was_administrator and not still_administrator and not _other_active_administrators(stored):
        field = "groups" if stored.is_active else "is_active"
        raise _refuse(InvalidState, _("%(name)s 是最后一位在职的系统管理员，不能移除其角色或停用：请先让另一位员工成为系统管理员。")
                      % {"name": staff_label(stored)}, field)

    stored.save()
    if new_roles is not None:
        stored.groups.set(new_roles)
    if new_permissions is not None:
        stored.user_permissions.set(new_permissions)
    after = _snapshot(stored)
    audit.record_change(obj=stored, before=before, after=after, verb=_staff_verb(before, after))
    _copy_saved(staff, stored)
    return stored


def _staff_verb(before: dict, after: dict) -> str:
    if before.get("is_active") != after.get("is_active"):
        return "启用员工" if after.get("is_active") else "停用员工"
    if before.get("groups") != after.get("groups"):
        return "修改角色"
    return ""


def staff_activate(*, staff: User, actor: User | None = None) -> User:
    """Let a deactivated staff member log in again (audited as 启用员工)."""
    return staff_update(staff=staff, actor=actor, is_active=True)


def staff_deactivate(*, staff: User, actor: User | None = None) -> User:
    """Staff are deactivated, never deleted: IOUs, approvals and the audit trail keep pointing at
    them. Refused for yourself and for the last active 系统管理员 (audited as 停用员工)."""
    return staff_update(staff=staff, actor=actor, is_active=False)


@transaction.atomic
def staff_set_password(*, staff: User, password: str | None, actor: User | None = None) -> User:
    """Set a new password (checked by the password validators), or with None turn password login
    off. Audited as 修改密码 without the password or its hash."""
    stored = User.objects.select_for_update().get(pk=staff.pk)
    _set_password(stored, password)
    stored.save(update_fields=["password"])
    audit.record(AuditAction.ACTION, obj=stored, verb="修改密码" if password else "停用密码登录",
                 changes={"password": [audit.HIDDEN, audit.HIDDEN]})
    _copy_saved(staff, stored)
    return stored


@transaction.atomic
def staff_unlock(*, staff: User) -> int:
    """Clear the failed logins that locked a staff member out (django-axes). Returns how many
    failures were cleared; audited as 解除登录锁定."""
    from axes.utils import reset as axes_reset

    cleared = axes_reset(username=staff.username)
    audit.record(AuditAction.ACTION, obj=staff, verb="解除登录锁定", changes={"attempts": [cleared, 0]})
    return cleared


# ---------------------------------------------------------------- roles


def _seeded(name: str) -> bool:
    return name in ROLES


ROLE_CHANGE = "role_change"  # the approval kind of changing a role


@transaction.atomic
def role_save(*, role: Group | None = None, name: str, permissions: Iterable[Permission],
              actor: User | None = None, approval=None) -> Group:
    """Create a role (`role` None or unsaved) or change its name and permissions. The seeded roles keep their
    names. Note that ``roles_sync()`` gives a seeded role exactly its listed permissions again at
    every ``ioudesk setup``: for different permissions, create a role of your own.

    Changing an existing role needs approval when an approval flow of the kind ``role_change``
    applies (``core.approval_hooks``): ``approval`` is then the approved request."""
    name = (name or "").strip()
    if not name:
        raise _refuse(ValidationFailed, _("请填写角色名称。"), "name")
    if len(name) > 150:
        raise _refuse(ValidationFailed, _("角色名称最长 150 个字符。"), "name")
    stored = Group.objects.select_for_update().get(pk=role.pk) if role is not None and role.pk else None
    if stored is not None and _seeded(stored.name) and name != stored.name:
        raise _refuse(InvalidState, _("“%(name)s”是系统预置角色，不能改名。") % {"name": stored.name}, "name")
    if Group.objects.filter(name__iexact=name).exclude(pk=stored.pk if stored else None).exists():
        raise _refuse(ValidationFailed, _("已有名为“%(name)s”的角色，请换一个名称。") % {"name": name}, "name")
    permissions = list(permissions)
    if stored is not None:
        approval_gate(ROLE_CHANGE, target=stored, approval=approval)
    before = audit.snapshot(stored) if stored is not None else None
    saved = role if role is not None else Group()  # the caller's instance (a form's) is the one saved
    saved.name = name
    saved.save()
    saved.permissions.set(permissions)
    audit.record_change(obj=saved, before=before, after=audit.snapshot(saved),
                        verb="新建角色" if before is None else "修改角色权限")
    return saved


@transaction.atomic
def role_delete(*, role: Group, actor: User | None = None) -> None:
    """Delete a role of the organisation's own. The seeded roles are never deleted, and a role with
    members is not either (move them to another role first)."""
    stored = Group.objects.select_for_update().get(pk=role.pk)
    if _seeded(stored.name):
        raise _refuse(InvalidState, _("“%(name)s”是系统预置角色，不能删除。") % {"name": stored.name}, "name")
    members = stored.user_set.count()
    if members:
        raise _refuse(InvalidState, _("角色“%(name)s”还有 %(count)d 位员工，不能删除：请先把他们调整到其他角色。") % {
            "name": stored.name, "count": members}, "name")
    before, pk = audit.snapshot(stored), stored.pk
    stored.delete()
    stored.pk = pk
    audit.record_change(obj=stored, before=before, after=None, verb="删除角色")


__all__ = ["KEEP", "Keep", "role_delete", "role_save", "staff_activate", "staff_create", "staff_deactivate", "staff_set_password",
           "staff_unlock", "staff_update"]
