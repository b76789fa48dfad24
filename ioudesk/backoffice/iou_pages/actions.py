"""One small form page per action on an IOU: the domain's predicate (``ioudesk/ious/predicates.py``, the
same one the service refuses with) and the user's permission decide whether it is offered; POST → one
service call → message and back to the IOU; an ApplicationError is shown in the form and nothing is posted. Money forms carry an
idempotency key made when the form is shown, so a double submit posts once.

The sensitive operations (减免, 冲正, 核销, 展期/重组, 退还溢缴款) go through
``approvals.services.submit_or_run`` (maker-checker, docs/domain.md §23): done at once when no approval
flow applies, else an approval request is opened ("已提交审批（审批单号 …）") and carried out by its last
approval; the IOU page shows it while it is pending."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.selectors import approval_note, pending_for
from ioudesk.approvals.services import submit_or_run
from ioudesk.backoffice.approval_outcome import submitted_message
from ioudesk.backoffice.iou_pages.common import DATE, NUMBER, amount_of
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.calc import aging
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.ious import predicates, selectors
from ioudesk.ious.approval_codes import (
    ACTION_KINDS,
    IOU_APPROVAL,
    IOU_EXTEND,
    IOU_REFUND,
    IOU_WAIVE,
    IOU_WRITE_OFF,
    TRANSACTION_REVERSE,
)
from ioudesk.ious.models import Classification, Iou, IouKind, PaymentMethod, RecoveryMethod
from ioudesk.ious.services import iou_approve, iou_cancel, iou_reject, iou_submit
from ioudesk.ious.services.accrual import CLASS_TO_TIER, TIER_TO_CLASS
from ioudesk.ious.services.classification import iou_classify
from ioudesk.ious.services.corrections import WAIVABLE_NAMES
from ioudesk.ious.services.disbursement import iou_disburse, iou_disburse_tranche
from ioudesk.ious.services.installments import current_installments, unpaid
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote
from ioudesk.ious.services.writeoff import iou_recover
from ioudesk.ledger.selectors import funding_accounts


def idempotency_field():
    return forms.CharField(widget=forms.HiddenInput, required=False)


class ActionForm(forms.Form):
    """Every action form gets the IOU; money forms carry an idempotency key made when the form is
    first shown, so a double submit posts once."""

    keyed = False

    def __init__(self, *args, iou: Iou, **kwargs):
        super().__init__(*args, **kwargs)
        self.iou = iou
        if self.keyed:
            self.fields["idempotency_key"] = idempotency_field()
            if not self.is_bound:
                self.initial["idempotency_key"] = f"web-{uuid.uuid4().hex}"

    def key(self) -> str | None:
        return self.cleaned_data.get("idempotency_key") or None


class ConfirmForm(ActionForm):
    pass


class CommentForm(ActionForm):
    comment = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def method_field():
    return forms.ChoiceField(label=_("支付方式"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)


class DisburseForm(ActionForm):
    keyed = True
    day = forms.DateField(label=_("放款/生效日"), widget=DATE)
    amount = forms.CharField(label=_("本次放款金额（元）"), max_length=20, required=False,
                             help_text=_("留空表示全额放款；分笔放款时填写首笔金额"))
    funding_account = forms.ChoiceField(label=_("资金账户"))
    reference = forms.CharField(label=_("流水号/凭证号"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.iou.kind == IouKind.DEBT:
            del self.fields["funding_account"]  # a 欠条 takes effect without cash
            del self.fields["amount"]
        else:
            self.fields["funding_account"].choices = [(a.code, f"{a.code} {a.name}") for a in funding_accounts()]
            self.initial.setdefault("funding_account", "100201")
        self.initial.setdefault("day", clock.today())


class TrancheForm(ActionForm):
    keyed = True
    amount = forms.CharField(label=_("追加放款金额（元）"), max_length=20)
    funding_account = forms.ChoiceField(label=_("资金账户"))
    reference = forms.CharField(label=_("流水号/凭证号"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funding_account"].choices = [(a.code, f"{a.code} {a.name}") for a in funding_accounts()]
        self.initial.setdefault("funding_account", "100201")


class RepayForm(ActionForm):
    keyed = True
    amount = forms.CharField(label=_("还款金额（元）"), max_length=20)
    day = forms.DateField(label=_("还款日期"), widget=DATE)
    method = method_field()
    reference = forms.CharField(label=_("流水号/凭证号"), max_length=80, required=False)
    payer = forms.CharField(label=_("付款人"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("day", clock.today())


class WaiveForm(ActionForm):
    keyed = True
    component = forms.ChoiceField(label=_("减免项目"), choices=list(WAIVABLE_NAMES.items()))
    amount = forms.CharField(label=_("减免金额（元）"), max_length=20)
    reason = forms.CharField(label=_("减免原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReverseForm(ActionForm):
    keyed = True
    reason = forms.CharField(label=_("冲正原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SettleForm(ActionForm):
    keyed = True
    amount = forms.CharField(label=_("结清金额（元）"), max_length=20)
    method = method_field()
    reference = forms.CharField(label=_("流水号/凭证号"), max_length=80, required=False)
    payer = forms.CharField(label=_("付款人"), max_length=100, required=False)


class RefundForm(ActionForm):
    keyed = True
    amount = forms.CharField(label=_("退还金额（元）"), max_length=20)
    method = method_field()
    reference = forms.CharField(label=_("流水号/凭证号"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("amount", f"{self.iou.overpayment:.2f}")


class ExtendForm(ActionForm):
    keyed = True
    term = forms.IntegerField(label=_("展期后期数"), min_value=1, max_value=600, widget=NUMBER)
    rate_text = forms.CharField(label=_("新利率"), max_length=30, required=False, help_text=_("留空则沿用原利率"))
    first_due = forms.DateField(label=_("新首期还款日"), required=False, widget=DATE)
    reason = forms.CharField(label=_("展期/重组原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WriteOffForm(ActionForm):
    keyed = True
    reason = forms.CharField(label=_("核销原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("如：债务人死亡、破产，经诉讼执行仍无法收回"))
    recovery_method = forms.ChoiceField(label=_("收回方式"), choices=RecoveryMethod.choices,
                                        initial=RecoveryMethod.WRITE_OFF)


def days_past_due_today(iou: Iou) -> int:
    """Days past due as of the business date, read only (the stored figure is as of the IOU's last
    event or close; the service brings the IOU to today before it checks the floor)."""
    today = clock.today()
    return aging.days_past_due([row.due_date for row in current_installments(iou)
                                if row.due_date < today and any(v > 0 for v in unpaid(row).values())], as_of=today)


CLEAR = "floor"  # the choice that clears a hand tier (back to the floor by days past due)


class ClassifyForm(ActionForm):
    """五级分类 by hand: only tiers at least as bad as the floor by days past due are offered (the
    service refuses a better one, naming the field)."""

    classification = forms.ChoiceField(label=_("五级分类"))
    reason = forms.CharField(label=_("认定理由"), widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("请填写调整五级分类的原因。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        iou = self.iou
        self.dpd = days_past_due_today(iou)
        floor = aging.classification_floor(self.dpd)
        self.floor = TIER_TO_CLASS[floor]
        choices = [(c.value, c.label) for c in Classification if CLASS_TO_TIER[c] >= floor]
        if iou.classification_manual:
            choices.append((CLEAR, _("取消人工认定（按逾期天数，%(floor)s）") % {"floor": self.floor.label}))
        field = self.fields["classification"]
        field.choices = choices
        field.help_text = _("按逾期 %(dpd)d 天，最低为 %(floor)s；只能认定为同级或更差的分类。") % {
            "dpd": self.dpd, "floor": self.floor.label}
        self.initial.setdefault("classification", iou.classification)

    def clean_classification(self):
        value = self.cleaned_data["classification"]
        return None if value == CLEAR else value


class RecoverForm(RepayForm):
    amount = forms.CharField(label=_("收回金额（元）"), max_length=20)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    form: type[ActionForm]
    permission: str
    allowed: Callable[[Iou], bool]
    run: Callable  # (iou, user, cleaned_data, form, request) → success message
    variant: str = "default"
    intro: str = ""
    in_bar: bool = True  # offered as a button on the IOU page (冲正 is offered per transaction)

    def offered(self, iou: Iou, user, *, open_kinds: set[str] | None = None) -> bool:
        # permission, branch, predicate, and no approval request for it open on the IOU
        return self.in_bar and predicates.may(user, iou, self.name, open_kinds=open_kinds)


def _through_approval(iou, request, *, kind: str, payload: dict, summary: str, amount=None):
    """submit_or_run: (the executor's result, None) when done at once, (None, the message) when an
    approval request was opened."""
    outcome = submit_or_run(kind=kind, target=iou, user=request.user, payload=payload, summary=summary,
                            reason=payload.get("reason", ""), amount=amount, product=iou.product, branch=iou.branch)
    if outcome.request is not None:
        return None, submitted_message(outcome.request)
    return outcome.result or {}, None


def _yuan(value) -> str:
    return f"{amount_of(value, '金额'):,.2f}"


def _submit(iou, user, data, form, request):
    iou_submit(iou=iou, user=user)
    opened = next((r for r in pending_for(iou) if r.kind == IOU_APPROVAL), None)
    if opened is not None:
        return submitted_message(opened)
    return _("已提交审批。")


def _approve(iou, user, data, form, request):
    iou_approve(iou=iou, user=user, comment=data["comment"])
    return _("已审批通过。")


def _reject(iou, user, data, form, request):
    iou_reject(iou=iou, user=user, comment=data["comment"])
    return _("已驳回，借据退回草稿。")


def _cancel(iou, user, data, form, request):
    iou_cancel(iou=iou, user=user, reason=data["reason"])
    return _("借据已作废。")


def _disburse(iou, user, data, form, request):
    record = iou_disburse(iou=iou, user=user, day=data["day"], reference=data["reference"],
                          funding_account=data.get("funding_account") or "100201", idempotency_key=form.key(),
                          amount=data.get("amount") or None)
    if iou.kind == IouKind.DEBT:
        return _("欠条已生效，应收 ¥%(amount)s。") % {"amount": f"{record.principal:,.2f}"}
    return _("已放款，实付 ¥%(amount)s。") % {"amount": f"{record.amount:,.2f}"}


def _tranche(iou, user, data, form, request):
    record = iou_disburse_tranche(iou=iou, amount=data["amount"], user=user, funding_account=data["funding_account"],
                                  reference=data["reference"], idempotency_key=form.key())
    return _("已追加放款 ¥%(amount)s，还款计划已按剩余期数重新安排。") % {"amount": f"{record.amount:,.2f}"}


def _repay(iou, user, data, form, request):
    record = iou_repay(iou=iou, amount=data["amount"], user=user, day=data["day"], method=data["method"],
                       reference=data["reference"], payer=data["payer"], idempotency_key=form.key())
    message = _("已登记还款 ¥%(amount)s。") % {"amount": f"{record.amount:,.2f}"}
    if record.overpayment:
        message += str(_("其中 ¥%(credit)s 转为溢缴款。") % {"credit": f"{record.overpayment:,.2f}"})
    return message


def _waive(iou, user, data, form, request):
    amount = amount_of(data["amount"], "减免金额")
    result, submitted = _through_approval(
        iou, request, kind=IOU_WAIVE, amount=amount,
        payload={"component": data["component"], "amount": str(amount), "reason": data["reason"],
                 "idempotency_key": form.key()},
        summary=_("减免 %(number)s %(component)s ¥%(amount)s") % {
            "number": iou.number, "component": WAIVABLE_NAMES.get(data["component"], ""), "amount": f"{amount:,.2f}"})
    return submitted or _("已减免 ¥%(amount)s。") % {"amount": _yuan(result["amount"])}


def _reverse(iou, user, data, form, request):
    record = selectors.transaction_get(user=user, iou=iou, pk=request.GET.get("transaction"))
    result, submitted = _through_approval(
        iou, request, kind=TRANSACTION_REVERSE, amount=record.amount,
        payload={"transaction": record.pk, "reason": data["reason"], "idempotency_key": form.key()},
        summary=_("冲正 %(number)s：%(what)s") % {"number": iou.number, "what": str(record)})
    return submitted or _("已冲正：%(what)s。") % {"what": str(record)}


def _settle(iou, user, data, form, request):
    iou_settle_early(iou=iou, amount=data["amount"], user=user, method=data["method"], reference=data["reference"],
                     payer=data["payer"], idempotency_key=form.key())
    return _("已提前结清。")


def _refund(iou, user, data, form, request):
    amount = amount_of(data["amount"], "退款金额")
    result, submitted = _through_approval(
        iou, request, kind=IOU_REFUND, amount=amount,
        payload={"amount": str(amount), "method": data["method"], "reference": data["reference"],
                 "idempotency_key": form.key()},
        summary=_("退还溢缴款 %(number)s ¥%(amount)s") % {"number": iou.number, "amount": f"{amount:,.2f}"})
    return submitted or _("已退还溢缴款 ¥%(amount)s。") % {"amount": _yuan(result["amount"])}


def _extend(iou, user, data, form, request):
    first_due = data["first_due"]
    _result, submitted = _through_approval(
        iou, request, kind=IOU_EXTEND, amount=iou.principal_outstanding,
        payload={"term": data["term"], "rate_text": data["rate_text"] or "", "reason": data["reason"],
                 "first_due": first_due.isoformat() if first_due else "", "idempotency_key": form.key()},
        summary=_("展期/重组 %(number)s：%(term)s 期") % {"number": iou.number, "term": data["term"]})
    if submitted:
        return submitted
    iou.refresh_from_db()
    message = _("已展期，新到期日 %(day)s。") % {"day": iou.maturity_date.isoformat()}
    if iou.cap_within is False:
        messages.warning(request, _("展期后的利率超过保护上限，请查看借据页的利率上限提示。"))
    return message


def _write_off(iou, user, data, form, request):
    result, submitted = _through_approval(
        iou, request, kind=IOU_WRITE_OFF, amount=iou.total_outstanding,
        payload={"reason": data["reason"], "recovery_method": data["recovery_method"], "idempotency_key": form.key()},
        summary=_("核销 %(number)s：未还 ¥%(amount)s") % {"number": iou.number,
                                                       "amount": f"{iou.total_outstanding:,.2f}"})
    return submitted or _("已核销 ¥%(amount)s，转入表外登记。") % {"amount": _yuan(result["amount"])}


def _recover(iou, user, data, form, request):
    record = iou_recover(iou=iou, amount=data["amount"], user=user, day=data["day"], method=data["method"],
                         reference=data["reference"], payer=data["payer"], idempotency_key=form.key())
    return _("已登记核销后收回 ¥%(amount)s。") % {"amount": f"{record.amount:,.2f}"}


def _classify(iou, user, data, form, request):
    iou = iou_classify(iou=iou, classification=data["classification"], reason=data["reason"], user=user)
    if data["classification"] is None:
        return _("已取消人工认定，五级分类按逾期天数为“%(tier)s”。") % {"tier": iou.get_classification_display()}
    return _("五级分类已调整为“%(tier)s”。") % {"tier": iou.get_classification_display()}


REVERSE = Action("reverse", _("冲正"), ReverseForm, "ious.reverse_transaction", lambda iou: True, _reverse,
                 variant="danger", in_bar=False,
                 intro=_("冲正会记一笔反向凭证，原交易保留可查；冲正还款时，其后的还款按顺序重新分摊。"))

ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("submit", _("提交审批"), ConfirmForm, "ious.change_iou",
           lambda iou: predicates.can_submit(iou) or predicates.awaits_approval_request(iou),
           _submit, variant="primary", intro=_("提交后由主管审批；录入人不能审批自己录入的借据。")),
    Action("approve", _("审批通过"), CommentForm, "ious.approve_iou", predicates.can_approve,
           _approve, variant="primary"),
    Action("reject", _("驳回"), CommentForm, "ious.approve_iou", predicates.can_reject, _reject,
           intro=_("驳回时请在审批意见中说明需要修改什么；借据退回草稿。")),
    Action("disburse", _("放款/生效"), DisburseForm, "ious.disburse_iou", predicates.can_disburse,
           _disburse, variant="primary", intro=_("放款后按借据条款生成还款计划并记账；欠条生效时确认应收，不涉及资金账户。")),
    Action("tranche", _("追加放款"), TrancheForm, "ious.disburse_iou", predicates.can_disburse_tranche, _tranche,
           intro=_("分笔放款：本笔放款后，未到期本金按剩余期数重新安排还款计划，原计划保留在历史中。")),
    Action("repay", _("登记还款"), RepayForm, "ious.record_repayment", predicates.can_repay, _repay, variant="primary",
           intro=_("按借据的冲抵顺序分摊；多付部分转为溢缴款，在下期到期时自动冲抵或办理退还。")),
    Action("settle", _("提前结清"), SettleForm, "ious.record_repayment", predicates.can_settle_early, _settle,
           intro=_("按今日报价一次还清全部欠款；剩余还款计划由一期结清计划取代，原计划保留在历史中。")),
    Action("waive", _("减免"), WaiveForm, "ious.waive_iou", predicates.can_waive, _waive,
           intro=_("减免利息、罚息或费用（从最早一期起）；本金不能减免，请走核销流程。")),
    Action("refund", _("退还溢缴款"), RefundForm, "ious.record_repayment", predicates.can_refund,
           _refund),
    Action("extend", _("展期/重组"), ExtendForm, "ious.extend_iou", predicates.can_extend, _extend,
           intro=_("已到期未还的部分并入第0期，今日到期；未到期本金按新期数重新安排。诉讼时效和利率上限重新计算。")),
    Action("write_off", _("核销"), WriteOffForm, "ious.write_off_iou", predicates.can_write_off,
           _write_off, variant="danger", intro=_("核销将全部未还余额转入表外登记，之后的收回记为核销后收回。")),
    Action("recover", _("核销后收回"), RecoverForm, "ious.record_repayment", predicates.can_recover,
           _recover, variant="primary"),
    Action("classify", _("调整五级分类"), ClassifyForm, "ious.classify_iou", predicates.can_classify,
           _classify, intro=_("借据显示人工认定与逾期天数下限中更差的一级，日终不会覆盖更差的人工认定；"
                              "比下限更好的分类不能认定。调整前先计罚息至今日，并记入审计日志。")),
    Action("cancel", _("作废"), ReasonForm, "ious.change_iou", predicates.can_cancel, _cancel,
           variant="danger", intro=_("作废后借据不能再使用，记录保留可查。")),
    REVERSE,
]}


class IouActionPage(BackofficePage):
    template_name = "backoffice/ious/action.html"
    permission_required = ("ious.view_iou",)

    def dispatch(self, request, *args, **kwargs):
        self.action = ACTIONS.get(kwargs["action"])
        if self.action is None:
            raise Http404(_("没有这个操作。"))
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self):
        return super().has_permission() and self.request.user.has_perm(self.action.permission)

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied(_("您没有办理“%(action)s”的权限。") % {"action": self.action.label})
        return super().handle_no_permission()

    def iou(self) -> Iou:
        if not hasattr(self, "_iou"):
            self._iou = selectors.iou_get(user=self.request.user, pk=self.kwargs["pk"])
        return self._iou

    def get_context_data(self, **kwargs):
        iou = self.iou()
        kwargs.pop("action", None)  # the URL's slug; the context gets the Action itself
        form = kwargs.pop("form", None) or self.action.form(iou=iou)
        extra = {}
        if self.action.name == "reverse":
            extra["record"] = selectors.transaction_get(user=self.request.user, iou=iou,
                                                        pk=self.request.GET.get("transaction"))
        if self.action.name == "settle" and self.request.method == "GET":
            try:
                # The quote brings the IOU up to date (posts what fell due by today), then quotes.
                quote = iou_settlement_quote(iou=iou, user=self.request.user)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                extra["quote"] = quote
                form.initial.setdefault("amount", f"{quote.total:.2f}")
                iou.refresh_from_db()
        kind = ACTION_KINDS.get(self.action.name)
        if kind and self.action.name not in ("approve", "reject"):
            # said before the maker submits: the operation waits for an approver (maker-checker)
            extra["approval_note"] = approval_note(kind, product_id=iou.product_id, branch_id=iou.branch_id)
        self.title = f"{self.action.label} · {iou.number}"
        return super().get_context_data(**kwargs, iou=iou, form=form, action=self.action, **extra,
                                        back=reverse("backoffice:iou_detail", args=[iou.pk]))

    def get(self, request, *args, **kwargs):
        if self.action.name == "reverse":
            record = selectors.transaction_get(user=request.user, iou=self.iou(), pk=request.GET.get("transaction"))
            if not predicates.can_reverse(record, self.iou()):
                messages.error(request, _("这笔交易不能冲正：%(what)s。") % {"what": str(record)})
                return redirect("backoffice:iou_detail", pk=self.iou().pk)
        if not self.action.allowed(self.iou()):
            messages.error(request, _("借据 %(number)s 当前状态为“%(status)s”，不能%(action)s。") % {
                "number": self.iou().number, "status": self.iou().get_status_display(), "action": self.action.label})
            return redirect("backoffice:iou_detail", pk=self.iou().pk)
        if self.action.name in ("approve", "reject") and predicates.is_maker(self.iou(), request.user):
            # the form, opened by its address, would only be refused on submit (maker-checker)
            messages.error(request, _("录入人不能审批自己录入的借据，请由主管审批。"))
            return redirect("backoffice:iou_detail", pk=self.iou().pk)
        kind = ACTION_KINDS.get(self.action.name)
        running = next((r for r in pending_for(self.iou()) if r.kind == kind), None) if kind else None
        if running is not None:
            # one request at a time for an operation: the page shows it; it is decided there or withdrawn
            messages.error(request, _("“%(action)s”已有审批单 %(number)s 在审批中，请等待审批结果。") % {
                "action": self.action.label, "number": running.number})
            return redirect("backoffice:iou_detail", pk=self.iou().pk)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        iou = self.iou()
        form = self.action.form(request.POST, iou=iou)
        if form.is_valid():
            try:
                message = self.action.run(iou, request.user, form.cleaned_data, form, request)
            except ApplicationError as error:
                field = error.extra.get("field")  # a service's refusal shown next to the field it names
                form.add_error(field if field in form.fields else None, error.message)
            else:
                messages.success(request, message)
                return redirect("backoffice:iou_detail", pk=iou.pk)
        return self.render_to_response(self.get_context_data(form=form))
