"""Writes for the organisation, its branches and staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import Branch, Organisation, User
from ioudesk.core.models.audit import AuditAction

HEAD_OFFICE_CODE = "HQ"


@transaction.atomic
def organisation_ensure(*, name: str = "欠条管家示范机构", short_name: str = "示范机构") -> Organisation:
    """The organisation and its head office, created on first start."""
    organisation = Organisation.objects.order_by("id").first()
    if organisation is None:
        organisation = Organisation.objects.create(name=name, short_name=short_name, logo_text="欠条管家")
        audit.record(AuditAction.CREATE, obj=organisation, verb="初始化机构")
    if not organisation.branches.exists():
        branch_save(branch=Branch(organisation=organisation, code=HEAD_OFFICE_CODE, name="总部"))
    return organisation


def organisation_current() -> Organisation:
    organisation = Organisation.objects.order_by("id").first()
    if organisation is None:
        organisation = organisation_ensure()
    return organisation


@transaction.atomic
def business_date_set(*, day: date | None, reason: str = "") -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation_current().pk)
    before = organisation.business_date
    organisation.business_date = day
    organisation.save(update_fields=["business_date"])
    audit.record(
        AuditAction.ACTION,
        obj=organisation,
        verb="设置营业日",
        changes={"business_date": [str(before) if before else None, str(day) if day else None]},
        reason=reason,
    )
    return organisation


@transaction.atomic
def branch_save(*, branch: Branch) -> Branch:
    """Save a branch and keep the materialised paths of it and everything below it right."""
    if branch.parent_id is not None:
        if branch.parent.organisation_id != branch.organisation_id:
            raise ValidationFailed(_("上级网点必须属于同一机构。"))
        if branch.pk is not None and f"/{branch.pk}/" in branch.parent.path:
            raise ValidationFailed(_("上级网点不能是本网点或其下级网点。"))
    old_path = branch.path
    branch.save()
    from ioudesk.core.scope import branch_tree_changed

    branch_tree_changed()
    prefix = branch.parent.path if branch.parent_id else "/"
    new_path = f"{prefix}{branch.pk}/"
    if new_path != branch.path:
        Branch.objects.filter(pk=branch.pk).update(path=new_path)
        branch.path = new_path
        if old_path:
            for child in Branch.objects.filter(path__startswith=old_path).exclude(pk=branch.pk):
                Branch.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path):])
    return branch


@dataclass(frozen=True)
class CreatedAdmin:
    user: User
    password: str | None  # the generated password, shown once; None when it came from the environment


@transaction.atomic
def administrator_ensure(*, password: str | None = None, username: str = "admin") -> CreatedAdmin | None:
    """Create the first administrator unless one exists. Returns None when there was one already."""
    if User.objects.filter(username=username).exists():
        return None
    from django.contrib.auth.models import Group

    from ioudesk.core.roles import ADMINISTRATOR

    organisation = organisation_ensure()
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(
        username=username, email="", password=password,
        branch=organisation.branches.filter(parent__isnull=True).order_by("id").first(),
    )
    group = Group.objects.filter(name=ADMINISTRATOR).first()
    if group:
        user.groups.add(group)
    audit.record(AuditAction.CREATE, obj=user, verb="创建初始管理员")
    return CreatedAdmin(user=user, password=generated)
