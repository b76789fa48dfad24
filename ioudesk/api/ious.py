"""/api/v1/ious: IOUs (借据/欠条), their schedules and transactions, and every money operation.

Same services, permissions, data scope and audit trail as the back office. Money is a string with
two decimals both ways ("888.49"); dates are ISO (2026-01-15); the business date is the
organisation's (``clock.today()``).

Idempotency. Every POST that moves money (disburse, repayments, waivers, reversal, early settlement,
refunds, write-off, recoveries) needs an ``Idempotency-Key`` header (1–80 printable characters, a
UUID is best). Without it: 400 ``idempotency_key_required``. The key is passed to the service,
which posts once per key. Sending the same key again answers **201 again with a byte-identical
body** (the first transaction; the body holds only what never changes after posting) and the
header ``Idempotent-Replayed: true``. The same key with any other request — another IOU, another
endpoint, or any other field of the body (amount, day, method, payer, reference, reason …) — is
refused with 422 ``idempotency_key_reused`` and posts nothing. The rule is the services' (a
fingerprint of the request is stored with the key: ioudesk/ious/services/idempotency.py), so the
back office follows it too. A request that failed (4xx) posted nothing, so its key may be sent again.

Extensions (展期) take the key too: the same key and terms extend once and answer the first new
version with the header; the same key with other terms is refused like a money operation.

Maker-checker (docs/domain.md §23). A waiver, reversal, write-off, extension or refund to which an
approval flow applies is not done at once: it is submitted for approval and answered **202** with the
approval request (``approval_request``: id, number 审批单号, kind, status); its last approval (by
someone other than the caller: ``POST /api/v1/approvals/{id}/decide``) carries it out with the same
key. While a request for an operation is open on the IOU, another is refused (400
``approval_open``). An IOU whose sign-off a flow decides is approved through its request, not
``/approve`` (400 ``approval_required``); ``approval_requests`` on the IOU lists what is open.
"""
from datetime import date
from decimal import Decimal

from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS, error_body
from ioudesk.api.ious_schemas import (
    PRODUCT_FIELDS,
    ClassifyIn,
    CommentIn,
    DisburseIn,
    EarlySettlementIn,
    ExtensionIn,
    Filters,
    IouApprovalSubmitted,
    IouCreated,
    IouDetail,
    IouIn,
    IouRow,
    QuoteIn,
    QuoteOut,
    ReasonIn,
    RefundIn,
    RepaymentIn,
    ScheduleOut,
    ScheduleVersionOut,
    TransactionOut,
    TransactionRow,
    WaiverIn,
    WriteOffIn,
)
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.approvals.models import ApprovalRequest
from ioudesk.approvals.services import submit_or_run
from ioudesk.calc.money import parse_amount
from ioudesk.core import clock, scope
from ioudesk.core.errors import ApplicationError, ValidationFailed
from ioudesk.customers.models import Customer
from ioudesk.ious import predicates
from ioudesk.ious.approval_codes import IOU_EXTEND, IOU_REFUND, IOU_WAIVE, IOU_WRITE_OFF, TRANSACTION_REVERSE
from ioudesk.ious.models import (
    Iou,
    IouKind,
    ScheduleVersion,
    Transaction,
)
from ioudesk.ious.selectors import iou_queryset
from ioudesk.ious.services import (
    iou_approve,
    iou_cancel,
    iou_create,
    iou_reject,
    iou_submit,
)
from ioudesk.ious.services.classification import iou_classify
from ioudesk.ious.services.corrections import WAIVABLE_NAMES, iou_waive, transaction_reverse
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.idempotency import REPLAY_ATTRIBUTE, IdempotencyKeyReused, is_replay
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_refund_credit, iou_settle_early, iou_settlement_quote
from ioudesk.ious.services.writeoff import iou_recover, iou_write_off
from ioudesk.ious.terms import calc_guard
from ioudesk.ledger.models import JournalEntry
from ioudesk.products.models import Product

router = Router(tags=["借据"])

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX = 80  # Transaction.idempotency_key



# --- helpers -----------------------------------------------------------------------------------


class IdempotencyKeyRequired(ApplicationError):
    code = "idempotency_key_required"


KeyHeader = Header(None, alias=KEY_HEADER, description="幂等键（必填，如 UUID）：同一笔业务重试时使用同一个键")


def _scoped(request):
    return iou_queryset(request.user)


def _iou(request, iou_id: int) -> Iou:
    return get_object_or_404(_scoped(request), pk=iou_id)


def _fresh(iou: Iou) -> Iou:
    return Iou.objects.select_related("customer", "branch").get(pk=iou.pk)


def _money(value, field: str) -> Decimal:
    return calc_guard(parse_amount, value, field=field)


def _key(value: str | None) -> str:
    key = (value or "").strip()
    if not key:
        raise IdempotencyKeyRequired(
            _("资金类操作必须在请求头 Idempotency-Key 中提供幂等键（如一个 UUID）；"
              "网络重试时请使用同一个键，系统保证只入账一次。"))
    if len(key) > KEY_MAX or not key.isprintable():
        raise ValidationFailed(_("幂等键最长 %(max)d 个字符，且不能含控制字符。") % {"max": KEY_MAX},
                               code="idempotency_key_invalid")
    return key


def _money_operation(response: HttpResponse, call):
    """Run one money service with the key; answer 201 with the transaction, first time or replayed.

    The service decides (services/idempotency.py): the same key with the same request answers the
    first transaction without posting (then the header says so); with any other request it refuses
    with IdempotencyKeyReused (422). Two requests with one key at the same moment: the service's
    lock makes one wait, and it then finds the other's transaction. Should the key's unique index
    still be hit (the twin was on another IOU), the call is made again and finds the key.
    """
    try:
        try:
            record = call()
        except IntegrityError:
            record = call()
    except IdempotencyKeyReused as error:
        return Status(422, error_body(error.code, error.message))
    if isinstance(record, ApprovalRequest):
        return _submitted(record)
    if is_replay(record):
        response[REPLAYED_HEADER] = "true"
    return Status(201, Transaction.objects.get(pk=record.pk))  # as stored, the same for every replay


def _through_approval(request, iou: Iou, *, kind: str, key: str, payload: dict, summary: str, amount, direct,
                      model=Transaction):
    """submit_or_run for a money operation: the ApprovalRequest when it was submitted for approval,
    else the record the operation made (marked as a replay when the key had made it before).
    A key that already made its record is answered by the service itself (replayed or refused as
    reused), before any flow is asked."""
    if (Transaction.objects.filter(idempotency_key=key).exists()
            or ScheduleVersion.objects.filter(idempotency_key=key).exists()):
        return direct()
    outcome = submit_or_run(kind=kind, target=iou, user=request.user, payload={**payload, "idempotency_key": key},
                            summary=summary, reason=payload.get("reason", ""), amount=amount, product=iou.product,
                            branch=iou.branch)
    if outcome.request is not None:
        return outcome.request
    result = outcome.result or {}
    record = model.objects.get(pk=result["transaction" if model is Transaction else "schedule_version"])
    if result.get("replayed"):
        setattr(record, REPLAY_ATTRIBUTE, True)
    return record


def _submitted(approval_request: ApprovalRequest):
    return Status(202, {"message": _("已提交审批（审批单号 %(number)s），审批通过后自动执行。") % {
        "number": approval_request.number}, "approval_request": approval_request})


KEY_ERRORS = WRITE_ERRORS  # 400 idempotency_key_required, 422 idempotency_key_reused, …
APPROVAL = {202: IouApprovalSubmitted}  # submitted for approval (maker-checker)


# --- reads -------------------------------------------------------------------------------------


@router.get("", response={200: list[IouRow], **READ_ERRORS}, summary="借据列表（筛选、分页）")
@paginate(Pages, page_size=50)
def iou_list(request, filters: Query[Filters]):
    require_perm(request, "ious.view_iou")
    queryset = _scoped(request).order_by("-id")
    for field in ("status", "kind", "customer_id", "branch_id"):
        if getattr(filters, field) is not None:
            queryset = queryset.filter(**{field: getattr(filters, field)})
    if filters.number:
        queryset = queryset.filter(number__icontains=filters.number.strip())
    return queryset


@router.get("/{int:iou_id}", response={200: IouDetail, **READ_ERRORS}, summary="借据详情（条款、余额、状态、利率上限检查）")
def iou_detail(request, iou_id: int):
    require_perm(request, "ious.view_iou")
    return _iou(request, iou_id)


@router.get("/{int:iou_id}/schedule", response={200: ScheduleOut, **READ_ERRORS}, summary="还款计划（当前版本及历史版本）")
def iou_schedule(request, iou_id: int):
    require_perm(request, "ious.view_iou")
    iou = _iou(request, iou_id)
    versions = list(ScheduleVersion.objects.filter(iou=iou).order_by("version").prefetch_related("installments"))
    return {"current": next((v for v in versions if v.is_current), None), "versions": versions}


@router.get("/{int:iou_id}/transactions", response={200: list[TransactionRow], **READ_ERRORS}, summary="交易（放款、还款、减免、冲正…）")
def iou_transactions(request, iou_id: int):
    require_perm(request, "ious.view_iou")
    iou = _iou(request, iou_id)
    records = list(Transaction.objects.filter(iou=iou).select_related("reversed_by").order_by("day", "id"))
    numbers = dict(JournalEntry.objects.filter(pk__in=[r.entry_id for r in records if r.entry_id])
                   .values_list("pk", "number"))
    for record in records:
        record.entry_number = numbers.get(record.entry_id)
        record.reversed_by_id = record.reversed_by.pk if record.is_reversed else None
    return records


def _quote(request, iou_id: int, day: date | None):
    require_perm(request, "ious.view_iou")
    quote = iou_settlement_quote(iou=_iou(request, iou_id), user=request.user, day=day)
    return {**{name: getattr(quote, name) for name in QuoteOut.model_fields if name != "total"}, "total": quote.total}


@router.get("/{int:iou_id}/settlement-quote", response={200: QuoteOut, **READ_ERRORS},
            summary="提前结清报价（先计提到报价日已到期的利息和罚息）")
def iou_settlement_quote_get(request, iou_id: int, day: date | None = None):
    return _quote(request, iou_id, day)


@router.post("/{int:iou_id}/settlement-quote", response={200: QuoteOut, **READ_ERRORS}, summary="提前结清报价（同 GET）")
def iou_settlement_quote_post(request, iou_id: int, payload: QuoteIn):
    return _quote(request, iou_id, payload.day)


# --- origination and sign-off -------------------------------------------------------------------


def _fields(request, payload: IouIn) -> dict:
    """The request as iou_create's keyword arguments (the service builds the IOU); field errors
    are reported with the field's name."""
    data = payload.dict(exclude_unset=True)
    customer = get_object_or_404(scope.scope_queryset(request.user, Customer.objects.all()), pk=payload.customer_id)
    contract_date = payload.contract_date or clock.today()
    details = []
    general = {name: data[name] for name in ("first_due", "reason", "creditor", "guarantor", "witness", "notes",
                                             "debt_reason", "payment_terms", "due_date", "confirm_checks",
                                             "guarantee_type", "purpose_category")
               if name in data}
    if payload.product_id is not None:
        if payload.kind != IouKind.LOAN:
            details.append({"field": "product_id", "message": _("欠条不使用产品，请去掉 product_id")})
        details += [{"field": name, "message": _("使用产品时由产品确定，不能另行指定")}
                    for name in PRODUCT_FIELDS if data.get(name) is not None]
        if payload.term is None:
            details.append({"field": "term", "message": _("请填写期数")})
        if details:
            raise ValidationFailed(_("请求数据有误：") + "；".join(f"{d['field']}：{d['message']}" for d in details),
                                   extra={"details": details})
        product = Product.objects.filter(pk=payload.product_id).first()
        if product is None:
            raise ValidationFailed(_("产品不存在（product_id=%(id)s）。") % {"id": payload.product_id},
                                   extra={"details": [{"field": "product_id", "message": _("产品不存在")}]})
        return {"kind": IouKind.LOAN, "product": product, "customer": customer, "principal": payload.principal,
                "term": payload.term, "contract_date": contract_date, **general}

    if payload.kind == IouKind.LOAN:
        details += [{"field": name, "message": _("普通借条必须填写（如利率 12%、期数 12）")}
                    for name in ("rate_text", "term") if data.get(name) is None]
        if details:
            raise ValidationFailed(_("请求数据有误：") + "；".join(f"{d['field']}：{d['message']}" for d in details),
                                   extra={"details": details})
    terms = {name: data[name] for name in PRODUCT_FIELDS if data.get(name) is not None}
    return {"kind": payload.kind, "customer": customer, "principal": _money(payload.principal, "本金"),
            "term": payload.term or 1, "contract_date": contract_date, **general, **terms}


@router.post("", response={201: IouCreated, **WRITE_ERRORS}, summary="新建借据：产品借款、普通借条或欠条（草稿）")
def iou_create_endpoint(request, payload: IouIn):
    require_perm(request, "ious.add_iou")
    iou, warning = iou_create(user=request.user, **_fields(request, payload))
    iou = _fresh(iou)
    iou.cap_warning = warning
    return Status(201, iou)


@router.post("/{int:iou_id}/submit", response={200: IouDetail, **WRITE_ERRORS}, summary="提交审批")
def iou_submit_endpoint(request, iou_id: int):
    require_perm(request, "ious.add_iou")
    return _fresh(iou_submit(iou=_iou(request, iou_id), user=request.user))


@router.post("/{int:iou_id}/approve", response={200: IouDetail, **WRITE_ERRORS}, summary="审批通过（录入人以外的审批员）")
def iou_approve_endpoint(request, iou_id: int, payload: CommentIn):
    require_perm(request, "ious.approve_iou")
    return _fresh(iou_approve(iou=_iou(request, iou_id), user=request.user, comment=payload.comment))


@router.post("/{int:iou_id}/reject", response={200: IouDetail, **WRITE_ERRORS}, summary="驳回（退回草稿，须填写审批意见）")
def iou_reject_endpoint(request, iou_id: int, payload: CommentIn):
    require_perm(request, "ious.approve_iou")
    return _fresh(iou_reject(iou=_iou(request, iou_id), user=request.user, comment=payload.comment))


@router.post("/{int:iou_id}/cancel", response={200: IouDetail, **WRITE_ERRORS}, summary="作废（草稿、待审批、已批准的借据）")
def iou_cancel_endpoint(request, iou_id: int, payload: ReasonIn):
    require_perm(request, "ious.add_iou")
    return _fresh(iou_cancel(iou=_iou(request, iou_id), user=request.user, reason=payload.reason))


@router.post("/{int:iou_id}/classify", response={200: IouDetail, **WRITE_ERRORS},
             summary="调整五级分类（人工认定，不能好于逾期天数对应的下限）")
def iou_classify_endpoint(request, iou_id: int, payload: ClassifyIn):
    """人工认定五级分类：借据的五级分类取人工认定与逾期天数下限中更差的一级，日终不会覆盖更差的人工认定。认定前先计罚息至营业日，认定及理由记入审计日志。

    错误：400 好于逾期天数下限或未填理由（错误明细中指明字段），400 借据不是生效、逾期或已展期，403 没有“可以调整五级分类”权限。不是资金类操作，不需要幂等键。
    """
    # The docstring is the API docs' description (Chinese on a Chinese page). Same predicate as the
    # IOU page's button: predicates.ACTIONS["classify"]; the service checks it again. Errors: 400
    # validation_failed with details[0].field "classification" (better than the floor) or "reason";
    # 400 invalid_state (not live); 403 permission_denied. No Idempotency-Key (not money).
    require_perm(request, predicates.ACTIONS["classify"][0])
    iou = _iou(request, iou_id)
    try:
        iou = iou_classify(iou=iou, classification=payload.classification, reason=payload.reason, user=request.user)
    except ValidationFailed as error:
        field = error.extra.get("field")
        if field and not error.extra.get("details"):
            error.extra["details"] = [{"field": field, "message": str(error.message)}]
        raise
    return _fresh(iou)


# --- money operations (Idempotency-Key required) ------------------------------------------------


@router.post("/{int:iou_id}/disburse", response={201: TransactionOut, **KEY_ERRORS},
             summary="放款（借款）/ 生效（欠条）")
def iou_disburse_endpoint(request, response: HttpResponse, iou_id: int, payload: DisburseIn,
                          idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.disburse_iou")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    return _money_operation(
        response,
        lambda: iou_disburse(iou=iou, user=request.user, day=payload.day, funding_account=payload.funding_account,
                             reference=payload.reference, idempotency_key=key))


@router.post("/{int:iou_id}/repayments", response={201: TransactionOut, **KEY_ERRORS}, summary="登记还款")
def iou_repay_endpoint(request, response: HttpResponse, iou_id: int, payload: RepaymentIn,
                       idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.record_repayment")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    amount = _money(payload.amount, "还款金额")
    return _money_operation(
        response,
        lambda: iou_repay(iou=iou, amount=amount, user=request.user, day=payload.day, method=payload.method,
                          reference=payload.reference, payer=payload.payer, idempotency_key=key))


@router.post("/{int:iou_id}/waivers", response={201: TransactionOut, **APPROVAL, **KEY_ERRORS},
             summary="减免利息、罚息或费用（须审批时提交审批，202）")
def iou_waive_endpoint(request, response: HttpResponse, iou_id: int, payload: WaiverIn,
                       idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.waive_iou")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    amount = _money(payload.amount, "减免金额")
    return _money_operation(response, lambda: _through_approval(
        request, iou, kind=IOU_WAIVE, key=key, amount=amount,
        payload={"component": payload.component, "amount": str(amount), "reason": payload.reason},
        summary=_("减免 %(number)s %(component)s ¥%(amount)s") % {
            "number": iou.number, "component": WAIVABLE_NAMES.get(payload.component, payload.component),
            "amount": f"{amount:,.2f}"},
        direct=lambda: iou_waive(iou=iou, component=payload.component, amount=amount, reason=payload.reason,
                                 user=request.user, idempotency_key=key)))


@router.post("/{int:iou_id}/transactions/{int:txn_id}/reversal",
             response={201: TransactionOut, **APPROVAL, **KEY_ERRORS},
             summary="冲正还款、减免或放款（后续还款按原顺序重新分摊；须审批时提交审批，202）")
def iou_reverse_endpoint(request, response: HttpResponse, iou_id: int, txn_id: int, payload: ReasonIn,
                         idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.reverse_transaction")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    record = get_object_or_404(Transaction.objects.select_related("iou"), pk=txn_id, iou=iou)
    return _money_operation(response, lambda: _through_approval(
        request, iou, kind=TRANSACTION_REVERSE, key=key, amount=record.amount,
        payload={"transaction": record.pk, "reason": payload.reason},
        summary=_("冲正 %(number)s：%(what)s") % {"number": iou.number, "what": str(record)},
        direct=lambda: transaction_reverse(record=record, reason=payload.reason, user=request.user,
                                           idempotency_key=key)))


@router.post("/{int:iou_id}/early-settlement", response={201: TransactionOut, **KEY_ERRORS},
             summary="提前结清（金额不少于当日报价）")
def iou_settle_early_endpoint(request, response: HttpResponse, iou_id: int, payload: EarlySettlementIn,
                              idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.record_repayment")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    amount = _money(payload.amount, "还款金额")
    return _money_operation(
        response,
        lambda: iou_settle_early(iou=iou, amount=amount, user=request.user, method=payload.method,
                                 reference=payload.reference, payer=payload.payer, idempotency_key=key))


@router.post("/{int:iou_id}/refunds", response={201: TransactionOut, **APPROVAL, **KEY_ERRORS},
             summary="退还溢缴款（须审批时提交审批，202）")
def iou_refund_endpoint(request, response: HttpResponse, iou_id: int, payload: RefundIn,
                        idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.record_repayment")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    amount = None if payload.amount is None else _money(payload.amount, "退款金额")
    asked = iou.overpayment if amount is None else amount
    return _money_operation(response, lambda: _through_approval(
        request, iou, kind=IOU_REFUND, key=key, amount=asked,
        payload={"amount": None if amount is None else str(amount), "method": payload.method,
                 "reference": payload.reference},
        summary=_("退还溢缴款 %(number)s ¥%(amount)s") % {"number": iou.number, "amount": f"{asked:,.2f}"},
        direct=lambda: iou_refund_credit(iou=iou, user=request.user, amount=amount, method=payload.method,
                                         reference=payload.reference, idempotency_key=key)))


@router.post("/{int:iou_id}/extensions", response={201: ScheduleVersionOut, **APPROVAL, **KEY_ERRORS},
             summary="展期/重组（生成新的还款计划版本；同一幂等键只展期一次；须审批时提交审批，202）")
def iou_extend_endpoint(request, response: HttpResponse, iou_id: int, payload: ExtensionIn,
                        idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.extend_iou")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    try:
        version = _through_approval(
            request, iou, kind=IOU_EXTEND, key=key, amount=iou.principal_outstanding, model=ScheduleVersion,
            payload={"term": payload.term, "rate_text": payload.rate_text or "", "reason": payload.reason,
                     "first_due": payload.first_due.isoformat() if payload.first_due else ""},
            summary=_("展期/重组 %(number)s：%(term)s 期") % {"number": iou.number, "term": payload.term},
            direct=lambda: iou_extend(iou=iou, term=payload.term, user=request.user, reason=payload.reason,
                                      rate_text=payload.rate_text, first_due=payload.first_due,
                                      idempotency_key=key))
    except IdempotencyKeyReused as error:
        return Status(422, error_body(error.code, error.message))
    if isinstance(version, ApprovalRequest):
        return _submitted(version)
    if is_replay(version):
        response[REPLAYED_HEADER] = "true"
    return Status(201, ScheduleVersion.objects.get(pk=version.pk))


@router.post("/{int:iou_id}/write-off", response={201: TransactionOut, **APPROVAL, **KEY_ERRORS},
             summary="核销（余额转入表外登记；须审批时提交审批，202）")
def iou_write_off_endpoint(request, response: HttpResponse, iou_id: int, payload: WriteOffIn,
                           idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.write_off_iou")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    return _money_operation(response, lambda: _through_approval(
        request, iou, kind=IOU_WRITE_OFF, key=key, amount=iou.total_outstanding,
        payload={"reason": payload.reason, "recovery_method": payload.recovery_method},
        summary=_("核销 %(number)s：未还 ¥%(amount)s") % {"number": iou.number, "amount": f"{iou.total_outstanding:,.2f}"},
        direct=lambda: iou_write_off(iou=iou, user=request.user, reason=payload.reason,
                                     recovery_method=payload.recovery_method, idempotency_key=key)))


@router.post("/{int:iou_id}/recoveries", response={201: TransactionOut, **KEY_ERRORS}, summary="核销后收回")
def iou_recover_endpoint(request, response: HttpResponse, iou_id: int, payload: RepaymentIn,
                         idempotency_key: str | None = KeyHeader):
    require_perm(request, "ious.record_repayment")
    key, iou = _key(idempotency_key), _iou(request, iou_id)
    amount = _money(payload.amount, "收回金额")
    return _money_operation(
        response,
        lambda: iou_recover(iou=iou, amount=amount, user=request.user, day=payload.day, method=payload.method,
                            reference=payload.reference, payer=payload.payer, idempotency_key=key))
