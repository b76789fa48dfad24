"""报表中心 (the list of reports by group) and one report's page: the filter form built from the spec's
filters and options, headline figures, charts, tables with totals and drill-down links, pages of a
detail list, the .xlsx / PDF downloads (audited), a print view (?print=1) and a report's actions (B's
计提). Each request parses through ioudesk.reports.running, runs the one report and renders it."""

from __future__ import annotations

import json
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.names import staff_name
from ioudesk.core.scope import visible_branch_ids
from ioudesk.reports import running
from ioudesk.reports.params import BUCKETS
from ioudesk.reports.registry import ACTIONS, GROUPS, OPTIONS, reports_for

EXPORT_PERMISSION = "reports.export_reports"
PALETTE = ["#7c3aed", "#0ea5e9", "#f59e0b", "#16a34a", "#ef4444", "#64748b", "#db2777", "#84cc16"]


# --- the filter form -----------------------------------------------------------------------------------


def _select(label, choices, empty):
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=[("", empty), *choices]))


def filter_form(spec, data, user) -> forms.Form:
    """A form of the spec's filters and options. Every field is plain text (the values are checked by
    running.report_params, whose problems the page puts next to their fields)."""
    from ioudesk.applications.models import Channel
    from ioudesk.core.models import Branch
    from ioudesk.core.names import staff_name
    from ioudesk.customers.models import Category, Customer, CustomerKind
    from ioudesk.ious.models import Classification
    from ioudesk.products.models import Product

    fields: dict[str, forms.Field] = {}
    filters = spec.filters
    date_widget = forms.DateInput(attrs={"type": "date"})
    if "period" in filters:
        fields["date_from"] = forms.CharField(label=_("开始日期"), required=False, widget=date_widget)
        fields["date_to"] = forms.CharField(label=_("结束日期"), required=False, widget=date_widget)
    if "as_of" in filters:
        fields["as_of"] = forms.CharField(label=_("数据日期"), required=False, widget=date_widget)
    if "month" in filters:
        fields["month"] = forms.CharField(label=_("月份"), required=False,
                                          widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))
    if "months" in filters:
        fields["months"] = forms.CharField(label=_("月数"), required=False,
                                           widget=forms.NumberInput(attrs={"min": 1, "max": 36}))
    if "branch" in filters:
        ids = visible_branch_ids(user)
        branches = Branch.objects.all() if ids is None else Branch.objects.filter(pk__in=ids)
        fields["branch"] = _select(_("网点"), [(b.pk, b.name) for b in branches.order_by("path")], _("全部网点"))
    if "product" in filters:
        fields["product"] = _select(_("产品"), list(Product.objects.order_by("name").values_list("pk", "name")),
                                    _("全部产品"))
    if "officer" in filters:
        ids = visible_branch_ids(user)
        staff = get_user_model().objects.filter(is_staff=True, is_active=True)
        if ids is not None:
            staff = staff.filter(branch_id__in=ids)
        fields["officer"] = _select(_("客户经理"), [(u.pk, staff_name(u)) for u in staff.order_by("username")[:300]],
                                    _("全部客户经理"))
    if "category" in filters:
        fields["category"] = _select(_("客户分类"), Category.choices, _("全部"))
    if "customer_kind" in filters:
        fields["customer_kind"] = _select(_("客户类型"), CustomerKind.choices, _("全部"))
    if "classification" in filters:
        fields["classification"] = _select(_("五级分类"), Classification.choices, _("全部"))
    if "bucket" in filters:
        fields["bucket"] = _select(_("账龄"), [(b, b) for b in BUCKETS], _("全部"))
    if "channel" in filters:
        fields["channel"] = _select(_("申请渠道"), Channel.choices, _("全部渠道"))
    if "customer" in filters:
        chosen = str(data.get("customer") or "")
        name = Customer.objects.filter(pk=int(chosen)).values_list("name", flat=True).first() if chosen.isdigit() else None
        fields["customer"] = _select(_("客户"), [(chosen, name)] if name else [], _("全部客户"))
    for option in OPTIONS.get(spec.code, ()):
        fields[option.key] = forms.CharField(label=option.label, required=False,
                                             widget=forms.Select(choices=list(option.choices)))
    names = list(fields)
    form_class = type("ReportFilterForm", (forms.Form,), dict(fields))  # the metaclass pops what it is given
    form = form_class({key: data.get(key, "") for key in names})
    form.is_valid()  # plain text fields: always valid; the report's own checks come from report_params
    return form


def params_form_data(params) -> dict:
    """The dates the report used (defaults filled in), so the form shows them."""
    data = {}
    for name in ("date_from", "date_to", "as_of"):
        value = getattr(params, name)
        if value:
            data[name] = value.isoformat()
    if params.month:
        data["month"] = params.month.strftime("%Y-%m")
    for key, value in params.extra.items():
        if key != "page_size" and value not in (None, ""):
            data[key] = str(value)
    return data


# --- charts ------------------------------------------------------------------------------------------


def chart_context(chart) -> dict:
    """A registry.Chart as the Unfold chart component's data and options (Chart.js JSON)."""
    datasets = []
    for index, (label, values) in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        dataset = {"label": str(label), "data": [str(v) if v is not None else None for v in values],
                   "backgroundColor": colour, "borderColor": colour}
        if chart.kind == "line":
            dataset["fill"] = False
        datasets.append(dataset)
    data = {"labels": [str(label) for label in chart.labels], "datasets": datasets}
    options = {"plugins": {"legend": {"display": len(datasets) > 1}}, "maintainAspectRatio": False}
    return {"data": json.dumps(data, ensure_ascii=False), "options": json.dumps(options), "kind": chart.kind,
            "title": str(chart.title or "")}


# --- tables as the templates draw them ------------------------------------------------------------------


def table_context(table) -> dict:
    columns = [{"key": c.key, "label": running.column_label(c), "kind": c.kind,
                "num": c.kind in ("money", "int", "percent", "rate")} for c in table.columns]
    rows = []
    for row in table.rows:
        links = row.get("_links") or {}
        rows.append([{"text": running.cell_text(row.get(c["key"]), c["kind"]), "num": c["num"],
                      "label": c["label"], "url": links.get(c["key"], "")} for c in columns])
    totals = None
    if table.totals is not None:
        links = table.totals.get("_links") or {}
        totals = [{"text": running.cell_text(table.totals[c["key"]], c["kind"]) if c["key"] in table.totals else "",
                   "num": c["num"], "label": c["label"], "url": links.get(c["key"], "")} for c in columns]
        if totals and not totals[0]["text"]:
            totals[0]["text"] = _t("合计")
    return {"title": str(table.title or ""), "columns": columns, "rows": rows, "totals": totals}


def result_context(spec, params, result) -> dict:
    charts = [result.chart, *result.charts] if result.chart else list(result.charts)
    figures = [{"label": str(f.label), "text": running.figure_text(f.value, f.kind), "link": f.link}
               for f in result.figures]
    context = {"result": result, "figures": figures, "tables": [table_context(t) for t in result.tables],
               "charts": [chart_context(c) for c in charts if c.labels], "source_text": running.source_text(result),
               "conditions": running.params_describe(spec, params), "notes": [str(n) for n in result.notes]}
    if spec.paginated and result.rows_total is not None:
        size = running.page_size(params)
        pages = max((result.rows_total + size - 1) // size, 1)
        context["pager"] = {"page": params.page, "pages": pages, "total": result.rows_total,
                            "previous": params.page - 1 if params.page > 1 else None,
                            "next": params.page + 1 if params.page < pages else None}
    return context


def css_string(text: str) -> str:
    """Text as a CSS string literal (for @page margin boxes): quotes and backslashes escaped, no markup."""
    cleaned = "".join(ch for ch in str(text) if ch >= " " and ch not in "<>")
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def css_page_counter() -> str:
    """第 1 页 / 共 3 页 as a CSS content value with counter(page)/counter(pages), from the one msgid the PDFs use
    (so each language words it whole: "Page 1 of 3")."""
    text = _t("第 %(page)d 页 / 共 %(total)d 页") % {"page": 111111111, "total": 222222222}
    before, rest = text.split("111111111", 1)
    middle, after = rest.split("222222222", 1)
    return f"{css_string(before)} counter(page) {css_string(middle)} counter(pages) {css_string(after)}"


def _organisation():
    from ioudesk.core.services import organisation_current

    try:
        return organisation_current()
    except Exception:  # noqa: BLE001 - a page without an organisation still prints
        return None


# --- the pages -----------------------------------------------------------------------------------------


class ReportIndexPage(BackofficePage):
    template_name = "backoffice/reports/index.html"
    title = _("报表中心")
    permission_required = ("reports.view_reports",)

    def get_context_data(self, **kwargs):
        specs = reports_for(self.request.user)
        groups = []
        for key, label in GROUPS.items():
            items = [{"code": s.code, "title": str(s.title), "description": str(s.description or ""),
                      "url": reverse("backoffice:report", args=[s.code])} for s in specs if s.group == key]
            if items:
                groups.append({"key": key, "label": str(label), "reports": items})
        return super().get_context_data(**kwargs, groups=groups, business_date=clock.today())


class ReportPage(BackofficePage):
    template_name = "backoffice/reports/report.html"
    permission_required = ("reports.view_reports",)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            try:
                self.spec = running.spec_get(kwargs["code"], request.user)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            self.title = self.spec.title
        return super().dispatch(request, *args, **kwargs)

    def _query(self, drop=("format", "print", "page")) -> str:
        query = self.request.GET.copy()
        for key in drop:
            query.pop(key, None)
        return query.urlencode()

    def get(self, request, *args, **kwargs):
        spec = self.spec
        form = filter_form(spec, request.GET, request.user)
        try:
            params = running.report_params(spec, request.GET, request.user)
        except ValidationFailed as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form, error=str(error.message)))
        form = filter_form(spec, {**request.GET.dict(), **params_form_data(params)}, request.user)
        fmt = request.GET.get("format")
        printing = request.GET.get("print") == "1"
        if (fmt or printing) and not request.user.has_perm(EXPORT_PERMISSION):
            raise DjangoPermissionDenied
        try:
            result = running.report_run(spec, params, request.user)
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form, error=str(error.message)))
        if fmt in ("xlsx", "pdf"):
            return self.download(params, result, fmt)
        context = result_context(spec, params, result)
        if printing:
            from ioudesk.reports import render

            render.export_audit(spec, params, "print", request.user)
            organisation = _organisation()
            as_of = result.as_of or (result.period[1] if result.period else clock.today())
            return TemplateResponse(request, "backoffice/reports/print.html", {
                **context, "spec": spec, "title": str(result.title or spec.title), "organisation": organisation,
                "printed_at": clock.now(), "landscape": spec.landscape,
                "css_organisation": css_string(organisation.name if organisation else ""),
                "css_as_of": css_string(_t("数据日期 %(day)s") % {"day": as_of.isoformat()}),
                "css_page_counter": css_page_counter(), "printed_by": staff_name(request.user),
                "as_of_shown": any(label == _t("数据日期") for label, _text in context["conditions"])})
        return self.render_to_response(self.get_context_data(form=form, params=params, **context))

    def get_context_data(self, **kwargs):
        user = self.request.user
        spec = self.spec
        can_export = user.has_perm(EXPORT_PERMISSION)
        query = self._query()
        actions = [{"key": a.key, "label": str(a.label), "confirm": str(a.confirm or "")}
                   for a in ACTIONS.get(spec.code, ()) if user.has_perm(a.permission)]
        return super().get_context_data(
            **kwargs, spec=spec, description=str(spec.description or ""), can_export=can_export, query=query,
            page_query=self._query(drop=("format", "print", "page")), actions=actions,
            index_url=reverse("backoffice:reports_index"))

    def download(self, params, result, fmt):
        from ioudesk.reports import render

        spec = self.spec
        if fmt == "xlsx":
            content = render.render_xlsx(result, spec, params, user=self.request.user)
            mime, disposition = render.XLSX_TYPE, "attachment"
        else:
            content = render.render_pdf(result, spec, params, user=self.request.user)
            mime, disposition = "application/pdf", "inline"
        name = render.file_name(spec, params, fmt)
        render.export_audit(spec, params, fmt, self.request.user, file_name=name)
        response = HttpResponse(content, content_type=mime)
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
        return response

    def post(self, request, *args, **kwargs):
        """A report action (registry.ACTIONS): run with the page's filters, then back to the page."""
        spec = self.spec
        key = request.POST.get("action", "")
        action = next((a for a in ACTIONS.get(spec.code, ()) if a.key == key), None)
        if action is None:
            raise Http404
        if not request.user.has_perm(action.permission):
            raise DjangoPermissionDenied
        query = request.POST.get("query", "")
        from django.http import QueryDict

        data = QueryDict(query)
        try:
            params = running.report_params(spec, data, request.user)
            message = action.run(params, request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, str(message or _t("已完成。")))
        url = reverse("backoffice:report", args=[spec.code])
        return redirect(f"{url}?{query}" if query else url)


urlpatterns = [
    path("reports/", ReportIndexPage.as_view(), name="reports_index"),
    path("reports/view/<slug:code>/", ReportPage.as_view(), name="report"),
]
