"""新建借据: 借款（按产品）, 欠条（欠款）, 借条（不按产品）, and the customer box they share."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.iou_pages.common import DATE, NUMBER, amount_of
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.widgets import AutocompleteSelect
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.customers.models import Customer
from ioudesk.customers.search import search_customers
from ioudesk.ious.models import DebtReason, GuaranteeType, IouKind, PaymentTerms, Purpose
from ioudesk.ious.services import iou_create
from ioudesk.products.models import Product
from ioudesk.products.terms import DayCount, Frequency, RepaymentMethod

# --- choosing a customer ----------------------------------------------------------------------


MAX_PAGE = 1000  # of 20 customers: a search narrower than that is typed, not paged


class CustomerSearchView(BackofficePage):
    """JSON for the customer box (select2): the customers the user may see matching the term."""

    permission_required = ("ious.add_iou",)

    def get(self, request, *args, **kwargs):
        term = (request.GET.get("term") or request.GET.get("q") or "").strip()
        page = request.GET.get("page") or "1"
        page = min(max(int(page), 1), MAX_PAGE) if page.isdigit() and len(page) < 8 else 1  # ?page=abc: 1
        found = search_customers(request.user, term).order_by("-id")[(page - 1) * 20:page * 20 + 1]
        rows = list(found)
        return JsonResponse({
            "results": [{"id": str(c.pk), "text": f"{c.name}（{c.number}）"} for c in rows[:20]],
            "pagination": {"more": len(rows) > 20},
        })


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.number}）"


def customer_field() -> CustomerChoiceField:
    widget = AutocompleteSelect()
    widget.attrs.update({"data-ajax--url": reverse("backoffice:iou_customer_search"), "data-allow-clear": "false",
                         "data-placeholder": _("输入姓名、拼音、手机号或客户编号查找")})
    return CustomerChoiceField(label=_("债务人（客户）"), queryset=Customer.objects.none(), widget=widget)


class ScopedCustomerMixin:
    """The customer box: any customer the user may see; only the chosen one is rendered as an
    option (the list itself comes from the search as the user types)."""

    def setup_customer(self, user):
        field = self.fields["customer"]
        field.queryset = search_customers(user, "")
        chosen = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        options = [("", "")]
        if chosen and str(chosen).isdigit():
            customer = field.queryset.filter(pk=chosen).first()
            if customer is not None:
                options.append((customer.pk, field.label_from_instance(customer)))
        field.widget.choices = options


# --- create -----------------------------------------------------------------------------------


class PartiesForm(ScopedCustomerMixin, forms.Form):
    guarantor = forms.CharField(label=_("担保人"), max_length=100, required=False)
    witness = forms.CharField(label=_("见证人"), max_length=100, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # The origination checks (the defaulter list: ioudesk.ious.origination_checks) refuse a listed
    # debtor unless the maker confirms; the confirmation is in the IOU's audit trail.
    confirm_checks = forms.BooleanField(label=_("已知悉风险，确认建立"), required=False,
                                        help_text=_("债务人在失信/黑名单中时，系统会提示原因；确需建立借据时勾选"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"customer": customer_field(), **self.fields}
        self.setup_customer(user)

    def parties(self) -> dict:
        data = self.cleaned_data
        return {"customer": data["customer"], "guarantor": data["guarantor"], "witness": data["witness"],
                "notes": data["notes"], "confirm_checks": data["confirm_checks"]}


class LoanPartiesForm(PartiesForm):
    """A loan's parties plus what the regulator's monthly table counts it by (blank: not recorded; the
    reports then read 保证 when a guarantor is named, else 信用, and 其他)."""

    guarantee_type = forms.ChoiceField(label=_("担保方式"), required=False,
                                       choices=[("", _("未填写（有担保人按保证，否则按信用）")), *GuaranteeType.choices],
                                       help_text=_("业务状况月报按信用、保证、抵押、质押统计贷款"))
    purpose_category = forms.ChoiceField(label=_("借款用途分类"), required=False,
                                         choices=[("", _("未填写（按其他）")), *Purpose.choices])

    def parties(self) -> dict:
        data = self.cleaned_data
        return {**super().parties(), "guarantee_type": data["guarantee_type"] or None,
                "purpose_category": data["purpose_category"] or None}


class ProductLoanForm(LoanPartiesForm):
    kind = "product"
    title = _("借款（按产品）")
    product = forms.ModelChoiceField(label=_("贷款产品"), queryset=Product.objects.filter(is_active=True))
    principal = forms.CharField(label=_("借款金额（元）"), max_length=20)
    term = forms.IntegerField(label=_("期数"), min_value=1, max_value=600, widget=NUMBER)
    contract_date = forms.DateField(label=_("借款日期"), widget=DATE)
    first_due = forms.DateField(label=_("首期还款日"), required=False, widget=DATE,
                                help_text=_("留空则按还款周期从放款日起算"))
    field_order = ["customer", "product", "principal", "term", "contract_date", "first_due", "guarantee_type",
                   "guarantor", "purpose_category"]

    def fields_for_create(self) -> dict:
        data = self.cleaned_data
        return {"kind": IouKind.LOAN, "product": data["product"], "principal": data["principal"], "term": data["term"],
                "contract_date": data["contract_date"], "first_due": data["first_due"], **self.parties()}


class DebtIouForm(PartiesForm):
    kind = "debt"
    title = _("欠条（欠款）")
    debt_reason = forms.ChoiceField(label=_("欠款原因"), choices=DebtReason.choices, initial=DebtReason.GOODS)
    reason = forms.CharField(label=_("事由"), max_length=200, required=False,
                             help_text=_("如：2026年10月采购钢材货款"))
    principal = forms.CharField(label=_("欠款金额（元）"), max_length=20)
    contract_date = forms.DateField(label=_("欠款日期"), widget=DATE)
    due_date = forms.DateField(label=_("到期日"), required=False, widget=DATE,
                               help_text=_("与账期二选一；都不填表示未约定还款期限"))
    payment_terms = forms.ChoiceField(label=_("账期"), choices=PaymentTerms.choices, required=False)
    rate_text = forms.CharField(label=_("利率"), max_length=30, initial="0%",
                                help_text=_("无息填 0%；如 年化6%、月息5厘"))
    creditor = forms.CharField(label=_("债权人"), max_length=100, required=False, help_text=_("留空表示本机构"))
    field_order = ["customer", "debt_reason", "reason", "principal", "contract_date", "due_date", "payment_terms",
                   "rate_text", "creditor"]

    def fields_for_create(self) -> dict:
        data = self.cleaned_data
        return {"kind": IouKind.DEBT, "debt_reason": data["debt_reason"], "reason": data["reason"],
                "principal": amount_of(data["principal"], "欠款金额"), "contract_date": data["contract_date"],
                "due_date": data["due_date"], "payment_terms": data["payment_terms"] or "",
                "rate_text": data["rate_text"] or "0%", "creditor": data["creditor"], **self.parties()}


class PlainLoanForm(LoanPartiesForm):
    kind = "plain"
    title = _("借条（不按产品）")
    principal = forms.CharField(label=_("借款金额（元）"), max_length=20)
    rate_text = forms.CharField(label=_("利率"), max_length=30, initial="0%",
                                help_text=_("按借条所写：12%、年化12%、月息1分、月息2分、日息万五；无息填 0%"))
    method = forms.ChoiceField(label=_("还款方式"), choices=[c for c in RepaymentMethod.choices if c[0] != "custom"],
                               initial=RepaymentMethod.BULLET)
    frequency = forms.ChoiceField(label=_("还款周期"), choices=Frequency.choices, initial=Frequency.MONTHLY)
    term = forms.IntegerField(label=_("期数"), min_value=1, max_value=600, initial=1, widget=NUMBER)
    day_count = forms.ChoiceField(label=_("计息基准"), choices=DayCount.choices, initial=DayCount.THIRTY_360)
    contract_date = forms.DateField(label=_("借款日期"), widget=DATE)
    first_due = forms.DateField(label=_("首期还款日"), required=False, widget=DATE)
    creditor = forms.CharField(label=_("出借人"), max_length=100, required=False, help_text=_("留空表示本机构"))
    field_order = ["customer", "principal", "rate_text", "method", "frequency", "term", "day_count",
                   "contract_date", "first_due", "creditor", "guarantee_type", "guarantor", "purpose_category"]

    def fields_for_create(self) -> dict:
        data = self.cleaned_data
        return {"kind": IouKind.LOAN, "principal": amount_of(data["principal"], "借款金额"),
                "rate_text": data["rate_text"], "method": data["method"], "frequency": data["frequency"],
                "term": data["term"], "day_count": data["day_count"], "contract_date": data["contract_date"],
                "first_due": data["first_due"], "creditor": data["creditor"], **self.parties()}


CREATE_FORMS = {form.kind: form for form in (ProductLoanForm, DebtIouForm, PlainLoanForm)}


class IouCreatePage(BackofficePage):
    template_name = "backoffice/ious/create.html"
    title = _("新建借据")
    permission_required = ("ious.add_iou",)

    def kind(self) -> str:
        kind = self.request.GET.get("kind", "product")
        return kind if kind in CREATE_FORMS else "product"

    def make_form(self, data=None):
        initial = {"contract_date": clock.today(), "customer": self.request.GET.get("customer")}
        return CREATE_FORMS[self.kind()](data, user=self.request.user, initial=initial)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.make_form())
        kinds = [(k, f.title, f"{reverse('backoffice:iou_create')}?kind={k}") for k, f in CREATE_FORMS.items()]
        return super().get_context_data(**kwargs, kinds=kinds, kind=self.kind())

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                iou, warning = iou_create(user=request.user, **form.fields_for_create())
            except ApplicationError as error:
                field = error.extra.get("field")
                form.add_error(field if field in form.fields else None, error.message)
            else:
                messages.success(request, _("已建立借据 %(number)s（草稿），请核对后提交审批。") % {"number": iou.number})
                if warning:
                    messages.warning(request, _("利率上限提示：%(warning)s") % {"warning": warning})
                return redirect("backoffice:iou_detail", pk=iou.pk)
        return self.render_to_response(self.get_context_data(form=form))
