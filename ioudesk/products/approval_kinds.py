"""Changing a product (产品变更) as an approval request kind (maker-checker, docs/domain.md §23),
registered at start-up (``apps.py``). The target is the product; the payload holds the changed
fields as JSON (``{"fields": {"rate_text": "10%", ...}, "reason": "..."}``); the executor, run on the
last approval, sets them on the product as stored then and saves it through ``product_save``, which
checks the terms again. A new product is not a change and needs no approval."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.registry import RequestKind, register_request_kind
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.products.models import Product
from ioudesk.products.services import PRODUCT_CHANGE, product_save, product_validate


def changed_fields(product: Product, fields: dict) -> dict:
    """``fields`` (name → value as a form cleans it) as JSON values, only those that differ from the
    product as stored."""
    stored = Product.objects.get(pk=product.pk)
    changed = {name: value for name, value in fields.items() if getattr(stored, name) != value}
    return json.loads(json.dumps(changed, cls=DjangoJSONEncoder))


def _apply(product: Product, fields: dict) -> Product:
    for name, value in fields.items():
        field = Product._meta.get_field(name)
        setattr(product, name, field.to_python(value))
    return product


def _execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    product = _apply(target, payload.get("fields") or {})
    product_save(product=product, reason=payload.get("reason") or "", approval=approval)
    return {"product": product.pk, "fields": sorted(payload.get("fields") or {})}


def _text(value) -> str:
    if value is True:
        return _g("是")
    if value is False:
        return _g("否")
    return "—" if value in (None, "") else str(value)


def _describe(request) -> list[tuple[str, str]]:
    product = Product.objects.filter(pk=request.target_id).first()
    rows = [(_g("产品"), f"{product.code} {product.name}" if product else str(request.target_id))]
    for name, value in (request.payload.get("fields") or {}).items():
        field = Product._meta.get_field(name)
        before = getattr(product, name) if product else None
        if getattr(field, "choices", None):
            names = dict(field.flatchoices)
            before, value = names.get(before, before), names.get(value, value)
        rows.append((str(field.verbose_name), f"{_text(before)} → {_text(value)}"))
    if request.payload.get("reason"):
        rows.append((_g("原因"), request.payload["reason"]))
    return rows


def _validate(target, payload, user) -> None:
    if user is not None and not user.has_perm("products.change_product"):
        raise PermissionDenied(_("您没有修改产品的权限。"))
    fields = payload.get("fields") or {}
    unknown = [name for name in fields if name not in {f.name for f in Product._meta.concrete_fields}]
    if unknown:
        raise ValidationFailed(_("产品没有这些字段：%(fields)s") % {"fields": "、".join(unknown)})
    product_validate(product=_apply(Product.objects.get(pk=target.pk), fields))  # a copy: nothing saved


def register() -> None:
    register_request_kind(RequestKind(
        code=PRODUCT_CHANGE, label=_("产品变更"), execute=_execute, describe=_describe, validate=_validate,
        url=lambda request: f"/admin/products/product/{request.target_id}/change/"))
