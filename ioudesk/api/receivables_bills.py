"""/api/v1/receivables/bills: bills (应收单/应付单), their open items, submission for sign-off, credit
notes (红字), adjustments, void and attachments.

The same services, permissions and data scope as the back office's bill pages: reading needs
``receivables.view_bill`` and sees the user's branches; creating ``receivables.add_bill``; the
rest as the bill's predicates say (credit notes and adjustments ``receivables.post_bill``, void
``receivables.void_bill``). The ONE validation (``bills.bill_validate``) answers 400 with every
problem in ``details`` (``lines-<i>-<field>`` for a line). Money is a string with two decimals,
dates ISO; a tax rate is a percent ("13")."""

from datetime import date, datetime
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.core.errors import ValidationFailed
from ioudesk.customers.models import Customer
from ioudesk.receivables import bills, predicates
from ioudesk.receivables.models import Bill, PaymentTerms

router = Router(tags=["往来账款"])

VIEW = "receivables.view_bill"


class BillLineIn(Schema):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    kind: Literal["goods", "service"] = "goods"
    spec: str = ""
    unit: str = ""
    account_code: str = ""


class BillIn(Schema):
    direction: Literal["receivable", "payable"] = "receivable"
    kind: Literal["sales", "service", "purchase"] = "sales"
    customer_id: int
    bill_date: date
    lines: list[BillLineIn]
    payment_terms_id: int | None = None
    delivery_date: date | None = None
    declared_total: str | None = None
    vat_invoice_number: str = ""
    vat_invoice_date: date | None = None
    external_ref: str = ""
    memo: str = ""
    submit: bool = False


class BillLineOut(Schema):
    line_no: int
    kind: str
    description: str
    spec: str
    unit: str
    quantity: str
    unit_price: str
    tax_rate: str
    net_amount: str
    tax_amount: str
    total: str


class BillDueOut(Schema):
    seq: int
    due_date: date
    amount: str
    paid: str
    credited: str
    open_amount: str
    status: str
    days_past_due: int


class BillRow(Schema):
    id: int
    number: str
    direction: str
    kind: str
    status: str
    status_display: str
    customer_id: int
    customer_name: str
    branch_id: int
    nature: str
    bill_date: date
    total: str
    open_amount: str
    due_first: date | None
    due_last: date | None
    vat_invoice_number: str
    disputed: bool


class BillDetail(BillRow):
    net_amount: str
    tax_amount: str
    paid: str
    credited: str
    terms_text: str
    payment_terms_id: int | None
    delivery_date: date | None
    vat_invoice_date: date | None
    external_ref: str
    memo: str
    original_id: int | None
    entry_number: str | None
    posted_at: datetime | None
    lines: list[BillLineOut]
    dues: list[BillDueOut]
    corrections: list[BillRow]
    actions: dict


class BillFilters(Schema):
    direction: Literal["receivable", "payable"] = "receivable"
    status: Literal["draft", "pending", "open", "paid", "void", "ordered", "received"] | None = None
    customer_id: int | None = None
    overdue: Literal["any", "short", "long"] | None = None
    bucket: Literal["current", "d1_30", "d31_60", "d61_90", "d91_180", "d181_365", "over_365"] | None = None
    disputed: bool | None = None
    nature: Literal["goods", "services", "mixed"] | None = None
    q: str | None = None


class BillSubmitIn(Schema):
    comment: str = ""


class BillSubmitOut(Schema):
    bill: BillDetail
    approval_request_id: int | None
    approval_request_number: str | None
    approval_kind: str | None


class BillCreditIn(Schema):
    reason: str
    amount: str | None = None
    lines: list[BillLineIn] | None = None
    vat_invoice_number: str = ""


class BillAdjustIn(Schema):
    amount: str
    reason: str


class BillVoidIn(Schema):
    reason: str


class BillAttachmentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


def _m(value) -> str:
    return f"{value:.2f}"


def _row(b: Bill) -> dict:
    return {"id": b.pk, "number": b.number, "direction": b.direction, "kind": b.kind, "status": b.status,
            "status_display": str(b.get_status_display()), "customer_id": b.customer_id,
            "customer_name": b.customer.name, "branch_id": b.branch_id, "nature": b.nature, "bill_date": b.bill_date,
            "total": _m(b.total), "open_amount": _m(b.open_amount), "due_first": b.due_first, "due_last": b.due_last,
            "vat_invoice_number": b.vat_invoice_number, "disputed": b.disputed}


def _detail(request, b: Bill) -> dict:
    b = bills.bill_get(request.user, b.pk)
    return {**_row(b), "net_amount": _m(b.net_amount), "tax_amount": _m(b.tax_amount), "paid": _m(b.paid),
            "credited": _m(b.credited), "terms_text": b.terms_text, "payment_terms_id": b.payment_terms_id,
            "delivery_date": b.delivery_date, "vat_invoice_date": b.vat_invoice_date, "external_ref": b.external_ref,
            "memo": b.memo, "original_id": b.original_id, "entry_number": b.entry.number if b.entry_id else None,
            "posted_at": b.posted_at,
            "lines": [{"line_no": x.line_no, "kind": x.kind, "description": x.description, "spec": x.spec,
                       "unit": x.unit, "quantity": f"{x.quantity.normalize():f}",
                       "unit_price": f"{x.unit_price.normalize():f}", "tax_rate": f"{x.tax_rate.normalize():f}",
                       "net_amount": _m(x.net_amount), "tax_amount": _m(x.tax_amount), "total": _m(x.total)}
                      for x in b.lines.order_by("line_no")],
            "dues": [{"seq": d.seq, "due_date": d.due_date, "amount": _m(d.amount), "paid": _m(d.paid),
                      "credited": _m(d.credited), "open_amount": _m(d.open_amount), "status": d.status,
                      "days_past_due": d.days_past_due} for d in b.dues.order_by("seq")],
            "corrections": [_row(c) for c in b.corrections.select_related("customer").order_by("id")],
            "actions": predicates.offered_actions(b, request.user)}


def _get(request, bill_id: int) -> Bill:
    bill = bills.bill_get(request.user, bill_id)
    if bill is None:
        raise Http404
    return bill


def _lines(lines) -> list[dict]:
    return [line.dict() for line in lines or []]


@router.get("/bills", response={200: list[BillRow], **READ_ERRORS}, summary="往来单据列表（应收/应付，筛选、分页）")
@paginate(Pages, page_size=50)
def bill_list(request, filters: Query[BillFilters]):
    require_perm(request, VIEW)
    values = {k: v for k, v in filters.dict().items() if v is not None}
    if "customer_id" in values:
        values["customer"] = str(values.pop("customer_id"))
    if values.get("disputed") is True:
        values["disputed"] = "1"
    else:
        values.pop("disputed", None)
    return [_row(b) for b in bills.bill_list(request.user, values)]


@router.get("/bills/{int:bill_id}", response={200: BillDetail, **READ_ERRORS},
            summary="往来单据详情（明细、到期明细、红冲与调整、可办理的操作）")
def bill_detail(request, bill_id: int):
    require_perm(request, VIEW)
    return _detail(request, _get(request, bill_id))


@router.post("/bills", response={201: BillDetail, **WRITE_ERRORS},
             summary="新建往来单据（草稿；`submit` 为 `true` 时立即提交审核）")
def bill_create(request, payload: BillIn):
    require_perm(request, "receivables.add_bill")
    customer = Customer.objects.filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationFailed(_("往来单位不存在。"), extra={"field": "customer_id"})
    terms = None
    if payload.payment_terms_id is not None:
        terms = PaymentTerms.objects.filter(pk=payload.payment_terms_id).first()
        if terms is None:
            raise ValidationFailed(_("付款条件不存在。"), extra={"field": "payment_terms_id"})
    bill = bills.bill_create(direction=payload.direction, kind=payload.kind, customer=customer,
                             bill_date=payload.bill_date, lines=_lines(payload.lines), payment_terms=terms,
                             delivery_date=payload.delivery_date, declared_total=payload.declared_total,
                             vat_invoice_number=payload.vat_invoice_number, vat_invoice_date=payload.vat_invoice_date,
                             external_ref=payload.external_ref, memo=payload.memo, user=request.user)
    if payload.submit:
        bills.bill_submit(bill=bill, user=request.user)
    return Status(201, _detail(request, bill))


@router.post("/bills/{int:bill_id}/submit", response={200: BillSubmitOut, **WRITE_ERRORS},
             summary="提交审核（超信用额度或有长期欠款时走信用审批；无审批流时立即生效）")
def bill_submit(request, bill_id: int, payload: BillSubmitIn):
    require_perm(request, VIEW)
    bill = _get(request, bill_id)
    outcome = bills.bill_submit(bill=bill, user=request.user, comment=payload.comment)
    return {"bill": _detail(request, bill), "approval_request_id": outcome.request.pk if outcome.request else None,
            "approval_request_number": outcome.request.number if outcome.request else None,
            "approval_kind": outcome.request.kind if outcome.request else None}


@router.post("/bills/{int:bill_id}/credit-notes", response={201: BillDetail, **WRITE_ERRORS},
             summary="红字冲减（按含税金额或退货明细；不超过未结金额）")
def bill_credit_note(request, bill_id: int, payload: BillCreditIn):
    require_perm(request, VIEW)
    bill = _get(request, bill_id)
    note = bills.credit_note_create(original=bill, reason=payload.reason, user=request.user,
                                    lines=_lines(payload.lines) if payload.lines is not None else None,
                                    amount=payload.amount, vat_invoice_number=payload.vat_invoice_number)
    return Status(201, _detail(request, note))


@router.post("/bills/{int:bill_id}/adjustments", response={201: BillDetail, **WRITE_ERRORS},
             summary="调整（不含税；正数调增、负数调减）")
def bill_adjust(request, bill_id: int, payload: BillAdjustIn):
    require_perm(request, VIEW)
    adjustment = bills.bill_adjust(bill=_get(request, bill_id), amount=payload.amount, reason=payload.reason,
                                   user=request.user)
    return Status(201, _detail(request, adjustment))


@router.post("/bills/{int:bill_id}/void", response={200: BillDetail, **WRITE_ERRORS},
             summary="作废（草稿、待审批；已生效且未核销、未红冲的单据冲正后作废）")
def bill_void(request, bill_id: int, payload: BillVoidIn):
    require_perm(request, VIEW)
    bill = bills.bill_void(bill=_get(request, bill_id), reason=payload.reason, user=request.user)
    return _detail(request, bill)


@router.get("/bills/{int:bill_id}/attachments", response={200: list[BillAttachmentOut], **READ_ERRORS},
            summary="单据附件列表")
def bill_attachments(request, bill_id: int):
    require_perm(request, VIEW)
    bill = _get(request, bill_id)
    return [{"id": a.pk, "kind": a.kind, "original_name": a.original_name, "content_type": a.content_type,
             "size": a.size, "sha256": a.sha256, "uploaded_at": a.uploaded_at} for a in bill.attachments.order_by("id")]


@router.post("/bills/{int:bill_id}/attachments", response={201: BillAttachmentOut, **WRITE_ERRORS},
             summary="上传单据附件（表单字段 `kind`、`file`；按内容检查类型，记录 SHA-256）")
def bill_attach(request, bill_id: int, kind: Form[Literal["delivery", "contract", "invoice", "acceptance", "other"]],
                file: File[UploadedFile]):
    require_perm(request, VIEW)
    row = bills.bill_attach(bill=_get(request, bill_id), kind=kind, upload=file, user=request.user)
    return Status(201, {"id": row.pk, "kind": row.kind, "original_name": row.original_name,
                        "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
                        "uploaded_at": row.uploaded_at})
