"""往来总览 (the receivables overview: totals, aging by customer with drill-down to the bill list, DSO,
the classification, a chart, .xlsx), 对账单 (the list of statements of account and the form that issues
one) and one statement's page (its frozen figures, the PDF, .xlsx and 询证函, the customer's reply with
the disputed items, resolving disputes). Each parses its input, calls one selector or service of
``ioudesk.receivables.selectors`` / ``statements`` and renders."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.core.models import Branch
from ioudesk.core.scope import scope_queryset, visible_branch_ids
from ioudesk.core.xlsx import build_workbook, workbook_response
from ioudesk.customers.models import Category, Customer
from ioudesk.receivables import selectors, statements
from ioudesk.receivables.models import (
    Bill,
    ConfirmationStatus,
    Direction,
    Nature,
    StatementDispute,
)

PALETTE = ["#16a34a", "#84cc16", "#eab308", "#f97316", "#ef4444", "#b91c1c", "#7f1d1d"]
STATUS_TAGS = {ConfirmationStatus.ISSUED: "primary", ConfirmationStatus.SENT: "info",
               ConfirmationStatus.AGREED: "success", ConfirmationStatus.DISPUTED: "danger",
               ConfirmationStatus.NO_REPLY: "warning"}
CUSTOMER_CHOICES_MAX = 500  # customers offered in the issue form's list (with bills or receipts, by name)


def _bills_url(**params) -> str:
    """The bill list (A's backoffice:receivables_bills) filtered: the drill-down of every figure."""
    try:
        base = reverse("backoffice:receivables_bills")
    except NoReverseMatch:
        return ""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


# --- 往来总览 ------------------------------------------------------------------------------------------


class OverviewFilterForm(forms.Form):
    direction = forms.ChoiceField(label=_("方向"), required=False, choices=Direction.choices)
    branch = forms.ModelChoiceField(label=_("网点"), queryset=Branch.objects.none(), required=False,
                                    empty_label=_("全部网点"))
    category = forms.ChoiceField(label=_("客户分类"), required=False, choices=[("", _("全部")), *Category.choices])
    nature = forms.ChoiceField(label=_("欠款性质"), required=False, choices=[("", _("全部")), *Nature.choices])
    term = forms.ChoiceField(label=_("逾期"), required=False, choices=[
        ("", _("全部客户")), ("short", _("有短期逾期的客户")), ("long", _("有长期逾期的客户"))])

    def __init__(self, data, *, user):
        super().__init__(data)
        ids = visible_branch_ids(user)
        branches = Branch.objects.all() if ids is None else Branch.objects.filter(pk__in=ids)
        self.fields["branch"].queryset = branches.order_by("path")

    def filters(self) -> selectors.OverviewFilters:
        data = self.cleaned_data if self.is_valid() else {}
        branch = data.get("branch")
        return selectors.OverviewFilters(direction=data.get("direction") or Direction.RECEIVABLE,
                                         branch_id=branch.pk if branch else None, category=data.get("category") or None,
                                         nature=data.get("nature") or None, term=data.get("term") or None)

    def describe(self) -> list[tuple[str, str]]:
        data = self.cleaned_data if self.is_valid() else {}
        notes = []
        for name, field in self.fields.items():
            value = data.get(name)
            if value:
                label = str(value) if isinstance(field, forms.ModelChoiceField) else str(dict(field.choices).get(value))
                notes.append((str(field.label), label))
        return notes


def chart(labels, datasets, *, stacked=False) -> dict:
    data = {"labels": [str(label) for label in labels], "datasets": [
        {"label": str(label), "data": [str(v) for v in values], "backgroundColor": colours,
         **({"stack": "a"} if stacked else {})} for label, values, colours in datasets]}
    options = {"plugins": {"legend": {"display": False}}, "maintainAspectRatio": False}
    return {"data": json.dumps(data), "options": json.dumps(options), "kind": "bar"}


class OverviewPage(BackofficePage):
    template_name = "backoffice/receivables/overview.html"
    title = _("往来总览")
    permission_required = ("receivables.view_bill",)

    def get(self, request, *args, **kwargs):
        form = OverviewFilterForm(request.GET or None, user=request.user)
        filters = form.filters()
        data = selectors.overview(request.user, filters)
        if request.GET.get("export") == "xlsx":
            return self.export(data, form)
        direction = filters.direction
        user = request.user
        can_statements = user.has_perm("receivables.view_accountstatement")
        rows = []
        for row in data["aging"]["rows"]:
            link = {"customer": row["customer_id"], "status": "open", "direction": direction}
            rows.append({**row, "url": _bills_url(**link),
                         "cells": [(selectors.BUCKET_LABELS[key], amount, _bills_url(**link, bucket=key) if amount else "")
                                   for key, amount in row["buckets"]],
                         "short_url": _bills_url(**link, overdue="short") if row["short"] else "",
                         "long_url": _bills_url(**link, overdue="long") if row["long"] else "",
                         "statements_url": f"{reverse('backoffice:receivables_statements')}?customer={row['customer_id']}"
                         if can_statements else ""})
        totals = data["totals"]
        bucket_totals = [(selectors.BUCKET_LABELS[key], totals[key], _bills_url(status="open", bucket=key,
                                                                               direction=direction))
                         for key in selectors.BUCKET_KEYS]
        query = request.GET.copy()
        query.pop("export", None)
        classification = data["classification"]
        return self.render_to_response(self.get_context_data(
            form=form, data=data, rows=rows, bucket_totals=bucket_totals, query=query.urlencode(),
            direction=direction, payable=direction == Direction.PAYABLE,
            chart=chart([label for label, _a, _u in bucket_totals],
                        [(_t("未结金额"), [amount for _l, amount, _u in bucket_totals], PALETTE)]),
            nature_chart=chart([label for _k, label, _a in classification["nature"]],
                               [(_t("未结金额"), [a for _k, _l, a in classification["nature"]],
                                 ["#7c3aed", "#0ea5e9", "#f59e0b", "#64748b"])]),
            links={"overdue": _bills_url(status="open", overdue="any", direction=direction),
                   "short": _bills_url(status="open", overdue="short", direction=direction),
                   "long": _bills_url(status="open", overdue="long", direction=direction),
                   "disputed": _bills_url(disputed="1", direction=direction),
                   "open": _bills_url(status="open", direction=direction)},
            receipts_url=_optional_url("backoffice:receivables_match_queue")
            if user.has_perm("receivables.match_receipt") else ""))

    def export(self, data, form):
        headers = [_t("客户编号"), _t("客户"), _t("客户分类"), _t("未结合计"), _t("逾期合计"), _t("短期逾期"), _t("长期逾期"),
                   *(str(selectors.BUCKET_LABELS[key]) for key in selectors.BUCKET_KEYS)]
        rows = [(r["number"], r["name"], r["category_label"], r["total"], r["overdue"], r["short"], r["long"],
                 *(r[key] for key in selectors.BUCKET_KEYS)) for r in data["aging"]["rows"]]
        totals = data["totals"]
        rows.append((_t("合计"), "", "", totals["total"], totals["overdue"], totals["short"], totals["long"],
                     *(totals[key] for key in selectors.BUCKET_KEYS)))
        notes = [(_t("日期"), data["day"].isoformat()), *form.describe(),
                 (_t("应收账款周转天数"), str(data["dso"]) if data["dso"] is not None else "—"),
                 (_t("长期逾期天数"), str(data["long_overdue_days"]))]
        workbook = build_workbook(title=_t("往来总览：客户账龄"), headers=headers, rows=rows, notes=notes,
                                  sheet_name=_t("客户账龄"))
        return workbook_response(workbook, f"{_t('客户账龄')}-{data['day']:%Y%m%d}.xlsx")


def _optional_url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- 对账单 list and issue form ----------------------------------------------------------------------


def _customers_for(user, selected: int | None = None):
    """The customers a statement may be issued for: those with bills or receipts the user sees."""
    with_bills = scope_queryset(user, Bill.objects.all()).values("customer_id")
    customers = scope_queryset(user, Customer.objects.filter(pk__in=with_bills)).order_by("name", "pk")
    choices = list(customers.values_list("pk", "name", "number")[:CUSTOMER_CHOICES_MAX])
    if selected and all(pk != selected for pk, _n, _m in choices):
        extra = scope_queryset(user, Customer.objects.filter(pk=selected)).values_list("pk", "name", "number").first()
        if extra:
            choices.insert(0, extra)
    return [("", _("请选择往来单位")), *((pk, f"{name}（{number}）") for pk, name, number in choices)]


def _default_period(today: date) -> tuple[date, date]:
    """This month so far: the 1st to the business date."""
    return today.replace(day=1), today


class IssueForm(forms.Form):
    customer = forms.TypedChoiceField(label=_("往来单位"), coerce=int)
    direction = forms.ChoiceField(label=_("对账方向"), choices=Direction.choices, initial=Direction.RECEIVABLE)
    period_from = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=pgettext_lazy("往来", "截止日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, selected=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = _customers_for(user, selected)
        self.user = user

    def clean_customer(self):
        pk = self.cleaned_data["customer"]
        customer = scope_queryset(self.user, Customer.objects.all()).filter(pk=pk).first()
        if customer is None:
            raise forms.ValidationError(_("请选择您网点范围内的往来单位。"))
        return customer


class StatementListPage(BackofficePage):
    template_name = "backoffice/receivables/statement_list.html"
    title = _("对账单")
    permission_required = ("receivables.view_accountstatement",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        customer_id = self.request.GET.get("customer", "")
        customer_id = int(customer_id) if customer_id.isdigit() else None
        status = self.request.GET.get("status") if self.request.GET.get("status") in ConfirmationStatus.values else None
        can_issue = user.has_perm("receivables.add_accountstatement")
        if can_issue and "form" not in kwargs:
            start, end = _default_period(clock.today())
            kwargs["form"] = IssueForm(user=user, selected=customer_id, initial={
                "customer": customer_id or "", "period_from": start, "period_to": end, "direction": Direction.RECEIVABLE})
        page = Paginator(statements.statements_list(user, customer_id=customer_id, status=status), 30).get_page(
            self.request.GET.get("page"))
        for statement in page.object_list:
            statement.tag = STATUS_TAGS.get(statement.status, "primary")
        customer = scope_queryset(user, Customer.objects.all()).filter(pk=customer_id).first() if customer_id else None
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(**kwargs, page=page, can_issue=can_issue, customer=customer,
                                        status=status, statuses=ConfirmationStatus.choices, query=query.urlencode())

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("receivables.add_accountstatement"):
            raise Http404
        form = IssueForm(request.POST, user=request.user, selected=_int(request.POST.get("customer")))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        try:
            statement = statements.statement_issue(customer=data["customer"], period_from=data["period_from"],
                                                   period_to=data["period_to"], direction=data["direction"],
                                                   user=request.user)
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("对账单 %(number)s 已出具。") % {"number": statement.number})
        return redirect("backoffice:receivables_statement", statement.pk)


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


# --- one statement ----------------------------------------------------------------------------------

DISPUTE_ROWS = 5


class ReplyForm(forms.Form):
    agreed = forms.TypedChoiceField(label=_("回函结论"), coerce=lambda v: v == "1", widget=forms.RadioSelect, choices=[
        ("1", _("信息证明无误")), ("0", _("信息不符（列明不符项目）"))])
    day = forms.DateField(label=_("回函日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("回函说明"), required=False, max_length=300)

    def __init__(self, *args, bills, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("（选择单据）")), *((str(pk), number) for pk, number in bills)]
        for n in range(1, DISPUTE_ROWS + 1):
            self.fields[f"bill_{n}"] = forms.ChoiceField(label=_("不符单据 %(n)d") % {"n": n}, choices=choices,
                                                         required=False)
            self.fields[f"amount_{n}"] = forms.DecimalField(label=_("争议金额 %(n)d") % {"n": n}, required=False,
                                                            max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
            self.fields[f"reason_{n}"] = forms.CharField(label=_("不符原因 %(n)d") % {"n": n}, required=False,
                                                         max_length=200)

    def dispute_rows(self):
        return [(self[f"bill_{n}"], self[f"amount_{n}"], self[f"reason_{n}"]) for n in range(1, DISPUTE_ROWS + 1)]

    def disputes(self, customer_bills) -> list:
        items = []
        for n in range(1, DISPUTE_ROWS + 1):
            bill_id, amount, reason = (self.cleaned_data.get(f"bill_{n}"), self.cleaned_data.get(f"amount_{n}"),
                                       self.cleaned_data.get(f"reason_{n}", ""))
            if not (bill_id or amount or reason):
                continue
            bill = customer_bills.filter(pk=int(bill_id)).first() if bill_id else None
            items.append(statements.DisputeItem(bill=bill, amount=amount, reason=reason))
        return items


class ResolveForm(forms.Form):
    dispute = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(label=_("处理结果"), max_length=200)


class StatementPage(BackofficePage):
    template_name = "backoffice/receivables/statement_detail.html"
    title = _("对账单")
    permission_required = ("receivables.view_accountstatement",)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            self.statement = statements.statement_get(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        kind = request.GET.get("download")
        if kind:
            try:
                content, filename, mime = statements.statement_download(statement=self.statement, kind=kind,
                                                                        user=request.user)
            except ApplicationError as error:
                messages.error(request, error.message)
                return redirect("backoffice:receivables_statement", self.statement.pk)
            response = HttpResponse(content, content_type=mime)
            disposition = "inline" if mime == "application/pdf" else "attachment"
            response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        statement = self.statement
        figures = statements.figures_of(statement)
        self.title = _("对账单 %(number)s") % {"number": statement.number}
        can_change = self.request.user.has_perm("receivables.change_accountstatement")
        answered = statement.status in (ConfirmationStatus.AGREED, ConfirmationStatus.DISPUTED)
        if can_change and not answered:
            kwargs.setdefault("reply_form", ReplyForm(bills=figures.bills, initial={"day": clock.today(), "agreed": "1"}))
        disputes = list(statement.disputes.select_related("bill"))
        for dispute in disputes:
            dispute.bill_url = _optional_url("backoffice:receivables_bill", dispute.bill_id) if dispute.bill_id else ""
        bill_urls = {pk: _optional_url("backoffice:receivables_bill", pk) for pk, _n in figures.bills}
        for item in figures.open_items:
            item.url = bill_urls.get(item.bill_id, "")
            item.bucket_label = selectors.BUCKET_LABELS[item.bucket]
        return super().get_context_data(
            **kwargs, statement=statement, figures=figures, disputes=disputes, can_change=can_change,
            answered=answered, tag=STATUS_TAGS.get(statement.status, "primary"),
            can_mark_sent=can_change and statement.status == ConfirmationStatus.ISSUED,
            can_mark_no_reply=can_change and statement.status in (ConfirmationStatus.ISSUED, ConfirmationStatus.SENT),
            payable=figures.direction == Direction.PAYABLE, issued_on=statement.snapshot.get("issued_on"),
            customer_url=_optional_url("admin:customers_customer_change", statement.customer_id)
            if self.request.user.has_perm("customers.view_customer") else "")

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("receivables.change_accountstatement"):
            raise Http404
        action = request.POST.get("action")
        statement = self.statement
        try:
            if action in ("mark_sent", "mark_no_reply"):
                status = ConfirmationStatus.SENT if action == "mark_sent" else ConfirmationStatus.NO_REPLY
                statements.statement_mark(statement=statement, status=status, user=request.user)
                messages.success(request, _t("已标记为“%(status)s”。") % {"status": ConfirmationStatus(status).label})
            elif action == "reply":
                return self._reply(request)
            elif action == "resolve":
                return self._resolve(request)
            else:
                raise Http404
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("backoffice:receivables_statement", statement.pk)

    def _reply(self, request):
        statement = self.statement
        figures = statements.figures_of(statement)
        form = ReplyForm(request.POST, bills=figures.bills)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(reply_form=form))
        disputes = form.disputes(Bill.objects.filter(customer_id=statement.customer_id))
        try:
            statements.statement_reply(statement=statement, agreed=form.cleaned_data["agreed"], disputes=disputes,
                                       note=form.cleaned_data["note"], day=form.cleaned_data["day"], user=request.user)
        except ApplicationError as error:
            details = error.extra.get("details") or []
            for detail in details:  # each problem next to its field; the disputed items above the table
                form.add_error(detail["field"] if detail["field"] in ("day", "note", "agreed") else None,
                               detail["message"])
            if not details:
                add_service_error(form, error)
            return self.render_to_response(self.get_context_data(reply_form=form))
        messages.success(request, _t("回函已登记。"))
        return redirect("backoffice:receivables_statement", statement.pk)

    def _resolve(self, request):
        form = ResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _t("请填写处理结果。"))
            return redirect("backoffice:receivables_statement", self.statement.pk)
        dispute = StatementDispute.objects.filter(pk=form.cleaned_data["dispute"], statement=self.statement).first()
        if dispute is None:
            raise Http404
        statements.dispute_resolve(dispute=dispute, resolution=form.cleaned_data["resolution"], user=request.user)
        messages.success(request, _t("争议已处理。"))
        return redirect("backoffice:receivables_statement", self.statement.pk)


urlpatterns = [
    path("receivables/overview/", OverviewPage.as_view(), name="receivables_overview"),
    path("receivables/statements/", StatementListPage.as_view(), name="receivables_statements"),
    path("receivables/statements/<int:pk>/", StatementPage.as_view(), name="receivables_statement"),
]
