"""往来单据 pages: 应收单 (the list with its filters and totals), 应付与采购, the bill form (lines,
live totals worked out by the server, the payment terms' due dates, whether approval will be needed
and why), the bill page (header, lines, open items, matches, credit notes, attachments, events, the
pending approval, the buttons its predicates allow, print), and the .xlsx import.

The work is done by ioudesk.receivables (bills, payables, bill_import); these views parse, call one
service or selector and render."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.iou_pages.create import CustomerChoiceField, CustomerSearchView, ScopedCustomerMixin
from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.widgets import AutocompleteSelect
from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied
from ioudesk.customers.models import Customer
from ioudesk.receivables import bills as bill_services
from ioudesk.receivables import payables, predicates
from ioudesk.receivables.credit import tax_rates
from ioudesk.receivables.models import (
    Allocation,
    AttachmentKind,
    BillKind,
    BillStatus,
    Direction,
    DueStatus,
    LineKind,
    Nature,
    PaymentTerms,
)
from ioudesk.receivables.terms_text import terms_display

INPUT_CLASSES = ("border border-base-200 bg-white font-medium min-w-20 placeholder-base-400 rounded-default shadow-xs "
                 "text-font-default-light text-sm focus:outline-2 focus:-outline-offset-2 focus:outline-primary-600 "
                 "group-[.errors]:border-red-600 focus:group-[.errors]:outline-red-600 dark:bg-base-900 "
                 "dark:border-base-700 dark:text-font-default-dark px-3 py-2 w-full")
STATUS_TAGS = {BillStatus.DRAFT: "primary", BillStatus.PENDING: "warning", BillStatus.OPEN: "primary",
               BillStatus.PAID: "success", BillStatus.VOID: "danger", BillStatus.ORDERED: "primary",
               BillStatus.RECEIVED: "success"}
PAGE_SIZE = 50


def _bill_or_404(user, pk):
    bill = bill_services.bill_get(user, pk)
    if bill is None:
        raise Http404(_t("单据不存在，或您无权查看。"))
    return bill


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


# --- lists -------------------------------------------------------------------------------------------

class BillListPage(BackofficePage):
    title = _("应收单")
    template_name = "backoffice/receivables/bill_list.html"
    permission_required = ("receivables.view_bill",)
    direction = Direction.RECEIVABLE

    def filters(self) -> dict:
        keys = ("status", "customer", "overdue", "bucket", "disputed", "nature", "kind", "q")
        found = {key: self.request.GET.get(key, "").strip() for key in keys if self.request.GET.get(key)}
        found["direction"] = self.direction
        return found

    def get_context_data(self, **kwargs):
        user = self.request.user
        filters = self.filters()
        day = clock.today()
        queryset = bill_services.bill_list(user, filters, day=day)
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        customer = None
        if str(filters.get("customer", "")).isdigit():
            customer = Customer.objects.filter(pk=int(filters["customer"])).first()
        kwargs.update(self.list_context(user, filters, queryset, page, day), customer_filter=customer)
        return super().get_context_data(**kwargs)

    def list_context(self, user, filters, queryset, page, day):
        rows = []
        for bill in page.object_list:
            days = (day - bill.oldest_due).days if bill.oldest_due and bill.status == BillStatus.OPEN else 0
            rows.append({"bill": bill, "days_overdue": max(days, 0), "tag": STATUS_TAGS.get(bill.status, "primary")})
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            "rows": rows, "page": page, "totals": bill_services.bill_totals(queryset, day=day), "filters": filters,
            "query": query.urlencode(), "day": day,
            "status_choices": [(s.value, s.label) for s in BillStatus if s not in (BillStatus.ORDERED, BillStatus.RECEIVED)],
            "nature_choices": Nature.choices,
            "overdue_choices": [("any", _t("已逾期")), ("short", _t("短期逾期")), ("long", _t("长期逾期"))],
            "bucket_choices": [("current", _t("未到期")), ("d1_30", _t("1–30 天")), ("d31_60", _t("31–60 天")),
                               ("d61_90", _t("61–90 天")), ("d91_180", _t("91–180 天")), ("d181_365", _t("181–365 天")),
                               ("over_365", _t(">365 天"))],
            "can_add": user.has_perm("receivables.add_bill"),
            "direction": self.direction,
        }


class PayablesPage(BillListPage):
    title = _("应付与采购")
    template_name = "backoffice/receivables/payable_list.html"
    direction = Direction.PAYABLE

    def get_context_data(self, **kwargs):
        user = self.request.user
        orders = bill_services.bill_list(user, {"direction": Direction.PAYABLE, "orders": True,
                                               "status": self.request.GET.get("order_status") or ""})[:50]
        kwargs["orders"] = [{"bill": o, "tag": STATUS_TAGS.get(o.status, "primary")} for o in orders]
        return super().get_context_data(**kwargs)


# --- the form ---------------------------------------------------------------------------------------

class BillHeaderForm(ScopedCustomerMixin, forms.Form):
    bill_date = forms.DateField(label=_("单据日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                error_messages={"required": _("请填写单据日期。"), "invalid": _("日期格式应为 2026-11-28。")})
    payment_terms = forms.ModelChoiceField(label=_("付款条件"), queryset=PaymentTerms.objects.filter(is_active=True),
                                           required=False, empty_label=_("按往来单位默认"),
                                           help_text=_("决定到期日；留空时用往来单位或系统默认的付款条件"))
    delivery_date = forms.DateField(label=_("交货日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                    help_text=_("货到付款时按交货日期到期"))
    declared_total = forms.CharField(label=_("价税合计（核对用）"), required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                     help_text=_("可填写发票或合同上的合计金额，与明细不符时不能保存"))
    vat_invoice_number = forms.CharField(label=_("发票号码"), required=False, max_length=24,
                                         widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                                         help_text=_("已开具增值税发票时填写：8位或20位（数电发票）数字"))
    vat_invoice_date = forms.DateField(label=_("开票日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    external_ref = forms.CharField(label=_("合同/订单号"), required=False, max_length=40)
    memo = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, user, direction, **kwargs):
        super().__init__(*args, **kwargs)
        widget = AutocompleteSelect()
        widget.attrs.update({"data-ajax--url": reverse("backoffice:receivables_customer_search"),
                             "data-allow-clear": "false", "data-placeholder": _("输入名称、拼音或客户编号查找")})
        label = _("客户") if direction == Direction.RECEIVABLE else _("供应商")
        self.fields = {"customer": CustomerChoiceField(label=label, queryset=Customer.objects.none(), widget=widget,
                                                       error_messages={"required": _("请选择往来单位。")}),
                       **self.fields}
        self.setup_customer(user)


def _lines_from_post(data) -> list[dict]:
    """The line rows as posted (``lines-<i>-<field>``), skipping rows left completely empty."""
    indexes = sorted({int(key.split("-")[1]) for key in data if key.startswith("lines-") and key.count("-") == 2
                      and key.split("-")[1].isdigit() and int(key.split("-")[1]) < 500})
    rows = []
    for index in indexes:
        row = {name: (data.get(f"lines-{index}-{name}") or "").strip()
               for name in ("description", "kind", "spec", "unit", "quantity", "unit_price", "tax_rate", "account_code")}
        if any(row[name] for name in ("description", "quantity", "unit_price", "spec")):
            rows.append(row)
    return rows


def _line_errors(error: ApplicationError) -> dict:
    found = {}
    for detail in error.extra.get("details") or []:
        name = str(detail.get("field") or "")
        if name.startswith("lines-"):
            found[name] = detail.get("message")
    return found


class BillCreatePage(BackofficePage):
    """新建单据 (and, with a pk, 修改草稿): the header, the lines, the live totals."""

    title = _("新建单据")
    template_name = "backoffice/receivables/bill_form.html"
    permission_required = ("receivables.add_bill",)

    def setup_mode(self):
        self.bill = None
        if self.kwargs.get("pk"):
            self.bill = _bill_or_404(self.request.user, self.kwargs["pk"])
            if not predicates.can_edit(self.bill, self.request.user):
                raise DjangoPermissionDenied(_t("这张单据不能修改（只有草稿可以修改）。"))
            self.direction, self.order = self.bill.direction, False
            self.title = _t("修改单据 %(number)s") % {"number": self.bill.number}
            return
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        self.direction = Direction.PAYABLE if source.get("direction") == Direction.PAYABLE else Direction.RECEIVABLE
        self.order = self.direction == Direction.PAYABLE and source.get("order") == "1"
        if self.order:
            self.title = _t("新建采购订单")
        elif self.direction == Direction.PAYABLE:
            self.title = _t("新建应付单（供应商发票）")
        else:
            self.title = _t("新建应收单")

    def kind_choices(self):
        if self.direction == Direction.PAYABLE:
            return [(BillKind.PURCHASE, BillKind.PURCHASE.label)]
        return [(BillKind.SALES, BillKind.SALES.label), (BillKind.SERVICE, BillKind.SERVICE.label)]

    def initial(self) -> tuple[dict, list[dict]]:
        if self.bill is None:
            initial = {"bill_date": clock.today()}
            customer = self.request.GET.get("customer", "")
            if customer.isdigit():
                initial["customer"] = int(customer)
            return initial, [{"kind": LineKind.GOODS, "tax_rate": "13"}]
        b = self.bill
        return ({"customer": b.customer_id, "bill_date": b.bill_date, "payment_terms": b.payment_terms_id,
                 "delivery_date": b.delivery_date, "vat_invoice_number": b.vat_invoice_number,
                 "vat_invoice_date": b.vat_invoice_date, "external_ref": b.external_ref, "memo": b.memo},
                [{"description": x.description, "kind": x.kind, "spec": x.spec, "unit": x.unit,
                  "quantity": f"{x.quantity.normalize():f}", "unit_price": f"{x.unit_price.normalize():f}",
                  "tax_rate": f"{x.tax_rate.normalize():f}", "account_code": x.account_code}
                 for x in b.lines.order_by("line_no")])

    def get(self, request, *args, **kwargs):
        self.setup_mode()
        initial, lines = self.initial()
        form = BillHeaderForm(initial=initial, user=request.user, direction=self.direction)
        return self.render_to_response(self.get_context_data(form=form, lines=lines, line_errors={},
                                                             kind=self.bill.kind if self.bill else self.kind_choices()[0][0]))

    def post(self, request, *args, **kwargs):
        self.setup_mode()
        form = BillHeaderForm(request.POST, user=request.user, direction=self.direction)
        lines = _lines_from_post(request.POST)
        kind = request.POST.get("kind") or self.kind_choices()[0][0]
        line_errors = {}
        if form.is_valid():
            data = form.cleaned_data
            values = dict(customer=data["customer"], bill_date=data["bill_date"], lines=lines,
                          payment_terms=data["payment_terms"], delivery_date=data["delivery_date"],
                          declared_total=data["declared_total"], vat_invoice_number=data["vat_invoice_number"],
                          vat_invoice_date=data["vat_invoice_date"], external_ref=data["external_ref"],
                          memo=data["memo"], user=request.user)
            try:
                if self.bill is not None:
                    bill = bill_services.bill_update(bill=self.bill, **values)
                    messages.success(request, _t("单据 %(number)s 已保存。") % {"number": bill.number})
                elif self.order:
                    values["supplier"] = values.pop("customer")
                    values["order_date"] = values.pop("bill_date")
                    values.pop("vat_invoice_number"), values.pop("vat_invoice_date")
                    bill = payables.purchase_order_create(**values)
                    messages.success(request, _t("采购订单 %(number)s 已保存。供应商发票到达后，在订单页登记到票。") % {
                        "number": bill.number})
                else:
                    bill = bill_services.bill_create(direction=self.direction, kind=kind, **values)
                    messages.success(request, _t("单据 %(number)s 已保存为草稿，请核对后提交审核。") % {
                        "number": bill.number})
            except ApplicationError as error:
                add_service_error(form, error)
                line_errors = _line_errors(error)
                if "lines" in {d.get("field") for d in error.extra.get("details") or []}:
                    form.add_error(None, next(d["message"] for d in error.extra["details"] if d.get("field") == "lines"))
            else:
                return redirect("backoffice:receivables_bill", pk=bill.pk)
        return self.render_to_response(self.get_context_data(form=form, lines=lines or [{}], line_errors=line_errors,
                                                             kind=kind))

    def get_context_data(self, **kwargs):
        rates = tax_rates()
        lines = kwargs.get("lines") or [{}]
        errors = kwargs.get("line_errors") or {}
        for index, line in enumerate(lines):
            line["index"] = index
            line["errors"] = [message for key, message in errors.items() if key.startswith(f"lines-{index}-")]
        kwargs.update(
            direction=self.direction, order=self.order, bill=self.bill, kind_choices=self.kind_choices(),
            line_kinds=LineKind.choices, rates=[f"{r.normalize():f}" for r in rates], input_class=INPUT_CLASSES,
            preview_url=reverse("backoffice:receivables_bill_preview"),
            back_url=reverse("backoffice:receivables_payables" if self.direction == Direction.PAYABLE
                             else "backoffice:receivables_bills"))
        return super().get_context_data(**kwargs)


class BillPreviewView(BackofficePage):
    """POST the form as it is: the server's figures for the live totals (JSON)."""

    permission_required = ("receivables.add_bill",)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        customer = None
        pk = request.POST.get("customer", "")
        if pk.isdigit():
            from ioudesk.customers.search import search_customers

            customer = search_customers(request.user, "").filter(pk=int(pk)).first()
        terms = None
        if (request.POST.get("payment_terms") or "").isdigit():
            terms = PaymentTerms.objects.filter(pk=int(request.POST["payment_terms"]), is_active=True).first()
        direction = Direction.PAYABLE if request.POST.get("direction") == Direction.PAYABLE else Direction.RECEIVABLE
        exclude = None
        if (request.POST.get("bill") or "").isdigit():
            exclude = bill_services.bill_get(request.user, int(request.POST["bill"]))
        preview = bill_services.bill_preview(customer=customer, bill_date=_date(request.POST.get("bill_date")),
                                             lines=[_line_row(request.POST, i) for i in _line_indexes(request.POST)],
                                             payment_terms=terms, delivery_date=_date(request.POST.get("delivery_date")),
                                             direction=direction, exclude_bill=exclude)
        verdict = preview["verdict"]
        approval = ""
        if verdict is not None and verdict.needs_approval:
            reasons = verdict.reasons[0]
            for reason in verdict.reasons[1:]:  # one translatable separator ("; " in English), no bare "；"
                reasons = _t("%(list)s；%(item)s") % {"list": reasons, "item": reason}
            approval = _t("提交后需信用审批：%(reasons)s") % {"reasons": reasons}
        elif verdict is not None and verdict.limit is not None:
            approval = _t("信用额度 %(limit)s，已用 %(used)s，本单后可用 %(left)s。") % {
                "limit": format_yuan(verdict.limit), "used": format_yuan(verdict.exposure),
                "left": format_yuan(verdict.limit - verdict.exposure - preview["total"])}
        return JsonResponse({
            "lines": [None if x is None else {k: format_yuan(v) for k, v in x.items()} for x in preview["lines"]],
            "net": format_yuan(preview["net"]), "tax": format_yuan(preview["tax"]), "total": format_yuan(preview["total"]),
            "dues": [{"seq": d.seq, "date": d.due_date.isoformat(), "amount": format_yuan(d.amount)} for d in preview["dues"]],
            "terms": terms_display(preview["terms"]), "terms_id": preview["terms"].pk if preview["terms"] else None,
            "needs_approval": bool(verdict and verdict.needs_approval), "approval": approval,
        })


def _line_indexes(data) -> list[int]:
    return sorted({int(key.split("-")[1]) for key in data if key.startswith("lines-") and key.count("-") == 2
                   and key.split("-")[1].isdigit() and int(key.split("-")[1]) < 500})


def _line_row(data, index) -> dict:
    return {name: (data.get(f"lines-{index}-{name}") or "").strip() for name in ("quantity", "unit_price", "tax_rate")}


class BillCustomerSearchView(CustomerSearchView):
    permission_required = ("receivables.add_bill",)


# --- the bill page -----------------------------------------------------------------------------------

class BillDetailPage(BackofficePage):
    template_name = "backoffice/receivables/bill_detail.html"
    permission_required = ("receivables.view_bill",)

    def get_context_data(self, **kwargs):
        from ioudesk.approvals import selectors as approval_selectors

        user = self.request.user
        bill = _bill_or_404(user, self.kwargs["pk"])
        self.title = _t("%(kind)s %(number)s") % {"kind": bill.get_kind_display(), "number": bill.number}
        day = clock.today()
        dues = []
        for due in bill.dues.order_by("seq"):
            late = (day - due.due_date).days if due.status == DueStatus.OPEN and due.due_date < day else 0
            dues.append({"due": due, "days_overdue": late})
        allocations = list(Allocation.objects.filter(due__bill=bill).select_related("receipt", "due", "created_by")
                           .order_by("-day", "-id"))
        can_see_receipts = user.has_perm("receivables.view_receipt")
        for allocation in allocations:
            allocation.url = (reverse("backoffice:receivables_receipt", args=[allocation.receipt_id])
                              if can_see_receipts else None)
        corrections = list(bill.corrections.order_by("-id"))
        actions = predicates.offered_actions(bill, user)
        kind, reasons = (bill_services.approval_kind_for(bill) if actions["submit"] else (None, []))
        kwargs.update(
            bill=bill, lines=bill.lines.order_by("line_no"), dues=dues, allocations=allocations,
            corrections=corrections, attachments=bill.attachments.select_related("uploaded_by").order_by("-id"),
            events=bill.events.select_related("by").order_by("-at", "-id"), actions=actions,
            tag=STATUS_TAGS.get(bill.status, "primary"), day=day,
            approval_requests=approval_selectors.pending_for(bill),
            submit_reasons=reasons, submit_kind=kind,
            attachment_kinds=AttachmentKind.choices,
            can_download=user.has_perm("receivables.view_billattachment"),
            customer_url=reverse("backoffice:customer_overview", args=[bill.customer_id])
            if user.has_perm("customers.view_customer") else None,
            back_url=reverse("backoffice:receivables_payables" if bill.direction == Direction.PAYABLE
                             else "backoffice:receivables_bills"),
            print_view=self.request.GET.get("print") == "1",
            entry_url=_entry_url(user, bill.entry_id),
        )
        if kwargs["print_view"]:
            self.template_name = "backoffice/receivables/bill_print.html"
        return super().get_context_data(**kwargs)


def _entry_url(user, entry_id):
    if not entry_id or not user.has_perm("ledger.view_journalentry"):
        return None
    try:
        return reverse("admin:ledger_journalentry_change", args=[entry_id])
    except Exception:  # noqa: BLE001 - the ledger admin may not register entries
        return None


class BillActionPage(BackofficePage):
    """The bill page's forms post here: one service per action, back to the page with the outcome."""

    permission_required = ("receivables.view_bill",)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        bill = _bill_or_404(request.user, self.kwargs["pk"])
        action = request.POST.get("action", "")
        target = bill.pk
        try:
            message, target = self._run(request, bill, action)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            if message:
                messages.success(request, message)
        return redirect("backoffice:receivables_bill", pk=target)

    def _run(self, request, bill, action):
        user, post = request.user, request.POST
        if action == "submit":
            outcome = bill_services.bill_submit(bill=bill, user=user, comment=post.get("comment", ""))
            if outcome.pending:
                return _t("已提交审核（审批单号 %(number)s），审批通过后单据自动生效。") % {
                    "number": outcome.request.number}, bill.pk
            return _t("单据已生效，到期明细已生成。"), bill.pk
        if action == "credit":
            note = bill_services.credit_note_create(original=bill, amount=post.get("amount", ""),
                                                    reason=post.get("reason", ""), user=user,
                                                    vat_invoice_number=post.get("vat_invoice_number", ""))
            return _t("红字冲减单 %(number)s 已生效，冲减 %(amount)s。") % {
                "number": note.number, "amount": format_yuan(note.total)}, bill.pk
        if action == "adjust":
            adjustment = bill_services.bill_adjust(bill=bill, amount=post.get("amount", ""),
                                                   reason=post.get("reason", ""), user=user)
            return _t("调整单 %(number)s 已生效（%(amount)s）。") % {
                "number": adjustment.number, "amount": format_yuan(adjustment.total)}, bill.pk
        if action == "void":
            bill_services.bill_void(bill=bill, reason=post.get("reason", ""), user=user)
            return _t("单据 %(number)s 已作废。") % {"number": bill.number}, bill.pk
        if action == "attach":
            row = bill_services.bill_attach(bill=bill, kind=post.get("kind", ""), upload=request.FILES.get("file"),
                                            user=user)
            return _t("附件“%(name)s”已上传。") % {"name": row.original_name}, bill.pk
        if action == "receive":
            payable = payables.purchase_order_receive(order=bill, vat_invoice_number=post.get("vat_invoice_number", ""),
                                                      vat_invoice_date=_date(post.get("vat_invoice_date")), user=user)
            return _t("已登记到票：应付单 %(number)s（%(status)s）。") % {
                "number": payable.number, "status": payable.get_status_display()}, payable.pk
        raise NotFound(_("不支持的操作。"))


class BillAttachmentDownload(BackofficePage):
    permission_required = ("receivables.view_billattachment",)

    def get(self, request, *args, **kwargs):
        try:
            row, handle = bill_services.bill_attachment_open(user=request.user, pk=self.kwargs["attachment"])
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        except NotFound as error:
            raise Http404(str(error.message)) from error
        if row.bill_id != self.kwargs["pk"]:
            raise Http404(_t("附件不存在。"))
        response = FileResponse(handle, as_attachment=True, filename=row.original_name,
                                content_type=row.content_type or "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


urlpatterns = [
    path("receivables/bills/", BillListPage.as_view(), name="receivables_bills"),
    path("receivables/new-bill/", BillCreatePage.as_view(), name="receivables_bill_create"),
    path("receivables/new-bill/preview/", BillPreviewView.as_view(), name="receivables_bill_preview"),
    path("receivables/new-bill/customers/", BillCustomerSearchView.as_view(), name="receivables_customer_search"),
    path("receivables/bills/<int:pk>/", BillDetailPage.as_view(), name="receivables_bill"),
    path("receivables/bills/<int:pk>/edit/", BillCreatePage.as_view(), name="receivables_bill_edit"),
    path("receivables/bills/<int:pk>/act/", BillActionPage.as_view(), name="receivables_bill_action"),
    path("receivables/bills/<int:pk>/attachments/<int:attachment>/", BillAttachmentDownload.as_view(),
         name="receivables_bill_attachment"),
    path("receivables/payables/", PayablesPage.as_view(), name="receivables_payables"),
]


# --- import ------------------------------------------------------------------------------------------

class BillImportPage(BackofficePage):
    """单据导入: the template, the upload and its dry run, the confirmation (all or the good bills),
    big files in the background with progress."""

    title = _("单据导入")
    template_name = "backoffice/receivables/bill_import.html"
    permission_required = ("receivables.add_bill",)

    def get(self, request, *args, **kwargs):
        from ioudesk.receivables import bill_import

        if request.GET.get("template") == "1":
            response = HttpResponse(bill_import.bill_import_template(),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            response["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%8D%95%E6%8D%AE%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
            return response
        job = None
        if (request.GET.get("job") or "").isdigit():
            from ioudesk.jobs import services as jobs

            try:
                job = jobs.job_for_user(user=request.user, pk=int(request.GET["job"]),
                                        kinds=(bill_import.JOB_CHECK, bill_import.JOB_IMPORT))
            except NotFound as error:
                raise Http404(str(error.message)) from error
        return self.render_to_response(self.get_context_data(job=job))

    def post(self, request, *args, **kwargs):
        from django.db import transaction

        from ioudesk.receivables import bill_import
        from ioudesk.receivables.bill_tasks import bill_import_job

        action = request.POST.get("action", "check")
        mode = request.POST.get("mode") or bill_import.ImportMode.ALL
        submit = request.POST.get("submit_after") == "1"
        try:
            if action == "check":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationFailedPage(_t("请选择要导入的 .xlsx 文件。"))
                data = upload.read(bill_import.MAX_UPLOAD_BYTES + 1)
                parsed = bill_import.read_bill_file(data, name=upload.name)
                if len(parsed.rows) > bill_import.BACKGROUND_ROWS:
                    job = bill_import.bill_import_job_start(user=request.user, name=upload.name, data=data)
                    transaction.on_commit(lambda: bill_import_job.enqueue(job.pk))
                    return redirect(f"{reverse('backoffice:receivables_bill_import')}?job={job.pk}")
                check = bill_import.bills_import_check(user=request.user, parsed=parsed)
                token = bill_import.bill_import_stage(user=request.user, name=upload.name, data=data)
                return self.render_to_response(self.get_context_data(
                    check=check, token=token, name=upload.name, ignored=parsed.ignored,
                    check_errors=[[e.row, e.column, e.reason] for e in check.errors]))
            if action in ("import", "job_import"):
                token = request.POST.get("token", "")
                if action == "job_import":
                    from ioudesk.jobs import services as jobs

                    check_job = jobs.job_for_user(user=request.user, pk=int(request.POST.get("job") or 0),
                                                  kinds=(bill_import.JOB_CHECK,))
                    name, data = bill_import.bill_import_take(user=request.user, token=check_job.params["token"])
                    job = bill_import.bill_import_job_start(user=request.user, name=name, data=data, mode=mode,
                                                            submit=submit)
                    transaction.on_commit(lambda: bill_import_job.enqueue(job.pk))
                    return redirect(f"{reverse('backoffice:receivables_bill_import')}?job={job.pk}")
                name, data = bill_import.bill_import_take(user=request.user, token=token)
                result = bill_import.bills_import(user=request.user, parsed=bill_import.read_bill_file(data, name=name),
                                                  mode=mode, submit=submit, filename=name)
                if result.refused:
                    token = bill_import.bill_import_stage(user=request.user, name=name, data=data)
                return self.render_to_response(self.get_context_data(
                    result=result, name=name, token=token,
                    result_errors=[[e.row, e.column, e.reason] for e in result.errors]))
        except ValidationFailedPage as error:
            messages.error(request, str(error))
        except ApplicationError as error:
            messages.error(request, str(error.message))
        return redirect("backoffice:receivables_bill_import")

    def get_context_data(self, **kwargs):
        from ioudesk.jobs import services as jobs
        from ioudesk.receivables import bill_import

        kwargs.update(modes=bill_import.ImportMode.CHOICES, columns=bill_import.COLUMNS, required=bill_import.REQUIRED,
                      background_rows=f"{bill_import.BACKGROUND_ROWS:,}", max_rows=f"{bill_import.MAX_ROWS:,}",
                      recent=jobs.jobs_for_user(user=self.request.user,
                                                kinds=(bill_import.JOB_CHECK, bill_import.JOB_IMPORT), limit=10))
        return super().get_context_data(**kwargs)


class ValidationFailedPage(Exception):
    pass


urlpatterns.append(path("receivables/bill-import/", BillImportPage.as_view(), name="receivables_bill_import"))
