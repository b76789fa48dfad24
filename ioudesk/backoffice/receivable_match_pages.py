"""收付款 and 核销 pages: the 收付款 list, the 新建收款/付款 form, a receipt's page (its allocations with
撤销, the suggestions to accept, manual matching against a customer's open items, 无需核销), and the
待核销 queue with its sidebar badge (``queue_badge``) and "run matching again".

The work is done by ioudesk.receivables (receipts.py, matching.py); these views parse, call one
service or selector and render."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.iou_pages.create import CustomerChoiceField, CustomerSearchView, ScopedCustomerMixin
from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.widgets import AutocompleteSelect
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.customers.models import Customer
from ioudesk.ious.models import Iou
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables import matching, receipt_predicates, receipts
from ioudesk.receivables.models import (
    Allocation,
    BillDue,
    Channel,
    Direction,
    MatchSuggestion,
    ReceiptStatus,
)

PAGE_SIZE = 50
QUEUE_RUN_LIMIT = 5000
STATUS_TAGS = {ReceiptStatus.UNMATCHED: "warning", ReceiptStatus.PARTIAL: "primary",
               ReceiptStatus.MATCHED: "success", ReceiptStatus.IGNORED: "danger"}


def queue_badge(request):
    """The sidebar's count next to 待核销: receipts with money unmatched that the user sees."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("receivables.match_receipt"):
        return None
    count = receipts.match_queue_count(user)
    return count or None


def _receipt_or_404(user, pk):
    receipt = receipts.receipt_get(user, pk)
    if receipt is None:
        raise Http404(_t("收付款不存在，或您无权查看。"))
    return receipt


# --- the list --------------------------------------------------------------------------------------


class ReceiptListPage(BackofficePage):
    title = _("收付款")
    template_name = "backoffice/receivables/receipt_list.html"
    permission_required = ("receivables.view_receipt",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        keys = ("direction", "status", "channel", "day_from", "day_to", "customer", "q")
        filters = {key: self.request.GET.get(key, "").strip() for key in keys if self.request.GET.get(key)}
        query = receipts.receipt_list(user, filters)
        page = Paginator(query, PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        kwargs.update(
            rows=[{"receipt": r, "tag": STATUS_TAGS.get(r.status, "primary")} for r in page.object_list],
            page=page, filters=filters, query=params.urlencode(), totals=receipts.receipt_totals(query),
            direction_choices=Direction.choices, status_choices=ReceiptStatus.choices, channel_choices=Channel.choices,
            can_add=user.has_perm("receivables.add_receipt"),
            can_queue=user.has_perm("receivables.match_receipt"),
        )
        return super().get_context_data(**kwargs)


# --- the form --------------------------------------------------------------------------------------


class ReceiptForm(ScopedCustomerMixin, forms.Form):
    direction = forms.ChoiceField(label=_("收款或付款"), choices=[(Direction.RECEIVABLE, _("收款（客户付给我们）")),
                                                              (Direction.PAYABLE, _("付款（我们付给供应商）"))])
    channel = forms.ChoiceField(label=_("收付方式"), choices=Channel.choices)
    account_code = forms.ChoiceField(label=_("资金科目"), help_text=_("款项进出的银行账户、库存现金或应收票据"))
    day = forms.DateField(label=_("收付日期"), widget=forms.DateInput(attrs={"type": "date"}),
                          error_messages={"required": _("请填写收付日期。"), "invalid": _("日期格式应为 2026-11-28。")})
    amount = forms.CharField(label=_("金额（元）"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "12,345.67"}),
                             error_messages={"required": _("请填写金额。")})
    payer_name = forms.CharField(label=_("对方户名"), max_length=100, required=False,
                                 help_text=_("银行回单上的对方户名；用于自动识别往来单位"))
    payer_account = forms.CharField(label=_("对方账号"), max_length=40, required=False)
    payer_bank = forms.CharField(label=_("对方开户行"), max_length=100, required=False)
    memo = forms.CharField(label=_("摘要/附言"), max_length=300, required=False,
                           help_text=_("写有单号（如 YS20261128-0001）或借据号时自动核销到该单据"))
    reference = forms.CharField(label=_("流水号/票据号"), max_length=60, required=False)
    customer = CustomerChoiceField(label=_("往来单位（可不填）"), queryset=Customer.objects.none(), required=False,
                                   widget=AutocompleteSelect())
    auto_match = forms.BooleanField(label=_("保存后自动核销"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_code"].choices = receipts.funding_accounts()
        widget = self.fields["customer"].widget
        widget.attrs.update({"data-ajax--url": reverse("backoffice:receivables_receipt_customer_search"),
                             "data-placeholder": _t("输入名称、拼音或客户编号查找")})
        self.setup_customer(user)


class ReceiptCreatePage(BackofficePage):
    title = _("新建收款/付款")
    template_name = "backoffice/receivables/receipt_form.html"
    permission_required = ("receivables.add_receipt",)

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            direction = self.request.GET.get("direction")
            kwargs["form"] = ReceiptForm(user=self.request.user, initial={
                "day": clock.today(), "direction": direction if direction in Direction.values else Direction.RECEIVABLE,
                "channel": Channel.BANK, "auto_match": True, "account_code": AccountCode.BANK_BASIC})
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = ReceiptForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                receipt = receipts.receipt_create(
                    direction=data["direction"], channel=data["channel"], account_code=data["account_code"],
                    day=data["day"], amount=data["amount"].replace(",", "").replace("，", "").strip(),
                    payer_name=data["payer_name"], payer_account=data["payer_account"], payer_bank=data["payer_bank"],
                    memo=data["memo"], reference=data["reference"], customer=data["customer"],
                    branch=request.user.branch, user=request.user, auto_match=data["auto_match"])
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _t("%(number)s 已登记，%(status)s。") % {
                    "number": receipt.number, "status": receipt.get_status_display()})
                return redirect("backoffice:receivables_receipt", pk=receipt.pk)
        return self.render_to_response(self.get_context_data(form=form))


class ReceiptCustomerSearchView(CustomerSearchView):
    permission_required = ("receivables.view_receipt",)


# --- a receipt -------------------------------------------------------------------------------------


class PickCustomerForm(ScopedCustomerMixin, forms.Form):
    customer = CustomerChoiceField(label=_("往来单位"), queryset=Customer.objects.none(), widget=AutocompleteSelect())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["customer"].widget
        widget.attrs.update({"data-ajax--url": reverse("backoffice:receivables_receipt_customer_search"),
                             "data-placeholder": _t("输入名称、拼音或客户编号查找")})
        self.setup_customer(user)


class ReceiptPage(BackofficePage):
    title = _("收付款")
    template_name = "backoffice/receivables/receipt_detail.html"
    permission_required = ("receivables.view_receipt",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        receipt = _receipt_or_404(user, self.kwargs["pk"])
        can_match = receipt_predicates.can_match(receipt, user)
        customer = receipt.customer
        picked = self.request.GET.get("customer", "")
        if can_match and picked.isdigit():
            customer = receipts.customer_for_matching(user, int(picked)) or customer
        items = []
        if can_match and customer is not None:
            entered = kwargs.get("entered", {})
            today = clock.today()
            for item in matching.customer_open_items(customer, direction=receipt.direction, user=user, whole_ious=True):
                key = f"{item.kind}-{item.doc_id if item.kind == 'iou' else item.pk}"
                items.append({"item": item, "key": key, "value": entered.get(key, ""),
                              "days": max((today - item.due_date).days, 0)})
        allocations = [{"allocation": a, "can_undo": receipt_predicates.can_undo(a, user)}
                       for a in receipt.allocations.select_related("due__bill", "iou", "created_by").order_by("id")]
        kwargs.update(
            receipt=receipt, tag=STATUS_TAGS.get(receipt.status, "primary"), allocations=allocations,
            suggestions=list(receipt.suggestions.select_related("due__bill", "iou")), can_match=can_match,
            can_ignore=receipt_predicates.can_ignore(receipt, user), customer=customer, items=items,
            open_total=sum((i["item"].open for i in items), Decimal("0")),
            pick_form=PickCustomerForm(user=user, initial={"customer": customer.pk if customer else None}),
            ignore_accounts=receipts.ignore_accounts(),
        )
        self.title = f"{_t('收款') if receipt.direction == Direction.RECEIVABLE else _t('付款')} {receipt.number}"
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        user = request.user
        receipt = _receipt_or_404(user, kwargs["pk"])
        action = request.POST.get("action", "")
        entered = {}
        try:
            if action == "match":
                targets, entered = self._targets(request, receipt)
                made = matching.match_manual(receipt=receipt, targets=targets, user=user)
                messages.success(request, _t("已核销 %(n)d 笔，合计 ¥%(amount)s。") % {
                    "n": len(made), "amount": f"{sum(a.amount for a in made):,.2f}"})
            elif action == "accept":
                suggestion = MatchSuggestion.objects.filter(receipt=receipt, pk=request.POST.get("suggestion") or 0).first()
                if suggestion is None:
                    raise ApplicationError(_t("这条核销建议已不存在，请刷新页面。"))
                made = matching.suggestion_accept(suggestion=suggestion, user=user)
                messages.success(request, _t("已按建议核销 ¥%(amount)s。") % {"amount": f"{sum(a.amount for a in made):,.2f}"})
            elif action == "undo":
                allocation = Allocation.objects.filter(receipt=receipt, pk=request.POST.get("allocation") or 0).first()
                if allocation is None:
                    raise ApplicationError(_t("这笔核销不存在，请刷新页面。"))
                matching.allocation_undo(allocation=allocation, reason=request.POST.get("reason", ""), user=user)
                messages.success(request, _t("已撤销核销 ¥%(amount)s，并已记一张反向凭证。") % {
                    "amount": f"{allocation.amount:,.2f}"})
            elif action == "rerun":
                summary = matching.match_receipts([receipt.pk], user=user)
                messages.info(request, _t("已按核销规则重新核销：核销 ¥%(amount)s。") % {"amount": f"{summary.amount:,.2f}"})
            elif action == "ignore":
                receipts.receipt_ignore(receipt=receipt, account_code=request.POST.get("account_code", ""),
                                        reason=request.POST.get("reason", ""), user=user)
                messages.success(request, _t("%(number)s 已标记为无需核销。") % {"number": receipt.number})
            else:
                raise ApplicationError(_t("未知的操作。"))
        except ApplicationError as error:
            messages.error(request, str(error.message))
            if action == "match":
                return self.render_to_response(self.get_context_data(entered=entered, **kwargs))
        query = f"?customer={request.POST['customer']}" if request.POST.get("customer", "").isdigit() else ""
        return redirect(reverse("backoffice:receivables_receipt", kwargs={"pk": receipt.pk}) + query)

    def _targets(self, request, receipt):
        """(target, amount) from the amount boxes: 'amount-due-<id>' and 'amount-iou-<id>'."""
        targets, entered = [], {}
        for name, raw in request.POST.items():
            if not name.startswith("amount-") or not raw.strip():
                continue
            _prefix, kind, pk = (name.split("-", 2) + ["", ""])[:3]
            entered[f"{kind}-{pk}"] = raw
            try:
                amount = Decimal(raw.replace(",", "").replace("，", "").strip())
            except InvalidOperation:
                raise ApplicationError(_t("金额“%(raw)s”不是有效的数字，例如 1,234.56。") % {"raw": raw}) from None
            if not pk.isdigit():
                continue
            if kind == "due":
                target = BillDue.objects.filter(pk=int(pk)).first()
            elif kind == "iou":
                target = Iou.objects.filter(pk=int(pk)).first()
            else:
                target = None
            if target is None:
                raise ApplicationError(_t("所选的未结项已不存在，请刷新页面。"))
            targets.append((target, amount))
        return targets, entered


# --- the queue -------------------------------------------------------------------------------------


class MatchQueuePage(BackofficePage):
    title = _("待核销")
    template_name = "backoffice/receivables/match_queue.html"
    permission_required = ("receivables.match_receipt",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        query = receipts.match_queue(user)
        direction = self.request.GET.get("direction", "")
        if direction in Direction.values:
            query = query.filter(direction=direction)
        page = Paginator(query, PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = list(page.object_list)
        suggestions = {}
        for s in MatchSuggestion.objects.filter(receipt__in=rows).select_related("due__bill", "iou"):
            suggestions.setdefault(s.receipt_id, []).append(s)
        today = clock.today()
        kwargs.update(
            rows=[{"receipt": r, "tag": STATUS_TAGS.get(r.status, "primary"), "waiting": (today - r.day).days,
                   "suggestions": suggestions.get(r.pk, [])} for r in rows],
            page=page, total=page.paginator.count, direction=direction, direction_choices=Direction.choices,
            totals=receipts.receipt_totals(query),
        )
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        ids = list(receipts.match_queue(request.user).values_list("pk", flat=True)[:QUEUE_RUN_LIMIT])
        try:
            summary = matching.match_receipts(ids, user=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _t("已对 %(n)d 笔重新运行核销规则：%(matched)d 笔全部核销，%(partial)d 笔部分核销，"
                                         "%(suggested)d 笔有核销建议，共 ¥%(amount)s。") % {
                "n": summary.receipts, "matched": summary.matched, "partial": summary.partial,
                "suggested": summary.suggested, "amount": f"{summary.amount:,.2f}"})
        return redirect("backoffice:receivables_match_queue")


urlpatterns = [
    path("receivables/receipts/", ReceiptListPage.as_view(), name="receivables_receipts"),
    path("receivables/receipts/new/", ReceiptCreatePage.as_view(), name="receivables_receipt_create"),
    path("receivables/receipts/customer-search/", ReceiptCustomerSearchView.as_view(),
         name="receivables_receipt_customer_search"),
    path("receivables/receipts/<int:pk>/", ReceiptPage.as_view(), name="receivables_receipt"),
    path("receivables/match-queue/", MatchQueuePage.as_view(), name="receivables_match_queue"),
]
