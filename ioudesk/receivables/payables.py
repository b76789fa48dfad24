"""Payables (应付), the lighter half: purchase orders (采购订单) and the supplier's bill that follows
them (到票). A supplier's bill is an ordinary bill with direction ``payable`` (kind ``purchase``,
``bills.bill_create``); the VAT invoice's seller is the supplier (``seller_key``), so the same
supplier's invoice number is refused twice. docs/domain.md §26.

A purchase order is a ``Bill`` of kind ``purchase_order`` (status 已下单), never posted: ordering
owes nothing. ``purchase_order_receive`` turns it into the supplier's bill (its lines by default,
the invoice number required), submitted at once (``bills.bill_submit``: signed off or posted), and
marks the order 已到票. Payment reminders to us are the dunning day step's (``applies_to="payable"``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import format_yuan
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number
from ioudesk.receivables import numbers, predicates
from ioudesk.receivables.bills import _apply, _write_lines, bill_create, bill_submit, bill_validate
from ioudesk.receivables.events import bill_event
from ioudesk.receivables.models import Bill, BillEventKind, BillKind, BillStatus, Direction
from ioudesk.receivables.openitems import lock_bill


@transaction.atomic
def purchase_order_create(*, supplier, order_date, lines, payment_terms=None, delivery_date=None, declared_total=None,
                          external_ref="", memo="", user) -> Bill:
    """A purchase order (采购订单) to ``supplier``: checked like a bill, not posted."""
    if user is not None and not user.has_perm("receivables.add_bill"):
        raise PermissionDenied(_("您没有新建采购订单的权限。"))
    checked = bill_validate(direction=Direction.PAYABLE, kind=BillKind.PURCHASE, customer=supplier,
                            bill_date=order_date, lines=lines, payment_terms=payment_terms,
                            delivery_date=delivery_date, declared_total=declared_total, external_ref=external_ref,
                            memo=memo, user=user)
    order = Bill(status=BillStatus.ORDERED, created_by=user if getattr(user, "is_authenticated", False) else None)
    _apply(order, checked)
    order.kind = BillKind.PURCHASE_ORDER
    order.number = next_number(prefix=numbers.PURCHASE_ORDER, day=clock.today())
    order.save()
    _write_lines(order, checked.lines)
    bill_event(order, BillEventKind.CREATED, _g("采购订单：价税合计 %(total)s") % {"total": format_yuan(order.total)},
               by=user)
    audit.record(AuditAction.CREATE, obj=order, verb=_g("新建采购订单"), branch_id=order.branch_id,
                 changes={"number": [None, order.number], "supplier": [None, supplier.pk],
                          "total": [None, str(order.total)]})
    return order


def _order_lines(order: Bill) -> list[dict]:
    return [{"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price,
             "tax_rate": line.tax_rate, "kind": line.kind, "spec": line.spec, "unit": line.unit,
             "account_code": line.account_code} for line in order.lines.order_by("line_no")]


@transaction.atomic
def purchase_order_receive(*, order: Bill, vat_invoice_number: str, user, vat_invoice_date=None, bill_date=None,
                           lines=None, payment_terms=None, declared_total=None, memo: str = "", submit: bool = True) -> Bill:
    """The supplier's bill for ``order`` has come in (到票): a payable bill (its lines by default, the
    invoice number required), submitted for sign-off (posted when no flow applies); the order is 已到票."""
    order = lock_bill(order.pk)
    if not predicates.can_receive(order, user):
        if order.kind != BillKind.PURCHASE_ORDER or order.status != BillStatus.ORDERED:
            raise InvalidState(_g("单据 %(number)s 不是待到票的采购订单。") % {"number": order.number})
        raise PermissionDenied(_("您不能为这张采购订单登记到票。"))
    if not str(vat_invoice_number or "").strip():
        raise ValidationFailed(_("请填写供应商发票号码（8位或20位数字）。"), extra={"field": "vat_invoice_number",
                               "details": [{"field": "vat_invoice_number", "message": str(_("请填写供应商发票号码。"))}]})
    bill = bill_create(direction=Direction.PAYABLE, kind=BillKind.PURCHASE, customer=order.customer,
                       bill_date=bill_date or clock.today(), lines=lines if lines is not None else _order_lines(order),
                       payment_terms=payment_terms or order.payment_terms, delivery_date=order.delivery_date,
                       declared_total=declared_total, vat_invoice_number=vat_invoice_number,
                       vat_invoice_date=vat_invoice_date, external_ref=order.external_ref or order.number,
                       memo=memo or order.memo, user=user, original=order)
    Bill.objects.filter(pk=order.pk).update(status=BillStatus.RECEIVED)
    bill_event(order, BillEventKind.OTHER, _g("已到票：应付单 %(number)s") % {"number": bill.number}, by=user)
    audit.record(AuditAction.ACTION, obj=order, verb=_g("采购订单到票"), branch_id=order.branch_id,
                 changes={"status": [BillStatus.ORDERED, BillStatus.RECEIVED], "bill": [None, bill.number]})
    if submit:
        bill_submit(bill=bill, user=user)
        bill.refresh_from_db()
    return bill
