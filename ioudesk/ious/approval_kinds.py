"""The IOU operations that may need a second person (maker-checker, docs/domain.md §23), as approval
request kinds: 借据审批, 减免, 冲正, 核销, 展期/重组, 退还溢缴款. Registered at start-up (``apps.py``).

Every kind's target is the IOU (a reversal names its transaction in the payload), so the IOU page
shows every request open on it. The payload holds what the maker asked for, as strings; the
executor, run on the last approval in the decision's transaction, calls the one service with
``user=maker`` (who holds the operation's permission; the checker may hold only
``approvals.decide_approvalrequest``) and ``approval=request`` (which the service's gate checks).
``validate`` checks what can be checked before the request is submitted, so that a request that
could never be carried out is refused at once; the service checks everything again when it runs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.models import RequestStatus
from ioudesk.approvals.registry import RequestKind, register_request_kind
from ioudesk.calc.money import format_yuan, parse_amount
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.ious import predicates, status
from ioudesk.ious.approval_codes import (
    IOU_APPROVAL,
    IOU_EXTEND,
    IOU_REFUND,
    IOU_WAIVE,
    IOU_WRITE_OFF,
    TRANSACTION_REVERSE,
)
from ioudesk.ious.models import Iou, RecoveryMethod, Transaction
from ioudesk.ious.services import iou_approve, iou_reject, iou_withdraw
from ioudesk.ious.services.corrections import WAIVABLE, WAIVABLE_NAMES, iou_waive, transaction_reverse
from ioudesk.ious.services.idempotency import is_replay
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_refund_credit
from ioudesk.ious.services.writeoff import iou_write_off
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard

LOW_RISK_AMOUNT = Decimal("5000.00")  # a waiver or refund up to this may be approved in bulk (with the step's allow_bulk)


def _iou(request) -> Iou:
    return Iou.objects.select_related("customer", "branch", "product").get(pk=request.target_id)


def _fresh(iou: Iou) -> Iou:
    """The IOU as stored (a caller's copy may be older than the last operation on it)."""
    return Iou.objects.select_related("customer", "branch", "product").get(pk=iou.pk)


def _url(request) -> str:
    return reverse("backoffice:iou_detail", args=[request.target_id])


def _money(value) -> str:
    return format_yuan(Decimal(str(value))) if value not in (None, "") else "—"


def _rows(iou: Iou) -> list[tuple[str, str]]:
    """What every approver of an IOU operation sees first: the IOU and what is owed on it now."""
    return [
        (_g("借据编号"), iou.number),
        (_g("债务人"), f"{iou.customer.name}（{iou.customer.number}）"),
        (_g("网点"), str(iou.branch)),
        (_g("状态"), str(iou.get_status_display())),
        (_g("本金"), _money(iou.principal)),
        (_g("未还合计"), _money(iou.total_outstanding)),
        (_g("未还本金/利息/罚息/费用"), " / ".join(_money(v) for v in (
            iou.principal_outstanding, iou.interest_outstanding, iou.penalty_outstanding, iou.fee_outstanding))),
        (_g("逾期天数"), str(iou.days_past_due)),
    ]


def _may(iou: Iou, user, permission: str) -> None:
    if not predicates.has_permission(user, iou, permission):
        raise PermissionDenied(_("您没有办理此业务的权限。"))


def _reason(payload: dict, message) -> str:
    reason = (payload.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed(message, extra={"field": "reason"})
    return reason


def _done(record) -> dict:
    return {"transaction": record.pk, "amount": str(record.amount), "replayed": is_replay(record)}


def _low_risk(request) -> bool:
    return request.amount is not None and request.amount <= LOW_RISK_AMOUNT


# --- 借据审批 --------------------------------------------------------------------------------------


def _approval_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    iou = iou_approve(iou=target, user=checker, comment=payload.get("comment", ""), approval=approval)
    return {"iou": iou.pk, "status": iou.status}


def _approval_describe(request) -> list[tuple[str, str]]:
    iou = _iou(request)
    rows = _rows(iou)
    rows += [
        (_g("产品"), iou.product.name if iou.product else _g("普通借条/欠条")),
        (_g("利率"), iou.rate_text),
        (_g("期数"), str(iou.term)),
        (_g("利率上限"), _g("超过保护上限") if iou.cap_within is False else _g("在保护范围内")
         if iou.cap_within else _g("不适用")),
        (_g("录入人"), str(iou.created_by) if iou.created_by else "—"),
    ]
    return rows


def _approval_validate(target, payload, user) -> None:
    target = _fresh(target)
    if not status.can(target, Event.APPROVE):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不需要审批。") % {
            "number": target.number, "status": target.get_status_display()})


def _approval_closed(*, request, user, comment="", reason="", **kwargs) -> None:
    """The request ended without approval: rejected, the IOU goes back to draft with the approver's
    comment (as 驳回); withdrawn by its maker (撤回), back to draft without a decision."""
    iou = _iou(request)
    if not status.can(iou, Event.REJECT):
        return
    if request.status == RequestStatus.CANCELLED:
        iou_withdraw(iou=iou, user=user, reason=reason or comment, approval=request)
    else:
        iou_reject(iou=iou, user=user, comment=comment or reason or _g("审批流驳回"), approval=request)


# --- 减免 ----------------------------------------------------------------------------------------


def _waive_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    record = iou_waive(iou=target, component=payload["component"], amount=payload["amount"],
                       reason=payload["reason"], user=maker, idempotency_key=payload.get("idempotency_key"),
                       approval=approval)
    return _done(record)


def _waive_describe(request) -> list[tuple[str, str]]:
    payload = request.payload
    return [*_rows(_iou(request)),
            (_g("减免项目"), str(WAIVABLE_NAMES.get(payload.get("component"), payload.get("component")))),
            (_g("申请减免金额"), _money(payload.get("amount"))),
            (_g("减免原因"), payload.get("reason", ""))]


def _waive_validate(target, payload, user) -> None:
    target = _fresh(target)
    _may(target, user, "ious.waive_iou")
    if not predicates.can_waive(target):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能减免。") % {
            "number": target.number, "status": target.get_status_display()})
    if payload.get("component") not in WAIVABLE:
        raise ValidationFailed(_("只能减免利息、罚息或费用；本金不能减免，请走核销流程。"), extra={"field": "component"})
    amount = calc_guard(parse_amount, payload.get("amount"), field="减免金额")
    if amount <= 0:
        raise ValidationFailed(_("减免金额必须大于0。"), extra={"field": "amount"})
    _reason(payload, _("请填写减免原因。"))


# --- 冲正 ----------------------------------------------------------------------------------------


def _record(request_or_iou, payload) -> Transaction:
    iou_id = request_or_iou.pk if isinstance(request_or_iou, Iou) else request_or_iou.target_id
    record = Transaction.objects.filter(iou_id=iou_id, pk=payload.get("transaction")).select_related(
        "iou", "reversed_by").first()
    if record is None:
        raise ValidationFailed(_("要冲正的交易不存在。"), extra={"field": "transaction"})
    return record


def _reverse_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    record = transaction_reverse(record=_record(target, payload), reason=payload["reason"], user=maker,
                                 idempotency_key=payload.get("idempotency_key"), approval=approval)
    return _done(record)


def _reverse_describe(request) -> list[tuple[str, str]]:
    payload = request.payload
    try:
        record = _record(request, payload)
        what = f"{record.get_kind_display()} {record.day.isoformat()} {_money(record.amount)}"
    except ValidationFailed:
        what = str(payload.get("transaction"))
    return [*_rows(_iou(request)), (_g("冲正交易"), what), (_g("冲正原因"), payload.get("reason", ""))]


def _reverse_validate(target, payload, user) -> None:
    target = _fresh(target)
    _may(target, user, "ious.reverse_transaction")
    record = _record(target, payload)
    if not predicates.can_reverse(record, target):
        raise InvalidState(_("这笔交易不能冲正：%(what)s。") % {"what": str(record)})
    _reason(payload, _("请填写冲正原因。"))


# --- 核销 ----------------------------------------------------------------------------------------


def _write_off_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    record = iou_write_off(iou=target, user=maker, reason=payload["reason"],
                           recovery_method=payload.get("recovery_method") or RecoveryMethod.WRITE_OFF,
                           idempotency_key=payload.get("idempotency_key"), approval=approval)
    return _done(record)


def _write_off_describe(request) -> list[tuple[str, str]]:
    payload = request.payload
    method = payload.get("recovery_method")
    label = RecoveryMethod(method).label if method in RecoveryMethod.values else (method or "—")
    return [*_rows(_iou(request)), (_g("申请核销金额（提交时）"), _money(request.amount)),
            (_g("收回方式"), str(label)), (_g("核销原因"), payload.get("reason", ""))]


def _write_off_validate(target, payload, user) -> None:
    target = _fresh(target)
    _may(target, user, "ious.write_off_iou")
    if not predicates.can_write_off(target):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能核销。") % {
            "number": target.number, "status": target.get_status_display()})
    _reason(payload, _("请填写核销原因（如：债务人死亡、破产，经诉讼执行仍无法收回）。"))
    if payload.get("recovery_method") not in RecoveryMethod.values:
        raise ValidationFailed(_("请选择收回方式。"), extra={"field": "recovery_method"})


# --- 展期/重组 -------------------------------------------------------------------------------------


def _extend_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    first_due = date.fromisoformat(payload["first_due"]) if payload.get("first_due") else None
    version = iou_extend(iou=target, term=int(payload["term"]), user=maker, reason=payload["reason"],
                         rate_text=payload.get("rate_text") or None, first_due=first_due,
                         idempotency_key=payload.get("idempotency_key"), approval=approval)
    return {"schedule_version": version.pk, "version": version.version, "replayed": is_replay(version)}


def _extend_describe(request) -> list[tuple[str, str]]:
    payload = request.payload
    iou = _iou(request)
    return [*_rows(iou), (_g("原期数/利率"), f"{iou.term} / {iou.rate_text}"),
            (_g("展期后期数"), str(payload.get("term", ""))),
            (_g("新利率"), payload.get("rate_text") or _g("沿用原利率")),
            (_g("新首期还款日"), payload.get("first_due") or "—"),
            (_g("展期/重组原因"), payload.get("reason", ""))]


def _extend_validate(target, payload, user) -> None:
    target = _fresh(target)
    _may(target, user, "ious.extend_iou")
    if not predicates.can_extend(target):
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，不能展期。") % {
            "number": target.number, "status": target.get_status_display()})
    try:
        term = int(payload.get("term"))
    except (TypeError, ValueError):
        term = 0
    if not 1 <= term <= 600:
        raise ValidationFailed(_("展期后的期数应在1到600之间。"), extra={"field": "term"})
    _reason(payload, _("请填写展期/重组的原因。"))


# --- 退还溢缴款 ------------------------------------------------------------------------------------


def _refund_execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    record = iou_refund_credit(iou=target, user=maker, amount=payload.get("amount"),
                               method=payload.get("method") or "bank_transfer", reference=payload.get("reference", ""),
                               idempotency_key=payload.get("idempotency_key"), approval=approval)
    return _done(record)


def _refund_describe(request) -> list[tuple[str, str]]:
    payload = request.payload
    iou = _iou(request)
    return [*_rows(iou), (_g("溢缴款余额"), _money(iou.overpayment)),
            (_g("申请退还金额"), _money(payload.get("amount") or iou.overpayment))]


def _refund_validate(target, payload, user) -> None:
    target = _fresh(target)
    _may(target, user, "ious.record_repayment")
    if not predicates.can_refund(target):
        raise InvalidState(_("借据 %(number)s 没有可退还的溢缴款。") % {"number": target.number})
    if payload.get("amount") not in (None, ""):
        amount = calc_guard(parse_amount, payload["amount"], field="退款金额")
        if amount <= 0 or amount > target.overpayment:
            raise ValidationFailed(_("退款金额必须大于0且不超过溢缴款余额 ¥%(credit)s。") % {
                "credit": f"{target.overpayment:,.2f}"}, extra={"field": "amount"})


def _kind(code, label, execute, describe, validate, **extra) -> RequestKind:
    fields = set(RequestKind.__dataclass_fields__)
    extra = {name: value for name, value in extra.items() if name in fields}  # hooks the registry knows
    return RequestKind(code=code, label=label, execute=execute, describe=describe, validate=validate, url=_url,
                       **extra)


KINDS = [
    _kind(IOU_APPROVAL, _("借据审批"), _approval_execute, _approval_describe, _approval_validate,
          on_reject=_approval_closed, on_cancel=_approval_closed),
    _kind(IOU_WAIVE, _("减免"), _waive_execute, _waive_describe, _waive_validate, low_risk=_low_risk),
    _kind(TRANSACTION_REVERSE, _("冲正"), _reverse_execute, _reverse_describe, _reverse_validate),
    _kind(IOU_WRITE_OFF, _("核销"), _write_off_execute, _write_off_describe, _write_off_validate),
    _kind(IOU_EXTEND, _("展期/重组"), _extend_execute, _extend_describe, _extend_validate),
    _kind(IOU_REFUND, _("退还溢缴款"), _refund_execute, _refund_describe, _refund_validate, low_risk=_low_risk),
]


def register() -> None:
    for kind in KINDS:
        register_request_kind(kind)
