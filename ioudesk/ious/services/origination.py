"""Making an IOU: from a product or as a plain IOU, the legal-cap check, and sign-off
(submit → approve/reject by a supervisor other than the maker), or cancellation.

When an approval flow of the kind ``iou_approval`` applies (by amount, product, branch), submitting
opens its request in the same transaction, and the IOU is approved only by the request's last
approval (``iou_approve(..., approval=request)``, from the kind's executor); a rejected or withdrawn
request takes the IOU back to draft (docs/domain.md §23)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.selectors import pending_for
from ioudesk.approvals.services import needs_approval, request_cancel, request_submit
from ioudesk.calc.money import parse_amount, quantize
from ioudesk.core import audit, clock, numbering, scope
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.services import organisation_current
from ioudesk.ious import predicates, status
from ioudesk.ious.approval_codes import IOU_APPROVAL
from ioudesk.ious.models import Approval, GuaranteeType, Iou, IouKind, Purpose
from ioudesk.ious.origination_checks import origination_warnings
from ioudesk.ious.services.guards import approval_gate
from ioudesk.ious.status import Event
from ioudesk.ious.terms import calc_guard, cap_check, due_from_payment_terms, schedule_for
from ioudesk.products.models import Product
from ioudesk.products.services import terms_rate

PREFIX = "JD"
TERM_FIELDS = ("method", "frequency", "day_count", "rate_text", "penalty_basis", "penalty_markup",
               "penalty_daily_rate", "grace_days", "allocation_order", "allocation_direction", "last_installment",
               "interest_cap_applies")


def iou_from_product(*, product: Product, customer, principal: Decimal | str, term: int, contract_date: date,
                     **fields) -> Iou:
    """An unsaved IOU with the product's terms copied in (later product changes do not touch it)."""
    if not product.is_active:
        raise ValidationFailed(_("产品“%(name)s”已停售，不能再用于新借据。") % {"name": product.name})
    principal = calc_guard(parse_amount, principal, field="本金")
    if not product.min_amount <= principal <= product.max_amount:
        raise ValidationFailed(_("借款金额 ¥%(amount)s 超出产品“%(name)s”的范围（¥%(low)s – ¥%(high)s）。") % {
            "amount": f"{principal:,.2f}", "name": product.name, "low": f"{product.min_amount:,.2f}",
            "high": f"{product.max_amount:,.2f}"})
    if not product.min_term <= term <= product.max_term:
        raise ValidationFailed(_("期数 %(term)d 超出产品“%(name)s”的范围（%(low)d – %(high)d 期）。") % {
            "term": term, "name": product.name, "low": product.min_term, "high": product.max_term})
    iou = Iou(kind=IouKind.LOAN, product=product, customer=customer, principal=principal, term=term,
              contract_date=contract_date, **{name: getattr(product, name) for name in TERM_FIELDS})
    iou.upfront_fee = quantize(principal * product.upfront_fee_rate)  # half-up to the fen, as all money
    iou.installment_fee = product.installment_fee
    iou.prepayment_fee_rate = product.prepayment_fee_rate
    for name, value in fields.items():
        setattr(iou, name, value)
    return iou


def _validate(iou: Iou, user) -> None:
    if iou.principal is None or iou.principal <= 0:
        raise ValidationFailed(_("本金必须大于0。"))
    iou.principal = calc_guard(parse_amount, iou.principal, field="本金")
    iou.annual_rate = terms_rate(iou.rate_text).annual
    _validate_contract_date(iou)
    if iou.kind == IouKind.DEBT:
        iou.term, iou.method = 1, "bullet"
        if not iou.due_date and iou.payment_terms:
            iou.due_date = due_from_payment_terms(iou.payment_terms, iou.contract_date)
        if iou.due_date and iou.due_date < iou.contract_date:
            raise ValidationFailed(_("到期日不能早于欠款日期。"))
        if iou.deducted_interest or iou.upfront_fee:
            raise ValidationFailed(_("欠条没有放款，不能有预扣利息或放款手续费。"))
    elif iou.method == "custom":
        raise ValidationFailed(_("自定义还款计划暂不支持在此录入，请选择其他还款方式。"))
    if iou.customer_id is None:
        raise ValidationFailed(_("请选择债务人（客户）。"))
    _validate_report_dimensions(iou)
    iou.branch_id = iou.customer.branch_id
    if user is not None and not scope.can_see_branch(user, iou.branch_id):
        raise PermissionDenied(_("您不能为其他网点的客户建立借据。"))


def _dimension_error(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, extra={"field": field, "details": [{"field": field, "message": str(message)}]})


def _validate_report_dimensions(iou: Iou) -> None:
    """担保方式 and 借款用途分类 (what the regulator's monthly table counts loans by; blank: not recorded,
    read by the reports as 保证 with a guarantor named, else 信用, and 其他). 保证 needs the 保证人 named
    (民法典第六百八十一条); 信用 is a loan without security, so no guarantor beside it."""
    iou.guarantee_type = iou.guarantee_type or None
    iou.purpose_category = iou.purpose_category or None
    if iou.guarantee_type is not None and iou.guarantee_type not in GuaranteeType.values:
        raise _dimension_error("guarantee_type", _("担保方式无效，请选择信用、保证、抵押或质押。"))
    if iou.purpose_category is not None and iou.purpose_category not in Purpose.values:
        raise _dimension_error("purpose_category", _("借款用途分类无效，请从列表中选择。"))
    guarantor = (iou.guarantor or "").strip()
    if iou.guarantee_type == GuaranteeType.GUARANTEE and not guarantor:
        raise _dimension_error("guarantor", _("担保方式为保证时，请填写担保人（保证人）。"))
    if iou.guarantee_type == GuaranteeType.CREDIT and guarantor:
        raise _dimension_error("guarantee_type", _("已填写担保人，担保方式不能为信用：请选择保证（或抵押、质押）。"))


CONTRACT_DATE_YEARS = 20  # an IOU signed longer ago than this is a typing error (1900-01-01)


def _contract_date_error(iou: Iou, message) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_contract_date", extra={
        "field": "contract_date", "details": [{"field": "contract_date", "message": str(message)}]})


def _validate_contract_date(iou: Iou) -> None:
    """The contract date's range, named as the form names it (借款日期 / 欠款日期): not after the
    business date, not more than 20 years before it. A loan formed before 2020-08-20 is accepted: its
    cap depends on the day it is taken to court, and the cap check assumes the business date
    (ious/terms.py::cap_check), so calc never asks for a 起诉日期 no form has."""
    label = _g("欠款日期") if iou.kind == IouKind.DEBT else _g("借款日期")
    today = clock.today()
    if iou.contract_date is None:
        raise _contract_date_error(iou, _("请填写%(field)s。") % {"field": label})
    if iou.contract_date > today:
        raise _contract_date_error(iou, _("%(field)s %(day)s 晚于营业日 %(today)s，请核对。") % {
            "field": label, "day": iou.contract_date.isoformat(), "today": today.isoformat()})
    floor = today.replace(year=today.year - CONTRACT_DATE_YEARS, day=min(today.day, 28))
    if iou.contract_date < floor:
        raise _contract_date_error(iou, _("%(field)s %(day)s 早于 %(floor)s（%(years)d 年前），请核对。") % {
            "field": label, "day": iou.contract_date.isoformat(), "floor": floor.isoformat(),
            "years": CONTRACT_DATE_YEARS})


def _check_cap(iou: Iou) -> str:
    """Record the legal-cap check on the IOU; return the warning to show (empty if within)."""
    if iou.kind == IouKind.DEBT and not iou.due_date:
        iou.cap_checked_on, iou.cap_within, iou.cap_rate, iou.cap_rule = clock.today(), None, None, ""
        return ""
    check = cap_check(iou, organisation_cap_applies=organisation_current().interest_cap_applies,
                      schedule=schedule_for(iou))
    iou.cap_checked_on = clock.today()
    iou.cap_rate, iou.cap_within, iou.cap_rule = check.cap_rate, check.within, check.rule
    iou.cap_unprotected_interest = check.unprotected_interest
    return check.warning


# Terms a product fixes; given without a product they are the IOU's own (a plain 借条 or 欠条).
PRODUCT_TERMS = (*TERM_FIELDS, "deducted_interest", "upfront_fee", "installment_fee", "prepayment_fee_rate")
MONEY_FIELDS = {"deducted_interest": "预扣利息", "upfront_fee": "放款手续费", "installment_fee": "每期手续费"}


def _build(*, kind: str, customer, principal, contract_date: date, product: Product | None, term: int | None,
           parties: dict, terms: dict) -> Iou:
    """The unsaved IOU, built once here for the back office, the API, imports and the demo."""
    given = {name: value for name, value in terms.items() if value is not None}
    if product is not None:
        if kind != IouKind.LOAN:
            raise ValidationFailed(_("欠条不使用产品，请不要选择产品。"))
        if given:
            raise ValidationFailed(_("使用产品时条款由产品确定，不能另行指定：%(fields)s。") % {
                "fields": "、".join(given)})
        if term is None:
            raise ValidationFailed(_("请填写期数。"))
        return iou_from_product(product=product, customer=customer, principal=principal, term=term,
                                contract_date=contract_date, **parties)
    for name, label in MONEY_FIELDS.items():
        if name in given:
            given[name] = calc_guard(parse_amount, given[name], field=label)
    principal = None if principal is None else calc_guard(parse_amount, principal, field="本金")
    return Iou(kind=kind, customer=customer, principal=principal, term=term or 1, contract_date=contract_date,
               **parties, **given)


@transaction.atomic
def iou_create(*, user=None, iou: Iou | None = None, customer=None, kind: str = IouKind.LOAN,
               principal: Decimal | str | None = None, contract_date: date | None = None,
               product: Product | None = None, term: int | None = None,
               # the parties and circumstances
               debt_reason: str | None = None, reason: str | None = None, creditor: str | None = None,
               guarantor: str | None = None, witness: str | None = None, notes: str | None = None,
               guarantee_type: str | None = None, purpose_category: str | None = None,
               first_due: date | None = None, due_date: date | None = None, payment_terms: str | None = None,
               officer=None,
               # terms (from the product when there is one)
               rate_text: str | None = None, method: str | None = None, frequency: str | None = None,
               day_count: str | None = None, penalty_basis: str | None = None, penalty_markup: Decimal | None = None,
               penalty_daily_rate: Decimal | None = None, grace_days: int | None = None,
               allocation_order: str | None = None, allocation_direction: str | None = None,
               last_installment: str | None = None, interest_cap_applies: bool | None = None,
               deducted_interest: Decimal | str | None = None, upfront_fee: Decimal | str | None = None,
               installment_fee: Decimal | str | None = None, prepayment_fee_rate: Decimal | None = None,
               confirm_checks: bool = False,
               ) -> tuple[Iou, str]:
    """Make a new IOU and save it as a draft: a loan on a product's terms (``product``), a plain 借条
    (kind "loan", its own terms) or a 欠条 (kind "debt"). ``contract_date`` defaults to the business
    date. Returns the IOU and the legal-cap warning ("" when within the cap).

    ``iou=`` (an unsaved Iou built by the caller) is still accepted for older callers and tests;
    new code passes the fields.

    The registered origination checks (``ious.origination_checks``: the defaulter list) refuse the
    IOU with their reasons unless ``confirm_checks`` is true; a confirmed IOU has the reasons and
    the confirmation in its audit trail."""
    if iou is None:
        parties = {name: value for name, value in {
            "debt_reason": debt_reason, "reason": reason, "creditor": creditor, "guarantor": guarantor,
            "witness": witness, "notes": notes, "first_due": first_due, "due_date": due_date,
            "payment_terms": payment_terms, "officer": officer, "guarantee_type": guarantee_type or None,
            "purpose_category": purpose_category or None}.items() if value is not None}
        terms = {"rate_text": rate_text, "method": method, "frequency": frequency, "day_count": day_count,
                 "penalty_basis": penalty_basis, "penalty_markup": penalty_markup,
                 "penalty_daily_rate": penalty_daily_rate, "grace_days": grace_days,
                 "allocation_order": allocation_order, "allocation_direction": allocation_direction,
                 "last_installment": last_installment, "interest_cap_applies": interest_cap_applies,
                 "deducted_interest": deducted_interest, "upfront_fee": upfront_fee,
                 "installment_fee": installment_fee, "prepayment_fee_rate": prepayment_fee_rate}
        iou = _build(kind=kind, customer=customer, principal=principal,
                     contract_date=contract_date or clock.today(), product=product, term=term, parties=parties,
                     terms=terms)
    _validate(iou, user)
    checks = origination_warnings(iou)
    if checks and not confirm_checks:
        message = _("%(reasons)s。如确需建立借据，请勾选“已知悉风险，确认建立”后重新提交。") % {
            "reasons": "；".join(str(w.message) for w in checks)}
        raise ValidationFailed(message, code="origination_check", extra={
            "field": "confirm_checks", "details": [{"field": "confirm_checks", "message": str(message)}],
            "warnings": [{"code": w.code, "message": str(w.message)} for w in checks]})
    warning = _check_cap(iou)
    iou.number = numbering.next_number(organisation=iou.branch.organisation, prefix=PREFIX)
    iou.officer = iou.officer or user
    iou.created_by = user
    iou.save()
    audit.record_change(obj=iou, before=None, after=audit.snapshot(iou))
    if warning:
        audit.record(AuditAction.ACTION, obj=iou, verb=_g("利率超过保护上限"), reason=warning)
    if checks:
        audit.record(AuditAction.ACTION, obj=iou, verb=_g("确认风险提示后建立"),
                     changes={"confirm_checks": [None, True], "warnings": [w.code for w in checks],
                              "confirmed_by": getattr(user, "pk", None)},
                     reason="；".join(str(w.message) for w in checks))
    return iou, warning


def _locked(iou: Iou) -> Iou:
    return Iou.objects.select_for_update().select_related("customer", "branch").get(pk=iou.pk)


def _move(iou: Iou, event: Event, *, verb: str, reason: str = "") -> Iou:
    before = status.transition(iou, event)
    iou.save(update_fields=["status", "updated_at"])
    audit.record(AuditAction.ACTION, obj=iou, verb=verb, changes={"status": [before, iou.status]}, reason=reason)
    return iou


def _open_approval(iou: Iou):
    """The IOU's open (pending or returned) ``iou_approval`` request, or None."""
    return next((request for request in pending_for(iou) if request.kind == IOU_APPROVAL), None)


@transaction.atomic
def iou_submit(*, iou: Iou, user, approval=None) -> Iou:
    """草稿 → 待审批. When an ``iou_approval`` flow applies, its request is opened here (refused, and
    nothing saved, when the flow has no approver but the maker). ``approval``: a request already
    approved that covers the sign-off (an application's), so no request is opened."""
    iou = _locked(iou)
    _check_maker(iou, user)
    if predicates.awaits_approval_request(iou):
        pass  # 待审批 since before its flow was configured: the request is opened now
    else:
        iou = _move(iou, Event.SUBMIT, verb=_g("提交审批"))
    if approval is None and needs_approval(IOU_APPROVAL, amount=iou.principal, product_id=iou.product_id,
                                           branch_id=iou.branch_id):
        request_submit(kind=IOU_APPROVAL, target=iou, user=user, payload={},
                       summary=_g("借据审批 %(number)s：%(customer)s ¥%(amount)s") % {
                           "number": iou.number, "customer": iou.customer.name, "amount": f"{iou.principal:,.2f}"},
                       amount=iou.principal, product=iou.product, branch=iou.branch)
    return iou


@transaction.atomic
def iou_approve(*, iou: Iou, user, comment: str = "", approval=None) -> Iou:
    """A supervisor signs the IOU off; it only counts from here (docs/domain.md §17). When an
    ``iou_approval`` flow applies, only with its approved request (``approval``): the approver is then
    the request's last approver, whose right comes from the flow (not ``ious.approve_iou``)."""
    iou = _locked(iou)
    _check_approver(iou, user, approval=approval)
    approval_gate(IOU_APPROVAL, iou, amount=iou.principal, approval=approval)
    status.target(iou, Event.APPROVE)
    Approval.objects.create(iou=iou, decision=Approval.Decision.APPROVED, comment=comment, decided_by=user)
    return _move(iou, Event.APPROVE, verb=_g("审批通过"), reason=comment)


@transaction.atomic
def iou_reject(*, iou: Iou, user, comment: str, approval=None) -> Iou:
    """待审批 → 草稿 with the approver's comment. While an ``iou_approval`` request is open, only through
    it (``approval``: the request being rejected, from the kind's hook)."""
    iou = _locked(iou)
    _check_approver(iou, user, approval=approval)
    if approval is None:
        request = _open_approval(iou)
        if request is not None:
            raise InvalidState(_("借据 %(number)s 正在按审批流审批（审批单号 %(request)s），请在审批单上驳回。") % {
                "number": iou.number, "request": request.number})
    if not (comment or "").strip():
        raise ValidationFailed(_("驳回时请填写审批意见，说明需要修改什么。"))
    status.target(iou, Event.REJECT)
    Approval.objects.create(iou=iou, decision=Approval.Decision.REJECTED, comment=comment, decided_by=user)
    return _move(iou, Event.REJECT, verb=_g("驳回"), reason=comment)


@transaction.atomic
def iou_withdraw(*, iou: Iou, user, reason: str = "", approval=None) -> Iou:
    """待审批 → 草稿 without a decision: the ``iou_approval`` request was withdrawn (撤回) by its maker
    (the kind's hook calls this); nothing to do when the IOU is no longer waiting."""
    iou = _locked(iou)
    if not status.can(iou, Event.REJECT):
        return iou
    return _move(iou, Event.REJECT, verb=_g("撤回审批"), reason=reason)


@transaction.atomic
def iou_cancel(*, iou: Iou, user, reason: str) -> Iou:
    """作废. An open ``iou_approval`` request is withdrawn with it."""
    iou = _locked(iou)
    _check_maker(iou, user)
    if not (reason or "").strip():
        raise ValidationFailed(_("作废借据请填写原因。"))
    request = _open_approval(iou)
    if request is not None:
        request_cancel(request=request, user=user, reason=reason)
        iou = _locked(iou)  # the request's hook may have taken it back to draft
    return _move(iou, Event.CANCEL, verb=_g("作废"), reason=reason)


def _check_maker(iou: Iou, user) -> None:
    if not user.has_perm("ious.change_iou") or not scope.can_see_branch(user, iou.branch_id):
        raise PermissionDenied(_("您没有办理该借据的权限。"))


def _check_approver(iou: Iou, user, *, approval=None) -> None:
    # With an approval request the flow decided who approves (approvals.decide_approvalrequest and
    # the branch, checked when the decision was made); never the maker, either way.
    perm = "ious.approve_iou" if approval is None else "approvals.decide_approvalrequest"
    if not user.has_perm(perm) or not scope.can_see_branch(user, iou.branch_id):
        raise PermissionDenied(_("您没有审批该借据的权限。"))
    if predicates.is_maker(iou, user):
        raise PermissionDenied(_("录入人不能审批自己录入的借据，请由主管审批。"))

