"""Writes for customers: create, update, delete, tag, reveal sensitive data.

Every write checks identity numbers with ioudesk.calc, refuses duplicates (same ID number,
credit code or phone) with a link to the customer that already exists, derives the search
columns, and records the change in the audit trail with personal data masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc import idcheck, uscc
from ioudesk.calc.errors import InvalidIdentifier
from ioudesk.core import audit, clock, numbering, scope
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.crypto import blind_index, normalize_for_index
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers.models import Customer, CustomerKind, Tag
from ioudesk.customers.pinyin import name_pinyin
from ioudesk.customers.search_index import name_bigrams

PREFIX = "KH"
ID_PURPOSE, PHONE_PURPOSE = "customer.id_number", "customer.phone"
SENSITIVE = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_bank_account}
DERIVED = {"phone_index", "phone_last4", "id_number_index", "id_last4", "name_pinyin", "name_initials",
           "name_bigrams"}


# The earliest 建档日期 accepted: anything before it is a typing error (1800-01-01, 0001-01-01).
MIN_ACQUIRED_ON = date(1990, 1, 1)
NOTES_MAX_LENGTH = 2000
BANK_ACCOUNT_RE = re.compile(r"^\d{6,32}$")
MONEY_FIELDS = ("monthly_income", "registered_capital")
ID_LENGTH_MAX = 40  # anything longer is not an ID number, USCC or phone: refused before the checks


def _field_error(field: str, message, code: str | None = None) -> ValidationFailed:
    """A validation error about one field: the message names it, `extra["field"]` says which."""
    return ValidationFailed(message, code=code,
                            extra={"field": field, "details": [{"field": field, "message": str(message)}]})


class _Problems(list):
    """Every field error found in one pass, so a form (or an import row) shows them all at once."""

    def add(self, field: str, message, code: str | None = None) -> None:
        if not any(problem["field"] == field for problem in self):
            self.append({"field": field, "message": str(message), "code": code})

    def raise_any(self) -> None:
        if self:
            first = self[0]
            raise ValidationFailed("；".join(problem["message"] for problem in self), code=first["code"], extra={
                "field": first["field"],
                "details": [{"field": problem["field"], "message": problem["message"]} for problem in self]})


def _label(field: str) -> str:
    return str(Customer._meta.get_field(field).verbose_name)


def customer_assign(customer: Customer, **values) -> Customer:
    """Copy typed values onto a customer (the API's create and patch), turning a value the
    field cannot hold (an amount like "abc" or "0.001") into a ValidationFailed naming the field.
    Everything else is checked by customer_validate."""
    problems = _Problems()
    for name, value in values.items():
        try:
            setattr(customer, name, value)
        except (DjangoValidationError, TypeError, ValueError):
            problems.add(name, _("%(field)s格式不正确，请输入如 12345.67 的金额（最多两位小数）。")
                         % {"field": _label(name)})
    problems.raise_any()
    return customer


def _clean_fields(customer: Customer, problems: _Problems) -> None:
    """Required values, lengths, amounts, dates, choices, branch and owner: the same rules for the
    back-office form, the API and the Excel import."""
    for field in Customer._meta.concrete_fields:
        if not field.editable or field.name in DERIVED or field.primary_key or field.is_relation:
            continue
        value = getattr(customer, field.attname)
        if value is None and not field.null:
            if field.blank and isinstance(field, (models.CharField, models.TextField)):
                setattr(customer, field.attname, "")  # null from the API means "nothing"
            elif field.name != "acquired_on":  # the business date when left out
                problems.add(field.name, _("请填写%(field)s。") % {"field": field.verbose_name})
            continue
        if isinstance(value, str):
            limit = field.max_length or (NOTES_MAX_LENGTH if field.name == "notes" else None)
            if field.name in SENSITIVE or field.name == "credit_code":
                limit = ID_LENGTH_MAX
            if limit and len(value) > limit:
                problems.add(field.name, _("%(field)s不能超过 %(n)d 个字（现在 %(count)d 个）。") % {
                    "field": field.verbose_name, "n": limit, "count": len(value)})
            elif field.choices and value not in {choice for choice, _text in field.flatchoices}:
                problems.add(field.name, _("%(field)s“%(value)s”不是可选值。") % {
                    "field": field.verbose_name, "value": value[:20]})
    for name in MONEY_FIELDS:
        amount = getattr(customer, name)
        if amount is not None and amount < 0:
            problems.add(name, _("%(field)s不能为负数。") % {"field": _label(name)})
    if customer.acquired_on is not None:
        today = clock.today()
        if customer.acquired_on > today:
            problems.add("acquired_on", _("建档日期 %(day)s 晚于营业日 %(today)s，请核对。") % {
                "day": customer.acquired_on.isoformat(), "today": today.isoformat()})
        elif customer.acquired_on < MIN_ACQUIRED_ON:
            problems.add("acquired_on", _("建档日期 %(day)s 早于 %(floor)s，请核对。") % {
                "day": customer.acquired_on.isoformat(), "floor": MIN_ACQUIRED_ON.isoformat()})
    if customer.bank_account and len(customer.bank_account) <= ID_LENGTH_MAX:
        digits = re.sub(r"[\s-]", "", customer.bank_account)
        if BANK_ACCOUNT_RE.match(digits):
            customer.bank_account = digits
        else:
            problems.add("bank_account", _("银行账号应为 6 到 32 位数字。"))
    _clean_branch_and_owner(customer, problems)


def _clean_branch_and_owner(customer: Customer, problems: _Problems) -> None:
    from django.contrib.auth import get_user_model

    from ioudesk.core.models import Branch

    if customer.branch_id is None:
        problems.add("branch", _("请选择所属网点。"))
        return
    if not Branch.objects.filter(pk=customer.branch_id).exists():
        problems.add("branch", _("所属网点不存在。"))
        return
    if customer.owner_id is not None:
        owner = get_user_model().objects.filter(pk=customer.owner_id).first()
        if owner is None or not owner.is_active or not owner.is_staff:
            problems.add("owner", _("客户经理须是在职的员工账号。"))
        elif not scope.can_see_branch(owner, customer.branch_id):
            problems.add("owner", _("客户经理 %(name)s 看不到该客户所在的网点，请选择本网点（或上级网点）的员工。")
                         % {"name": owner.get_username()})


class DuplicateCustomer(ValidationFailed):
    code = "duplicate_customer"


@dataclass(frozen=True)
class Duplicate:
    field: str  # "id_number" | "credit_code" | "phone"
    customer: Customer

    @property
    def label(self) -> str:
        return {"id_number": _g("身份证号"), "credit_code": _g("统一社会信用代码"), "phone": _g("手机号")}[self.field]


def phone_normalised(phone: str) -> str:
    """Mainland mobile numbers as 11 digits; "+86 138-1234-5678" → "13812345678"."""
    digits = "".join(ch for ch in normalize_for_index(phone or "") if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_phone(phone: str) -> str:
    if not phone:
        return ""
    digits = phone_normalised(phone)
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and digits.startswith("0"):  # landline with area code
        return digits
    raise ValidationFailed(_("手机号“%(phone)s”不正确：手机号应为1开头的11位数字，固定电话请带区号。") % {"phone": phone})


def find_duplicates(*, id_number: str = "", credit_code: str = "", phone: str = "", exclude_pk=None) -> list[Duplicate]:
    """Customers that already have this ID number, credit code or phone — in any branch."""
    checks = []
    if id_number:
        checks.append(("id_number", {"id_number_index": blind_index(id_number, ID_PURPOSE)}))
    if credit_code:
        checks.append(("credit_code", {"credit_code": credit_code}))
    if phone:
        checks.append(("phone", {"phone_index": blind_index(phone, PHONE_PURPOSE)}))
    found = []
    for field, lookup in checks:
        for customer in Customer.objects.filter(**lookup).exclude(pk=exclude_pk).only("pk", "number", "name", "branch_id"):
            found.append(Duplicate(field, customer))
    return found


def _duplicate_error(duplicates: list[Duplicate], user) -> DuplicateCustomer:
    first = duplicates[0]
    visible = user is not None and scope.can_see_branch(user, first.customer.branch_id)
    message = _("该%(field)s已登记为客户 %(number)s（%(name)s），请勿重复建档。") % {
        "field": first.label, "number": first.customer.number,
        "name": first.customer.name if visible else _g("其他网点的客户"),
    }
    links = [
        {"field": d.field, "number": d.customer.number,
         "url": reverse("admin:customers_customer_change", args=[d.customer.pk])
         if user is not None and scope.can_see_branch(user, d.customer.branch_id) else None}
        for d in duplicates
    ]
    return DuplicateCustomer(message, extra={"duplicates": links})


def _clean_identity(customer: Customer, problems: _Problems) -> None:
    """Validate and normalise the identity fields, and derive everything searched on."""
    try:
        if customer.kind == CustomerKind.INDIVIDUAL:
            customer.credit_code = ""
            if customer.id_number and len(customer.id_number) <= ID_LENGTH_MAX:
                card = idcheck.validate(customer.id_number, today=clock.today())
                customer.id_number, customer.birth_date = card.number, card.birth_date
                customer.sex = "M" if card.sex == "男" else "F"
            elif not customer.id_number:
                customer.birth_date, customer.sex = None, ""
        else:
            customer.id_number, customer.birth_date, customer.sex = "", None, ""
            customer.marital_status = ""
            if customer.credit_code and len(customer.credit_code) <= ID_LENGTH_MAX:
                customer.credit_code = uscc.validate(customer.credit_code).code
    except InvalidIdentifier as error:
        field = _g("身份证号") if customer.kind == CustomerKind.INDIVIDUAL else _g("统一社会信用代码")
        message = calc_error_message(error)
        problems.add("id_number" if customer.kind == CustomerKind.INDIVIDUAL else "credit_code",
                     message if field in message else f"{field}：{message}", code=error.code)
    if len(customer.phone or "") <= ID_LENGTH_MAX:
        try:
            customer.phone = validate_phone(customer.phone)
        except ValidationFailed as error:
            problems.add("phone", error.message)
    customer.name = " ".join((customer.name or "").split())
    if not customer.name:
        problems.add("name", _("请填写客户姓名或企业名称。"))
    problems.raise_any()
    customer.id_number_index = blind_index(customer.id_number, ID_PURPOSE) if customer.id_number else ""
    customer.id_last4 = customer.id_number[-4:] if customer.id_number else ""
    customer.phone_index = blind_index(customer.phone, PHONE_PURPOSE) if customer.phone else ""
    customer.phone_last4 = customer.phone[-4:] if customer.phone else ""
    customer.name_pinyin, customer.name_initials = name_pinyin(customer.name, person=customer.kind == CustomerKind.INDIVIDUAL)
    customer.name_bigrams = name_bigrams(customer.name)  # the substring index (search_index.py)


def audit_snapshot(customer: Customer) -> dict:
    """The customer as the audit trail keeps it: personal data masked, derived columns left out."""
    data = audit.snapshot(customer)
    for field, mask in SENSITIVE.items():
        data[field] = mask(getattr(customer, field)) if getattr(customer, field) else ""
    for field in DERIVED:
        data.pop(field, None)
    return data


def customer_validate(*, customer: Customer, user=None) -> Customer:
    """Check a customer before saving (forms call this to show errors next to the fields):
    identity numbers, phone, duplicates, and that the user may keep records in that branch.
    Normalises the instance in place. Errors about one field carry `extra["field"]`."""
    problems = _Problems()
    _clean_fields(customer, problems)
    _clean_identity(customer, problems)
    duplicates = find_duplicates(id_number=customer.id_number, credit_code=customer.credit_code,
                                 phone=customer.phone, exclude_pk=customer.pk)
    if duplicates:
        raise _duplicate_error(duplicates, user)
    if user is not None and customer.branch_id and not scope.can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("您只能为自己所在网点（及下级网点）的客户建档。"))
    return customer


@transaction.atomic
def customer_create(*, customer: Customer, user=None, tags=()) -> Customer:
    """Save a new customer (an unsaved instance with its fields filled in)."""
    if customer.pk is not None:
        raise InvalidState(_("该客户已建档。"))
    customer_validate(customer=customer, user=user)
    customer.acquired_on = customer.acquired_on or clock.today()
    customer.created_by = customer.created_by or user
    customer.number = numbering.next_number(organisation=customer.branch.organisation, prefix=PREFIX)
    customer.save()
    if tags:
        customer.tags.set(tags)
    audit.record_change(obj=customer, before=None, after=audit_snapshot(customer))
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, user=None, reason: str = "", tags=None) -> Customer:
    """Save changes made to a loaded customer instance."""
    before = audit_snapshot(Customer.objects.select_for_update().get(pk=customer.pk))
    customer_validate(customer=customer, user=user)
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    audit.record_change(obj=customer, before=before, after=audit_snapshot(customer), reason=reason)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, reason: str = "") -> None:
    blockers = customer_delete_blockers(customer)
    if blockers:
        raise InvalidState(_("客户 %(number)s 不能删除：%(why)s。") % {"number": customer.number, "why": "；".join(blockers)})
    before, pk = audit_snapshot(customer), customer.pk
    customer.delete()
    customer.pk = pk
    audit.record_change(obj=customer, before=before, after=None, reason=reason)


def customer_delete_blockers(customer: Customer) -> list[str]:
    """Why a customer cannot be deleted (records that must stay with them), or nothing."""
    blockers = []
    if customer.files.exists():
        blockers.append(_g("已上传 %(n)d 份资料") % {"n": customer.files.count()})
    for relation in customer._meta.related_objects:
        if relation.on_delete.__name__ == "PROTECT" and relation.related_model.__name__ != "CustomerFile":
            count = getattr(customer, relation.get_accessor_name()).count()
            if count:
                blockers.append(f"{relation.related_model._meta.verbose_name} {count}")
    return blockers


@transaction.atomic
def customers_tag(*, customers, tags: list[Tag], remove: bool = False) -> int:
    count = 0
    for customer in customers:
        before = sorted(str(t) for t in customer.tags.all())
        (customer.tags.remove if remove else customer.tags.add)(*tags)
        after = sorted(str(t) for t in customer.tags.all())
        if before != after:
            audit.record(AuditAction.UPDATE, obj=customer, verb=_g("批量移除标签") if remove else _g("批量添加标签"),
                         changes={"tags": [before, after]})
            count += 1
    return count


def customer_reveal(*, customer: Customer, field: str, user, reason: str = "") -> str:
    """The full value of a masked field, for a user allowed to see it; the viewing is audited."""
    if field not in SENSITIVE:
        raise ValidationFailed(_("不支持查看该字段。"))
    if not user.has_perm("customers.view_sensitive_customer") or not scope.can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("您没有查看完整敏感信息的权限。"))
    audit.record(AuditAction.VIEW_SENSITIVE, obj=customer, verb=_g("查看完整%(field)s") % {
        "field": str(Customer._meta.get_field(field).verbose_name)}, reason=reason)
    return getattr(customer, field)


DEFAULT_SOURCE_CHANNELS = ["门店来访", "老客户介绍", "中介推荐", "网络推广", "电话营销", "合作机构", "其他"]


@transaction.atomic
def source_channels_ensure() -> int:
    """The usual channels on first start; the organisation edits the list afterwards."""
    from ioudesk.customers.models import SourceChannel

    if SourceChannel.objects.exists():
        return 0
    for order, name in enumerate(DEFAULT_SOURCE_CHANNELS):
        SourceChannel.objects.create(name=name, sort_order=order)
    return len(DEFAULT_SOURCE_CHANNELS)
