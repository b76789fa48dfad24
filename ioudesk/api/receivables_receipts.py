"""/api/v1/receivables/receipts: receipts and payments (收付款), matching (核销) by the rules or by
hand, undo, suggestions, 无需核销.

The same services, permissions and data scope as the back office's 收付款 pages: reading needs
``receivables.view_receipt`` and sees the user's branches; creating ``receivables.add_receipt``;
matching, accepting a suggestion and undo ``receivables.match_receipt`` (an IOU allocation's undo
also ``ious.reverse_transaction``). Money is a string with two decimals, dates ISO. A refused match
answers 400 with each problem in ``details``."""

from datetime import date, datetime
from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.calc.money import positive_amount
from ioudesk.core.errors import ValidationFailed
from ioudesk.ious.models import Iou
from ioudesk.receivables import matching, receipts
from ioudesk.receivables.models import Allocation, BillDue, MatchSuggestion

router = Router(tags=["往来账款"])

VIEW = "receivables.view_receipt"
MATCH = "receivables.match_receipt"


class ReceivablesReceiptIn(Schema):
    direction: Literal["receivable", "payable"] = "receivable"
    channel: Literal["bank", "cash", "wechat", "alipay", "acceptance"] = "bank"
    account_code: str = "100201"
    day: date
    amount: str
    payer_name: str = ""
    payer_account: str = ""
    payer_bank: str = ""
    memo: str = ""
    reference: str = ""
    customer_id: int | None = None
    auto_match: bool = True


class AllocationOut(Schema):
    id: int
    bill_number: str | None
    due_seq: int | None
    iou_number: str | None
    amount: str
    method: str
    day: date
    undone: bool
    undo_reason: str


class SuggestionOut(Schema):
    id: int
    bill_number: str | None
    due_seq: int | None
    iou_number: str | None
    amount: str
    rule: str
    reason: str


class ReceiptOut(Schema):
    id: int
    number: str
    direction: str
    channel: str
    account_code: str
    day: date
    amount: str
    matched: str
    unmatched: str
    status: str
    payer_name: str
    payer_account_last4: str
    memo: str
    reference: str
    customer_id: int | None
    customer_name: str | None
    created_at: datetime


class ReceiptDetailOut(ReceiptOut):
    allocations: list[AllocationOut]
    suggestions: list[SuggestionOut]


class MatchTargetIn(Schema):
    due_id: int | None = None
    iou_id: int | None = None
    amount: str


class MatchIn(Schema):
    targets: list[MatchTargetIn] = []
    auto: bool = False  # True: run the rules instead of the targets


class UndoIn(Schema):
    reason: str


class IgnoreIn(Schema):
    account_code: str
    reason: str


class ListFilters(Schema):
    direction: Literal["receivable", "payable"] | None = None
    status: Literal["unmatched", "partial", "matched", "ignored"] | None = None
    channel: Literal["bank", "cash", "wechat", "alipay", "acceptance"] | None = None
    day_from: date | None = None
    day_to: date | None = None
    customer_id: int | None = None
    q: str | None = None


def _m(value) -> str:
    return f"{value:.2f}"


def _row(r) -> dict:
    return {"id": r.pk, "number": r.number, "direction": r.direction, "channel": r.channel,
            "account_code": r.account_code, "day": r.day, "amount": _m(r.amount), "matched": _m(r.matched),
            "unmatched": _m(r.unmatched), "status": r.status, "payer_name": r.payer_name,
            "payer_account_last4": r.payer_account_last4, "memo": r.memo, "reference": r.reference,
            "customer_id": r.customer_id, "customer_name": r.customer.name if r.customer_id else None,
            "created_at": r.created_at}


def _detail(request, pk: int) -> dict:
    r = receipts.receipt_get(request.user, pk)
    if r is None:
        raise Http404
    allocations = [{"id": a.pk, "bill_number": a.due.bill.number if a.due_id else None,
                    "due_seq": a.due.seq if a.due_id else None, "iou_number": a.iou.number if a.iou_id else None,
                    "amount": _m(a.amount), "method": a.method, "day": a.day, "undone": a.undone,
                    "undo_reason": a.undo_reason}
                   for a in r.allocations.select_related("due__bill", "iou").order_by("id")]
    suggestions = [{"id": s.pk, "bill_number": s.due.bill.number if s.due_id else None,
                    "due_seq": s.due.seq if s.due_id else None, "iou_number": s.iou.number if s.iou_id else None,
                    "amount": _m(s.amount), "rule": s.rule, "reason": s.reason}
                   for s in r.suggestions.select_related("due__bill", "iou")]
    return {**_row(r), "allocations": allocations, "suggestions": suggestions}


def _receipt(request, pk: int):
    r = receipts.receipt_get(request.user, pk)
    if r is None:
        raise Http404
    return r


@router.get("/receipts", response={200: list[ReceiptOut], **READ_ERRORS}, summary="收付款列表")
@paginate(Pages)
def receipt_list(request, filters: Query[ListFilters]):
    require_perm(request, VIEW)
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.dict().items() if v is not None}
    if "customer_id" in values:
        values["customer"] = str(values.pop("customer_id"))
    return [_row(r) for r in receipts.receipt_list(request.user, values)]


@router.get("/receipts/{receipt_id}", response={200: ReceiptDetailOut, **READ_ERRORS}, summary="收付款详情")
def receipt_detail(request, receipt_id: int):
    require_perm(request, VIEW)
    return _detail(request, receipt_id)


@router.post("/receipts", response={201: ReceiptDetailOut, **WRITE_ERRORS}, summary="登记收款或付款")
def receipt_create(request, payload: ReceivablesReceiptIn):
    require_perm(request, "receivables.add_receipt")
    customer = None
    if payload.customer_id is not None:
        customer = receipts.customer_for_matching(request.user, payload.customer_id)
        if customer is None:
            raise ValidationFailed("往来单位不存在，或您无权查看。", extra={"field": "customer_id"})
    receipt = receipts.receipt_create(
        direction=payload.direction, channel=payload.channel, account_code=payload.account_code, day=payload.day,
        amount=payload.amount, payer_name=payload.payer_name, payer_account=payload.payer_account,
        payer_bank=payload.payer_bank, memo=payload.memo, reference=payload.reference, customer=customer,
        branch=request.user.branch, user=request.user, auto_match=payload.auto_match)
    return Status(201, _detail(request, receipt.pk))


@router.post("/receipts/{receipt_id}/match", response={200: ReceiptDetailOut, **WRITE_ERRORS},
             summary="核销（按规则或手工指定未结项）")
def receipt_match(request, receipt_id: int, payload: MatchIn):
    require_perm(request, MATCH)
    receipt = _receipt(request, receipt_id)
    if payload.auto:
        matching.match_receipts([receipt.pk], user=request.user)
        return _detail(request, receipt.pk)
    targets = []
    for target in payload.targets:
        if (target.due_id is None) == (target.iou_id is None):
            raise ValidationFailed("每一项须指定 due_id（单据到期明细）或 iou_id（借据）之一。", extra={"field": "targets"})
        found = (BillDue.objects.filter(pk=target.due_id).first() if target.due_id is not None
                 else Iou.objects.filter(pk=target.iou_id).first())
        if found is None:
            raise ValidationFailed("所指定的未结项不存在。", extra={"field": "targets"})
        targets.append((found, _amount(target.amount)))
    matching.match_manual(receipt=receipt, targets=targets, user=request.user)
    return _detail(request, receipt.pk)


def _amount(raw: str):
    """The amount of one target: calc's parsing (a number > 0 with at most two decimals)."""
    return positive_amount(str(raw).replace(",", "").strip(), field="核销金额")


@router.post("/receipts/{receipt_id}/suggestions/{suggestion_id}/accept",
             response={200: ReceiptDetailOut, **WRITE_ERRORS}, summary="确认核销建议")
def suggestion_accept(request, receipt_id: int, suggestion_id: int):
    require_perm(request, MATCH)
    receipt = _receipt(request, receipt_id)
    suggestion = MatchSuggestion.objects.filter(receipt=receipt, pk=suggestion_id).first()
    if suggestion is None:
        raise Http404
    matching.suggestion_accept(suggestion=suggestion, user=request.user)
    return _detail(request, receipt.pk)


@router.post("/receipts/{receipt_id}/allocations/{allocation_id}/undo",
             response={200: ReceiptDetailOut, **WRITE_ERRORS}, summary="撤销核销（记反向凭证）")
def allocation_undo(request, receipt_id: int, allocation_id: int, payload: UndoIn):
    require_perm(request, MATCH)
    receipt = _receipt(request, receipt_id)
    allocation = Allocation.objects.filter(receipt=receipt, pk=allocation_id).first()
    if allocation is None:
        raise Http404
    matching.allocation_undo(allocation=allocation, reason=payload.reason, user=request.user)
    return _detail(request, receipt.pk)


@router.post("/receipts/{receipt_id}/ignore", response={200: ReceiptDetailOut, **WRITE_ERRORS},
             summary="无需核销（转入指定科目）")
def receipt_ignore(request, receipt_id: int, payload: IgnoreIn):
    require_perm(request, MATCH)
    receipt = _receipt(request, receipt_id)
    receipts.receipt_ignore(receipt=receipt, account_code=payload.account_code, reason=payload.reason,
                            user=request.user)
    return _detail(request, receipt.pk)


