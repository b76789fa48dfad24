"""报告管理 (the kept reports: the 生成报告 form — choose a report or IOUs, its parameters, the format —,
the list with progress of the running ones and download again) and 自定义报表 (the pivot: dimensions,
measures, filters, table, chart, export, save/load). Each parses its input, calls one service of
ioudesk.reports.generation / pivot and renders."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.report_pages import chart_context, filter_form, table_context
from ioudesk.core.errors import ApplicationError, NotFound
from ioudesk.reports import generation, iou_reports, pivot
from ioudesk.reports.models import GeneratedState, ReportFormat
from ioudesk.reports.registry import report_get

PARAM_LABELS = {"date_from": _("开始日期"), "date_to": _("结束日期"), "as_of": _("数据日期"), "month": _("月份"),
                "months": _("月数"), "branch_id": _("网点"), "product_id": _("产品"), "officer_id": _("客户经理"),
                "category": _("客户分类"), "customer_kind": _("客户类型"), "classification": _("五级分类"),
                "bucket": _("账龄"), "channel": _("申请渠道"), "customer_id": _("客户"), "extra": _("选项")}
STATE_TAGS = {GeneratedState.QUEUED: "warning", GeneratedState.RUNNING: "info", GeneratedState.DONE: "success",
              GeneratedState.FAILED: "danger"}


def params_text(generated) -> str:
    """The kept parameters in words (what the list shows)."""
    params = generated.params or {}
    if "numbers" in params:
        numbers = list(params["numbers"])
        shown = _t("、").join(numbers[:3])
        return shown + (_t(" 等 %(n)d 笔借据") % {"n": len(numbers)} if len(numbers) > 3 else "")
    parts = []
    for key, value in params.items():
        if key == "extra" and isinstance(value, dict):
            value = _t("、").join(str(v) for v in value.values() if v not in (None, ""))
        if value in (None, "", [], {}):
            continue
        parts.append(_t("%(label)s：%(value)s") % {"label": PARAM_LABELS.get(key, key), "value": value})
    return _t("；").join(parts) or _t("默认参数")


def _row(generated) -> dict:
    from django.utils import timezone

    from ioudesk.core.names import staff_name

    spec = report_get(generated.code)
    iou_report = iou_reports.iou_report_get(generated.code)
    title = spec.title if spec else (iou_report.title if iou_report else generated.title)
    return {"report": generated, "params": params_text(generated), "title": title, "tag": STATE_TAGS.get(generated.state, ""),
            "running": generated.state in (GeneratedState.QUEUED, GeneratedState.RUNNING),
            "by": staff_name(generated.requested_by),
            "when": timezone.localtime(generated.created_at).strftime("%Y-%m-%d %H:%M"),
            "size": f"{generated.size / 1024:,.1f} KB" if generated.size else "—"}


class ChooseForm(forms.Form):
    code = forms.ChoiceField(label=_("报表"), choices=())

    def __init__(self, data, *, user):
        super().__init__(data)
        groups = generation.generation_choices(user)
        self.fields["code"].choices = [("", _("请选择报表或借据报告")), *groups]


class GenerateForm(forms.Form):
    """The format (and for an IOU report the IOU numbers); the report's own filters are added from
    its spec (report_pages.filter_form)."""

    format = forms.ChoiceField(label=_("格式"), choices=ReportFormat.choices, initial=ReportFormat.XLSX)


class IouNumbersForm(GenerateForm):
    field_order = ["numbers", "format"]
    numbers = forms.CharField(label=_("借据编号"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("每行一个，或用逗号分隔；最多 500 笔"))  # iou_reports.MAX_IOUS


class GeneratedPage(BackofficePage):
    """The kept reports and the 生成报告 form."""

    template_name = "backoffice/reports/generated.html"
    title = _("报告管理")
    permission_required = ("reports.view_generatedreport",)

    def forms_for(self, data):
        user = self.request.user
        choose = ChooseForm(data if data.get("code") is not None else None, user=user)
        code = (data.get("code") or "").strip()
        spec, filters, generate = report_get(code), None, None
        if iou_reports.iou_report_get(code):
            generate = IouNumbersForm(data if self.request.method == "POST" else None,
                                      initial={"numbers": data.get("numbers", "")})
        elif spec is not None and user.has_perm(spec.permission):
            filters = filter_form(spec, data, user)
            generate = GenerateForm(data if self.request.method == "POST" else None)
        return choose, code, filters, generate

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(**self.page_context(request.GET)))

    def post(self, request, *args, **kwargs):
        user = request.user
        data = request.POST
        choose, code, filters, generate = self.forms_for(data)
        if generate is None or not generate.is_valid():
            if generate is None:
                choose.add_error("code", _t("报表：请选择一个报表或借据报告。"))
            return self.render_to_response(self.get_context_data(**self.page_context(data, forms_=(
                choose, code, filters, generate))))
        params = {key: value for key, value in data.items()
                  if key not in ("csrfmiddlewaretoken", "code", "format") and value not in ("", None)}
        try:
            generated = generation.report_generate(code, params, generate.cleaned_data["format"], user)
        except ApplicationError as error:
            target = generate
            field = error.extra.get("field")
            if filters is not None and field in filters.fields:
                target = filters
            add_service_error(target, error)
            if target is filters:
                messages.error(request, str(error.message))
            return self.render_to_response(self.get_context_data(**self.page_context(data, forms_=(
                choose, code, filters, generate))))
        if generated.state == GeneratedState.DONE:
            messages.success(request, _t("已生成“%(title)s”，可在下方列表下载。") % {"title": generated.title})
        else:
            messages.info(request, _t("“%(title)s”较大，正在后台生成；完成后可在下方列表下载。") % {"title": generated.title})
        return redirect(reverse("backoffice:reports_generated"))

    def page_context(self, data, forms_=None) -> dict:
        user = self.request.user
        choose, code, filters, generate = forms_ or self.forms_for(data)
        reports = generation.generated_for(user).order_by("-id")
        state = (self.request.GET.get("state") or "").strip()
        if state in GeneratedState.values:
            reports = reports.filter(state=state)
        page = Paginator(reports, 20).get_page(self.request.GET.get("page"))
        rows = [_row(g) for g in page.object_list]
        spec = report_get(code)
        return {"choose": choose, "code": code, "filters": filters, "generate": generate, "rows": rows, "page": page,
                "can_generate": generation.may_generate(user), "spec": spec,
                "iou_report": iou_reports.iou_report_get(code), "states": GeneratedState.choices, "state": state,
                "schedules_url": reverse("admin:reports_reportschedule_changelist")
                if user.has_perm("reports.view_reportschedule") else ""}


class GeneratedProgress(BackofficePage):
    """One running report's progress (the list's htmx poll, every second until it is done)."""

    template_name = "backoffice/reports/generated_progress.html"
    permission_required = ("reports.view_generatedreport",)

    def get(self, request, *args, **kwargs):
        try:
            generated = generation.generated_get(user=request.user, pk=kwargs["pk"])
        except NotFound as error:
            raise Http404(str(error.message)) from error
        row = _row(generated)
        return self.render_to_response({"row": row, "job": generated.job})


class GeneratedDownload(BackofficePage):
    permission_required = ("reports.view_generatedreport",)

    def get(self, request, *args, **kwargs):
        try:
            download = generation.report_download(user=request.user, pk=kwargs["pk"])
        except NotFound as error:
            raise Http404(str(error.message)) from error
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return redirect(reverse("backoffice:reports_generated"))
        response = HttpResponse(download.data, content_type=download.content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download.filename)}"
        return response


# --- 自定义报表 ------------------------------------------------------------------------------------------


class PivotForm(forms.Form):
    rows = forms.MultipleChoiceField(label=_("行维度"), choices=list(pivot.DIMENSIONS.items()), required=False,
                                     widget=forms.CheckboxSelectMultiple,
                                     help_text=_("最多 3 个，按选择的顺序分组"))  # pivot.MAX_ROWS_DIMENSIONS
    columns = forms.ChoiceField(label=_("列维度"), required=False,
                                choices=[("", _("不分列")), *pivot.DIMENSIONS.items()],
                                help_text=_("选了列维度时，表格按列展开第一个指标"))
    measures = forms.MultipleChoiceField(label=_("指标"), required=False,
                                         choices=[(k, label) for k, (label, _kind) in pivot.MEASURES.items()],
                                         widget=forms.CheckboxSelectMultiple)
    chart = forms.ChoiceField(label=_("图表"), required=False,
                              choices=[("bar", _("柱状图")), ("line", _("折线图")), ("", _("不显示图表"))])


class SaveForm(forms.Form):
    name = forms.CharField(label=_("保存为"), max_length=100, required=False)


class CustomPage(BackofficePage):
    template_name = "backoffice/reports/custom.html"
    title = _("自定义报表")
    permission_required = ("reports.view_reports",)

    def data(self):
        request = self.request
        saved = request.GET.get("saved")
        if saved and saved.isdigit():
            try:
                found = pivot.pivot_get(user=request.user, pk=int(saved))
            except NotFound as error:
                raise Http404(str(error.message)) from error
            data = QueryDict(mutable=True)
            for key, value in pivot.pivot_as_data(found).items():
                if isinstance(value, list):
                    data.setlist(key, [str(v) for v in value])
                else:
                    data[key] = "" if value is None else str(value)
            return data, found
        return request.GET, None

    def get(self, request, *args, **kwargs):
        data, saved = self.data()
        fmt = request.GET.get("format")
        if fmt and "rows" in data:
            try:
                content, name = pivot.pivot_export(pivot.pivot_parse(data, request.user), request.user, fmt)
            except ApplicationError as error:
                messages.error(request, str(error.message))
            else:
                mime = ("application/pdf" if fmt == "pdf"
                        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                response = HttpResponse(content, content_type=mime)
                response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
                return response
        return self.render_to_response(self.get_context_data(**self.page_context(data, saved)))

    def page_context(self, data, saved, save_form=None) -> dict:
        user = self.request.user
        asked = "rows" in data or "measures" in data
        initial = data if asked else QueryDict("rows=branch&measures=count&measures=balance&measures=overdue&chart=bar")
        if "chart" not in initial:  # the parser's default, shown as such in the form
            initial = initial.copy()
            initial["chart"] = "bar"
        form = PivotForm(initial)
        form.is_valid()
        filters = filter_form(pivot.SPEC, initial, user)
        context = {"form": form, "filters": filters, "saved": saved, "save_form": save_form or SaveForm(
            initial={"name": saved.name if saved else ""}), "pivots": list(pivot.pivots_for(user)),
            "can_export": user.has_perm("reports.export_reports"), "result": None, "error": ""}
        try:
            query = pivot.pivot_parse(initial, user)
        except ApplicationError as error:
            add_service_error(form if error.extra.get("field") in form.fields else filters, error)
            context["error"] = str(error.message)
            return context
        result = pivot.pivot_run(query, user)
        plain = {key: initial.getlist(key) for key in initial}
        plain.pop("saved", None)
        plain.pop("format", None)
        context.update(result=result, table=table_context(result.tables[0]),
                       chart=chart_context(result.chart) if result.chart and result.chart.labels else None,
                       figures=[{"label": str(f.label), "text": _figure(f)} for f in result.figures],
                       query=urlencode(plain, doseq=True), notes=result.notes)
        return context

    def post(self, request, *args, **kwargs):
        user = request.user
        action = request.POST.get("action")
        if action == "delete":
            try:
                pivot.pivot_delete(user=user, pk=int(request.POST.get("pk") or 0))
            except (ApplicationError, ValueError):
                messages.error(request, _t("自定义报表不存在，或不是您保存的。"))
            else:
                messages.success(request, _t("已删除。"))
            return redirect(reverse("backoffice:reports_custom"))
        query_string = request.POST.get("query", "")
        data = QueryDict(query_string)
        save_form = SaveForm(request.POST)
        save_form.is_valid()
        try:
            saved = pivot.pivot_save(user=user, name=save_form.cleaned_data.get("name", ""),
                                     query=pivot.pivot_parse(data, user))
        except ApplicationError as error:
            add_service_error(save_form, error)
            return self.render_to_response(self.get_context_data(**self.page_context(data, None, save_form)))
        messages.success(request, _t("已保存“%(name)s”。") % {"name": saved.name})
        return redirect(reverse("backoffice:reports_custom") + f"?saved={saved.pk}")


def _figure(figure) -> str:
    from ioudesk.reports.running import figure_text

    return figure_text(figure.value, figure.kind)


urlpatterns = [
    path("reports/generated/", GeneratedPage.as_view(), name="reports_generated"),
    path("reports/generated/<int:pk>/progress/", GeneratedProgress.as_view(), name="reports_generated_progress"),
    path("reports/generated/<int:pk>/download/", GeneratedDownload.as_view(), name="reports_generated_download"),
    path("reports/custom/", CustomPage.as_view(), name="reports_custom"),
]
