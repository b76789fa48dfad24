"""Writes for products: every save checks the terms with ioudesk.calc and keeps the annual rate
the calculations use in step with the rate as written."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.services import gate
from ioudesk.calc.errors import CalcError
from ioudesk.calc.rates import parse_rate
from ioudesk.core import audit
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.errors import ValidationFailed
from ioudesk.products.models import Product

PRODUCT_CHANGE = "product_change"  # the approval kind of changing a product (approval_kinds.py)


def terms_rate(rate_text: str):
    """The calc Rate for a rate as written; a clear error if it cannot be read."""
    try:
        return parse_rate(rate_text)
    except CalcError as error:
        raise ValidationFailed(calc_error_message(error), code=error.code) from error


def product_validate(*, product: Product) -> Product:
    product.annual_rate = terms_rate(product.rate_text).annual
    if product.min_amount <= 0 or product.max_amount < product.min_amount:
        raise ValidationFailed(_("金额范围不正确：最低金额必须大于0，且不超过最高金额。"))
    if not 1 <= product.min_term <= product.max_term <= 600:
        raise ValidationFailed(_("期数范围不正确：最短期数至少为1，且不超过最长期数（最多600期）。"))
    for field in ("upfront_fee_rate", "prepayment_fee_rate", "penalty_markup"):
        if getattr(product, field) < 0:
            raise ValidationFailed(_("费率和上浮比例不能为负数。"))
    return product


@transaction.atomic
def product_save(*, product: Product, reason: str = "", approval=None) -> Product:
    """Create or change a product. Changing one needs approval when an approval flow of the kind
    ``product_change`` applies: ``approval`` is then its approved request (docs/domain.md §23)."""
    before = audit.snapshot(Product.objects.get(pk=product.pk)) if product.pk else None
    product_validate(product=product)
    if product.pk:
        gate(PRODUCT_CHANGE, target=product, product_id=product.pk, approval=approval)
    product.save()
    audit.record_change(obj=product, before=before, after=audit.snapshot(product), reason=reason)
    return product
