"""Writes for the organisation, its branches and staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit
from ioudesk.core.approval_hooks import approval_gate
from ioudesk.core.context import actor_for_user, current_actor
from ioudesk.core.errors import PermissionDenied, ValidationFailed
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


# The organisation's settings that organisation_update changes, and those that may not be empty.
ORGANISATION_TEXT_FIELDS = ["name", "short_name", "logo_text", "currency_display"]
ORGANISATION_REQUIRED = {"name", "currency_display"}


@transaction.atomic
def organisation_update(*, organisation: Organisation, actor=None, name: str | None = None,
                        short_name: str | None = None, logo_text: str | None = None,
                        currency_display: str | None = None, interest_cap_applies: bool | None = None) -> Organisation:
    """Change the organisation's settings; anything left None stays as stored. The business date is
    not one of them: it changes only through business_date_set.

    Refused, every problem at once and each named by its field: no name, no currency symbol, a
    text longer than its field. `actor`: the staff member, who needs core.change_organisation
    (None: the system). Audited with before and after; returns the saved organisation
    (`organisation` is updated too)."""
    if actor is not None and not actor.has_perm("core.change_organisation"):
        raise PermissionDenied(_("您没有修改机构设置的权限。"))
    stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = audit.snapshot(stored)
    given = {"name": name, "short_name": short_name, "logo_text": logo_text, "currency_display": currency_display}
    values = {field: str(value).strip() for field, value in given.items() if value is not None}
    problems = []
    for field, value in values.items():
        model_field = Organisation._meta.get_field(field)
        if not value and field in ORGANISATION_REQUIRED:
            problems.append((field, _("请填写%(label)s。") % {"label": model_field.verbose_name}))
        elif len(value) > model_field.max_length:
            problems.append((field, _("%(label)s最多 %(max)d 个字，现为 %(length)d 个。") % {
                "label": model_field.verbose_name, "max": model_field.max_length, "length": len(value)}))
    if problems:
        raise ValidationFailed("；".join(str(message) for _field, message in problems), extra={
            "field": problems[0][0], "details": [{"field": field, "message": str(message)} for field, message in problems]})
    for field, value in values.items():
        setattr(stored, field, value)
    if interest_cap_applies is not None:
        stored.interest_cap_applies = bool(interest_cap_applies)
    stored.save(update_fields=[*values, *(["interest_cap_applies"] if interest_cap_applies is not None else [])])
    audit.record_change(obj=stored, before=before, after=audit.snapshot(stored),
                        verb="修改机构设置")
    for field in [*ORGANISATION_TEXT_FIELDS, "interest_cap_applies"]:
        setattr(organisation, field, getattr(stored, field))
    return stored


EARLIEST_BUSINESS_DATE = date(2000, 1, 1)
BUSINESS_DATE_BACK = "business_date_back"  # the approval kind of moving the business date back


def business_date_check(*, new_date: date | None, reason: str, actor=None) -> str:
    """Everything ``business_date_set`` refuses but the approval (the approvals kind checks a request to
    move the date back with it before submitting). Returns the reason stripped."""
    from django.apps import apps
    from django.conf import settings
    from django.db.models import Max
    from django.utils import timezone

    if actor is not None and not actor.has_perm("core.set_business_date"):
        raise PermissionDenied(_("您没有设置营业日的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写设置营业日的原因，例如：补录 11 月 20 日的还款。"), extra={"field": "reason"})
    real_today = timezone.localdate()
    effective = new_date or real_today
    ahead = settings.BUSINESS_DATE_MAX_DAYS_AHEAD
    if effective < EARLIEST_BUSINESS_DATE:
        raise ValidationFailed(_("营业日 %(day)s 不合理：不能早于 %(earliest)s。") % {
            "day": effective.isoformat(), "earliest": EARLIEST_BUSINESS_DATE.isoformat()}, extra={"field": "business_date"})
    if effective > real_today + timedelta(days=ahead):
        raise ValidationFailed(_("营业日 %(day)s 太远：最多只能比今天（%(today)s）晚 %(ahead)d 天。") % {
            "day": effective.isoformat(), "today": real_today.isoformat(), "ahead": ahead},
            extra={"field": "business_date"})
    # The books already reach this far (looked up by name: core does not import the money apps).
    booked = [
        (apps.get_model("ledger", "JournalEntry").objects.aggregate(day=Max("day"))["day"], _("记账凭证")),
        (apps.get_model("ious", "Transaction").objects.aggregate(day=Max("day"))["day"], _("借据交易")),
    ]
    for latest, what in booked:
        if latest is not None and effective < latest:
            raise ValidationFailed(
                _("营业日不能设为 %(day)s：已有 %(latest)s 的%(what)s，营业日不能早于已入账的业务日期。"
                  "补录更早的业务请在相应表单中填写业务日期。") % {
                    "day": effective.isoformat(), "latest": latest.isoformat(), "what": what},
                extra={"field": "business_date"})
    return reason


@transaction.atomic
def business_date_set(*, organisation: Organisation | None = None, new_date: date | None, reason: str,
                      actor=None, approval=None) -> Organisation:
    """Set (or with None clear) the business date (营业日) everything is done on.

    Refused: without a reason; a date before the last business already booked (the latest journal
    entry's day, the latest IOU transaction's day), because posting earlier than the books already
    are would put entries behind a day that is done; before 2000-01-01; and more than
    ``settings.BUSINESS_DATE_MAX_DAYS_AHEAD`` days after today's real date. Clearing means "today's
    real date" and is checked the same way. `actor`: the staff member, who needs the
    core.set_business_date permission (None: the system, e.g. a command run by an operator).

    Moving the date back (earlier than the current business date) needs approval when an approval
    flow of the kind ``business_date_back`` applies (``core.approval_hooks``): ``approval`` is then
    the approved request (its executor passes it)."""
    from django.utils import timezone

    reason = business_date_check(new_date=new_date, reason=reason, actor=actor)
    organisation = Organisation.objects.select_for_update().get(pk=(organisation or organisation_current()).pk)
    real_today = timezone.localdate()
    effective = new_date or real_today
    before = organisation.business_date
    if effective < (before or real_today):
        approval_gate(BUSINESS_DATE_BACK, target=organisation, approval=approval)
    organisation.business_date = new_date
    organisation.save(update_fields=["business_date"])
    audit.record(
        AuditAction.ACTION,
        obj=organisation,
        verb="设置营业日",
        changes={"business_date": [str(before) if before else None, str(new_date) if new_date else None]},
        reason=reason,
        actor=actor_for_user(actor, current_actor().ip_address) if actor is not None else None,
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
