"""Prospects (潜在客户) and follow-ups (跟进记录): the writes and the reads behind them.

A prospect is worked on (NEW → FOLLOWING on the first follow-up) until it is converted into a
Customer (CONVERTED, its follow-ups move to the customer) or given up (LOST). A follow-up belongs
to exactly one customer or prospect, takes its branch from it, and may set a next action with a
date; the account manager's "due" list is the open next actions up to the business date.

Errors carry `extra={"field": …}` when they are about one input, so forms can show them there.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, clock, scope
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.masking import mask_phone
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers import permissions, services
from ioudesk.customers.models import (
    Customer,
    CustomerKind,
    FollowUp,
    FollowUpChannel,
    Prospect,
    ProspectStatus,
)

PROSPECT_PHONE_PURPOSE = "prospect.phone"


# ---------------------------------------------------------------- prospects


def prospect_snapshot(prospect: Prospect) -> dict:
    """The prospect as the audit trail keeps it: phone masked, its index left out."""
    data = audit.snapshot(prospect)
    data["phone"] = mask_phone(prospect.phone) if prospect.phone else ""
    data.pop("phone_index", None)
    return data


def _customer_with_phone_error(duplicates: list[services.Duplicate], user) -> services.DuplicateCustomer:
    customer = duplicates[0].customer
    visible = user is not None and scope.can_see_branch(user, customer.branch_id)
    message = _("该手机号已是客户 %(number)s（%(name)s），请直接为该客户记录跟进，不必再登记为潜在客户。") % {
        "number": customer.number, "name": customer.name if visible else _g("其他网点的客户"),
    }
    links = [{"field": "phone", "number": d.customer.number,
              "url": reverse("admin:customers_customer_change", args=[d.customer.pk])
              if user is not None and scope.can_see_branch(user, d.customer.branch_id) else None}
             for d in duplicates]
    return services.DuplicateCustomer(message, extra={"field": "phone", "duplicates": links})


def prospect_validate(*, prospect: Prospect, user=None) -> Prospect:
    """Check and normalise a prospect before saving (forms call this to show errors by the fields)."""
    prospect.name = " ".join((prospect.name or "").split())
    if not prospect.name:
        raise ValidationFailed(_("请填写潜在客户的姓名或企业名称。"), extra={"field": "name"})
    try:
        prospect.phone = services.validate_phone(prospect.phone)
    except ValidationFailed as error:
        error.extra["field"] = "phone"
        raise
    prospect.phone_index = blind_index(prospect.phone, PROSPECT_PHONE_PURPOSE) if prospect.phone else ""
    if prospect.phone:
        duplicates = services.find_duplicates(phone=prospect.phone)
        if duplicates:
            raise _customer_with_phone_error(duplicates, user)
    if user is not None and prospect.branch_id and not scope.can_see_branch(user, prospect.branch_id):
        raise PermissionDenied(_("您只能登记自己所在网点（及下级网点）的潜在客户。"), extra={"field": "branch"})
    return prospect


@transaction.atomic
def prospect_create(*, prospect: Prospect, user=None) -> Prospect:
    """Save a new prospect (an unsaved instance with its fields filled in). The same phone may be
    registered by two managers as a prospect; only a phone that is already a customer's is refused."""
    if prospect.pk is not None:
        raise InvalidState(_("该潜在客户已登记。"))
    prospect_validate(prospect=prospect, user=user)
    prospect.status = ProspectStatus.NEW
    prospect.converted_customer = None
    if prospect.owner_id is None and user is not None:
        prospect.owner = user
    prospect.save()
    audit.record_change(obj=prospect, before=None, after=prospect_snapshot(prospect))
    return prospect


@transaction.atomic
def prospect_update(*, prospect: Prospect, user=None, reason: str = "") -> Prospect:
    """Save changes made to a loaded prospect. Status changes go through their own services."""
    stored = Prospect.objects.select_for_update().get(pk=prospect.pk)
    if stored.status == ProspectStatus.CONVERTED:
        raise InvalidState(_("该潜在客户已转为客户 %(number)s，请修改客户档案。") % {
            "number": stored.converted_customer.number if stored.converted_customer else "—"})
    prospect.status, prospect.converted_customer_id = stored.status, stored.converted_customer_id
    prospect_validate(prospect=prospect, user=user)
    prospect.save()
    audit.record_change(obj=prospect, before=prospect_snapshot(stored), after=prospect_snapshot(prospect),
                        reason=reason)
    return prospect


CONVERTIBLE_FIELDS = {"id_number", "credit_code", "legal_representative", "address", "employer", "category",
                      "risk_grade", "notes", "acquired_on"}


def _locked_prospect(prospect: Prospect, user) -> Prospect:
    locked = Prospect.objects.select_for_update(of=("self",)).select_related("converted_customer").get(pk=prospect.pk)
    if user is not None and not scope.can_see_branch(user, locked.branch_id):
        raise PermissionDenied(_("该潜在客户不属于您所在的网点。"))
    return locked


@transaction.atomic
def prospect_convert(*, prospect: Prospect, user, tags=(), **customer_fields) -> Customer:
    """Turn a prospect into a customer (through customer_create, so numbering, identity checks and
    duplicate detection apply). Name, kind, phone, source, branch and owner are copied; the
    prospect's employer (单位) becomes the customer's; `customer_fields` add what the prospect did
    not have (id_number, credit_code, address …). The prospect's follow-ups move to the customer,
    so the 360 page shows the whole history."""
    unknown = set(customer_fields) - CONVERTIBLE_FIELDS
    if unknown:
        raise ValidationFailed(_("转为客户时不能设置这些字段：%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    locked = _locked_prospect(prospect, user)
    if locked.status == ProspectStatus.CONVERTED:
        raise InvalidState(_("该潜在客户已转为客户 %(number)s，不能重复转化。") % {
            "number": locked.converted_customer.number if locked.converted_customer else "—"})
    if locked.status == ProspectStatus.LOST:
        raise InvalidState(_("该潜在客户已标记放弃，不能转为客户。如客户重新有意向，请先重新登记。"))

    customer = Customer(
        kind=locked.kind, name=locked.name, phone=locked.phone, source_id=locked.source_id,
        branch_id=locked.branch_id, owner_id=locked.owner_id or getattr(user, "pk", None),
        employer=locked.company_name if locked.kind == CustomerKind.INDIVIDUAL else "",
        notes=locked.notes,
    )
    for name, value in customer_fields.items():
        if value not in (None, ""):
            setattr(customer, name, value)
    services.customer_create(customer=customer, user=user, tags=tags)

    before = prospect_snapshot(locked)
    locked.status, locked.converted_customer = ProspectStatus.CONVERTED, customer
    locked.save(update_fields=["status", "converted_customer"])
    moved = list(FollowUp.objects.filter(prospect=locked).values_list("pk", flat=True))
    FollowUp.objects.filter(pk__in=moved).update(customer=customer, prospect=None, branch_id=customer.branch_id)
    changes = audit.diff(before, prospect_snapshot(locked))
    if moved:
        changes["follow_ups"] = [sorted(moved), customer.number]
    audit.record(AuditAction.ACTION, obj=locked, verb=_g("转为客户"), changes=changes)
    prospect.status, prospect.converted_customer = locked.status, customer
    return customer


@transaction.atomic
def prospect_mark_lost(*, prospect: Prospect, user, reason: str) -> Prospect:
    """Give a prospect up (已放弃). The reason is kept in the audit trail and in the notes."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("请填写放弃的原因，例如：客户已在其他机构借款。"), extra={"field": "reason"})
    locked = _locked_prospect(prospect, user)
    if locked.status == ProspectStatus.CONVERTED:
        raise InvalidState(_("该潜在客户已转为客户，不能标记放弃。"))
    if locked.status == ProspectStatus.LOST:
        raise InvalidState(_("该潜在客户已标记放弃。"))
    before = prospect_snapshot(locked)
    locked.status = ProspectStatus.LOST
    note = _g("【%(day)s 放弃】%(reason)s") % {"day": clock.today().isoformat(), "reason": reason}
    locked.notes = f"{locked.notes}\n{note}".strip()
    locked.save(update_fields=["status", "notes"])
    audit.record(AuditAction.ACTION, obj=locked, verb=_g("标记放弃"), reason=reason,
                 changes=audit.diff(before, prospect_snapshot(locked)))
    prospect.status, prospect.notes = locked.status, locked.notes
    return locked


# ---------------------------------------------------------------- follow-ups


def follow_up_check(*, customer: Customer | None = None, prospect: Prospect | None = None, owner, user=None,
                    channel: str, happened_at: datetime, content: str, next_action: str = "",
                    next_action_on: date | None = None) -> None:
    """Everything follow_up_record refuses, without writing (forms call it to place the errors)."""
    if customer is None and prospect is None:
        raise ValidationFailed(_("请选择跟进的客户或潜在客户。"), extra={"field": "customer"})
    if customer is not None and prospect is not None:
        raise ValidationFailed(_("一条跟进只能记在一位客户或一位潜在客户名下，请只选其中一个。"),
                               extra={"field": "prospect"})
    if prospect is not None:
        if prospect.status == ProspectStatus.CONVERTED:
            raise InvalidState(_("该潜在客户已转为客户 %(number)s，请在客户名下记录跟进。") % {
                "number": prospect.converted_customer.number if prospect.converted_customer else "—"},
                extra={"field": "prospect"})
        if prospect.status == ProspectStatus.LOST:
            raise InvalidState(_("该潜在客户已标记放弃，不能再记录跟进。"), extra={"field": "prospect"})
    target = customer or prospect
    acting = user or owner
    if not scope.can_see_branch(acting, target.branch_id):
        raise PermissionDenied(_("该客户不属于您所在的网点，不能为其记录跟进。"))
    if user is not None and not permissions.can_add_follow_up(user, customer=customer, prospect=prospect):
        if not user.has_perm("customers.add_followup"):
            raise PermissionDenied(_("您没有记录跟进的权限。"))
        if prospect is not None:
            raise PermissionDenied(_("催收员只为有借据在催收的客户记录跟进，不跟进潜在客户。"), extra={"field": "prospect"})
        raise PermissionDenied(_("催收员只为有借据在催收的客户记录跟进：%(name)s 没有在贷或已核销的借据。") % {
            "name": customer.name}, extra={"field": "customer"})
    if owner is None or not owner.is_active:
        raise ValidationFailed(_("请选择在职的跟进人。"), extra={"field": "owner"})
    if owner != acting and not scope.can_see_branch(owner, target.branch_id):
        raise ValidationFailed(_("跟进人 %(name)s 不属于该客户所在网点，请另选跟进人。") % {"name": owner},
                               extra={"field": "owner"})
    if channel not in FollowUpChannel.values:
        raise ValidationFailed(_("请选择跟进方式。"), extra={"field": "channel"})
    if happened_at is None:
        raise ValidationFailed(_("请填写跟进时间。"), extra={"field": "happened_at"})
    if happened_at > clock.now():
        raise ValidationFailed(_("跟进时间 %(when)s 还没到，请填写已经发生的跟进；以后要做的事请写在“下一步”。") % {
            "when": timezone.localtime(happened_at).strftime("%Y-%m-%d %H:%M")}, extra={"field": "happened_at"})
    if not (content or "").strip():
        raise ValidationFailed(_("请填写跟进内容：谈了什么、客户怎么说。"), extra={"field": "content"})
    if next_action_on is not None:
        today = clock.today()
        if next_action_on < today:
            raise ValidationFailed(_("下次跟进日期不能早于营业日 %(today)s。") % {"today": today.isoformat()},
                                   extra={"field": "next_action_on"})
        if not (next_action or "").strip():
            raise ValidationFailed(_("填写了下次跟进日期，请同时写明下一步要做什么。"), extra={"field": "next_action"})


@transaction.atomic
def follow_up_record(*, customer: Customer | None = None, prospect: Prospect | None = None, owner, user=None,
                     channel: str, happened_at: datetime, content: str, material_sent: str = "",
                     next_action: str = "", next_action_on: date | None = None) -> FollowUp:
    """Record one contact with a customer or prospect. `user` is who is entering it (defaults to
    the owner) and must see the target's branch. A NEW prospect becomes FOLLOWING."""
    if prospect is not None:
        prospect = Prospect.objects.select_for_update(of=("self",)).select_related("converted_customer").get(pk=prospect.pk)
    follow_up_check(customer=customer, prospect=prospect, owner=owner, user=user, channel=channel,
                    happened_at=happened_at, content=content, next_action=next_action, next_action_on=next_action_on)
    target = customer or prospect
    follow_up = FollowUp.objects.create(
        customer=customer, prospect=prospect, branch_id=target.branch_id, owner=owner, channel=channel,
        happened_at=happened_at, content=content.strip(), material_sent=(material_sent or "").strip(),
        next_action=(next_action or "").strip(), next_action_on=next_action_on,
    )
    audit.record_change(obj=follow_up, before=None, after=audit.snapshot(follow_up))
    if prospect is not None and prospect.status == ProspectStatus.NEW:
        prospect.status = ProspectStatus.FOLLOWING
        prospect.save(update_fields=["status"])
        audit.record(AuditAction.ACTION, obj=prospect, verb=_g("开始跟进"),
                     changes={"status": [ProspectStatus.NEW.value, ProspectStatus.FOLLOWING.value]})
    return follow_up


def follow_up_can_complete(follow_up: FollowUp) -> bool:
    return bool(follow_up.next_action or follow_up.next_action_on) and not follow_up.next_action_done


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user) -> FollowUp:
    """Mark the next action agreed in a follow-up as done. The owner may, and so may anyone who
    can change follow-ups in that branch."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not scope.can_see_branch(user, locked.branch_id):
        raise PermissionDenied(_("该跟进记录不属于您所在的网点。"))
    if locked.owner_id != user.pk and not user.has_perm("customers.change_followup"):
        raise PermissionDenied(_("只有跟进人本人可以把这条跟进标记为完成。"))
    if locked.next_action_done:
        raise InvalidState(_("这条跟进的下一步已经标记完成。"))
    if not follow_up_can_complete(locked):
        raise InvalidState(_("这条跟进没有约定下一步，无需标记完成。"))
    locked.next_action_done = True
    locked.save(update_fields=["next_action_done"])
    audit.record(AuditAction.ACTION, obj=locked, verb=_g("下一步已完成"), changes={"next_action_done": [False, True]})
    follow_up.next_action_done = True
    return locked


@transaction.atomic
def follow_up_delete(*, follow_up: FollowUp, user, reason: str = "") -> None:
    """Delete a follow-up entered by mistake (it is then entered again): by its owner, or by anyone
    who may delete follow-ups, in a branch they can see. Audited with what it said."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not scope.can_see_branch(user, locked.branch_id):
        raise PermissionDenied(_("该跟进记录不属于您所在的网点。"))
    if locked.owner_id != user.pk and not user.has_perm("customers.delete_followup"):
        raise PermissionDenied(_("只有跟进人本人或有删除权限的员工可以删除这条跟进。"))
    before, pk = audit.snapshot(locked), locked.pk
    locked.delete()
    locked.pk = pk
    audit.record_change(obj=locked, before=before, after=None, reason=reason, verb=_g("删除跟进"))


# ---------------------------------------------------------------- reads


def follow_up_get(*, user, pk) -> FollowUp:
    follow_up = scope.scope_queryset(user, FollowUp.objects.all()).filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    return follow_up


def follow_ups_due(*, user, day: date | None = None):
    """The user's own open next actions due on or before `day` (the business date by default),
    the longest overdue first. Follow-ups on prospects given up no longer count."""
    day = day or clock.today()
    queryset = (
        FollowUp.objects.filter(owner=user, next_action_on__lte=day, next_action_done=False)
        .exclude(prospect__status=ProspectStatus.LOST)
        .select_related("customer", "prospect", "branch")
        .order_by("next_action_on", "happened_at", "pk")
    )
    return scope.scope_queryset(user, queryset)
