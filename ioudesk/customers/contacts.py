"""A customer's contacts (联系人: spouse, parents, a company's finance officer …): the one door to
add, change or remove one.

A contact belongs to its customer and is kept in the customer's branch: only staff who can see
that branch change it, and its audit events are filed under that branch. The name and the
relationship are required; a phone, when given, is a mainland mobile (11 digits from 1) or a
landline with its area code, stored as its digits; an emergency contact (紧急联系人) needs one.
The audit trail shows the phone masked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.customers.models import Contact, Customer
from ioudesk.customers.services import validate_phone

LIMITS = {"name": 50, "relation": 30, "notes": 200}


def _refuse(error_class, message, field: str | None):
    extra = {"field": field, "details": [{"field": field, "message": str(message)}]} if field else {}
    return error_class(message, extra=extra)


def _check_scope(customer: Customer, user) -> None:
    if user is not None and not scope.can_see_branch(user, customer.branch_id):
        raise _refuse(PermissionDenied, _("该客户不属于您所在的网点，不能修改其联系人。"), None)


@transaction.atomic
def contact_save(*, customer: Customer, contact: Contact | None = None, name: str, relation: str,
                 phone: str = "", is_emergency: bool = False, notes: str = "", user=None) -> Contact:
    """Add a contact to `customer` (`contact` None or unsaved) or change one of theirs. `contact`
    may be an instance a form has already changed: the stored row is what the audit trail compares
    with; the given instance is the one saved. `user`: the staff member (None: the system)."""
    _check_scope(customer, user)
    before = None
    if contact is not None and contact.pk is not None:
        stored = Contact.objects.select_for_update().get(pk=contact.pk)
        if stored.customer_id != customer.pk:
            raise _refuse(ValidationFailed, _("该联系人不属于此客户。"), None)
        before = audit.snapshot(stored)
    values = {"name": (name or "").strip(), "relation": (relation or "").strip(), "notes": (notes or "").strip()}
    if not values["name"]:
        raise _refuse(ValidationFailed, _("请填写联系人姓名。"), "name")
    if not values["relation"]:
        raise _refuse(ValidationFailed, _("请填写联系人“%(name)s”与客户的关系，如：配偶、父母、同事、财务负责人。") % {
            "name": values["name"]}, "relation")
    for field, limit in LIMITS.items():
        if len(values[field]) > limit:
            raise _refuse(ValidationFailed, _("联系人“%(name)s”的%(what)s最长 %(max)d 个字。") % {
                "name": values["name"][:limit], "what": Contact._meta.get_field(field).verbose_name, "max": limit},
                field)
    try:
        digits = validate_phone((phone or "").strip())
    except ValidationFailed as error:
        raise _refuse(ValidationFailed, _("联系人“%(name)s”的%(error)s") % {
            "name": values["name"], "error": error.message}, "phone") from None
    if is_emergency and not digits:
        raise _refuse(ValidationFailed, _("紧急联系人“%(name)s”请填写手机号。") % {"name": values["name"]}, "phone")
    saved = contact if contact is not None else Contact()
    saved.customer = customer
    saved.name, saved.relation, saved.notes = values["name"], values["relation"], values["notes"]
    saved.phone, saved.is_emergency = digits, bool(is_emergency)
    saved.save()
    audit.record_change(obj=saved, before=before, after=audit.snapshot(saved), branch_id=customer.branch_id,
                        verb="添加联系人" if before is None else "修改联系人")
    return saved


@transaction.atomic
def contact_delete(*, contact: Contact, user=None) -> None:
    """Remove a contact from its customer (audited, under the customer's branch)."""
    stored = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    _check_scope(stored.customer, user)
    before, pk = audit.snapshot(stored), stored.pk
    stored.delete()
    stored.pk = pk
    audit.record_change(obj=stored, before=before, after=None, branch_id=stored.customer.branch_id,
                        verb="删除联系人")


__all__ = ["contact_delete", "contact_save"]
