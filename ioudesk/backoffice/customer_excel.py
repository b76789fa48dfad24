"""Customer Excel pages: export of the filtered list (a list action on 客户管理), the import
template, the import with its dry run, and the statistics page.  The work is done by
ioudesk.customers.excel and ioudesk.customers.stats; these views parse and render."""

from __future__ import annotations

import copy
import json
from functools import partial
from io import BytesIO
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice import customer_search
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core.errors import ApplicationError, NotFound
from ioudesk.core.xlsx import XLSX_TYPE, workbook_response
from ioudesk.customers import excel, stats
from ioudesk.customers.excel import background
from ioudesk.jobs.models import JobKind, JobState

MAX_ERRORS_SHOWN = 1000

# --- export (called by CustomerAdmin's list actions) -------------------------------------------

# Query parameters of the changelist that are not filters: left out when the list is rebuilt.
NOT_FILTERS = {"p", "all", "_changelist_filters", "_popup", "_to_field"}


def export_changelist(model_admin, request, *, full: bool = False):
    """Export what the customer list shows: its filters and search come from the request's
    query string or, for the list action link (which Unfold draws without one), from the list
    page the user came from."""
    params = request.GET.copy()
    if not params:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
        if referer.path == reverse("admin:customers_customer_changelist"):
            params = QueryDict(referer.query, mutable=True)
    for name in NOT_FILTERS:
        params.pop(name, None)
    list_request = copy.copy(request)
    list_request.GET = params
    try:
        queryset = model_admin.get_changelist_instance(list_request).get_queryset(list_request)
        export = excel.customers_export(user=request.user, queryset=queryset, full=full)
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("admin:customers_customer_changelist"))
    response = FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=XLSX_TYPE)
    return response


# --- import -----------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(label=_("客户文件（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "请使用导入模板填写；文件不超过 10 MB、%(rows)s 行。超过 %(background)s 行的文件在后台检查和导入，"
            "可以离开本页，稍后在“我的导入”中查看进度和结果。") % {
            "rows": f"{excel.max_rows():,}", "background": f"{background.background_rows():,}"}


class ConfirmForm(forms.Form):
    token = forms.RegexField(regex=excel.TOKEN_RE)
    mode = forms.ChoiceField(choices=excel.ImportMode.choices)


class ImportPage(BackofficePage):
    template_name = "backoffice/customers/import.html"
    title = _("导入客户")
    permission_required = ("customers.import_customer",)

    def post(self, request, *args, **kwargs):
        if "token" in request.POST:
            return self.confirm(request)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        try:
            head = upload.read(4)
            excel.check_upload(name=upload.name, size=upload.size, head=head)
            upload.seek(0)
            data = upload.read()
            if len(data) > excel.BACKGROUND_BYTES:  # not even read here: the worker reads it
                return self.start_job(background.import_job_check_start(user=request.user, name=upload.name,
                                                                         data=data))
            parsed = excel.read_import_file(BytesIO(data))
            if len(parsed.rows) > background.background_rows():
                return self.start_job(background.import_job_check_start(user=request.user, name=upload.name,
                                                                         parsed=parsed))
            check = excel.customers_import_check(user=request.user, parsed=parsed)
            token = excel.import_stage(user=request.user, name=upload.name, parsed=parsed)
        except ApplicationError as error:
            form.add_error("file", error.message)
            return self.render_to_response(self.get_context_data(form=form))
        return self.render_to_response(self.get_context_data(check=check, token=token, filename=upload.name))

    def start_job(self, job):
        enqueue_import_job(job)
        return HttpResponseRedirect(reverse("backoffice:customer_import_job", args=[job.pk]))

    def confirm(self, request):
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, _t("请选择导入方式。"))
            return HttpResponseRedirect(reverse("backoffice:customer_import"))
        try:
            staged = excel.import_take(user=request.user, token=form.cleaned_data["token"])
            file = BytesIO(staged.data) if staged.parsed is None else None
            result = excel.customers_import(user=request.user, file=file, parsed=staged.parsed,
                                            mode=form.cleaned_data["mode"], filename=staged.name)
            token = excel.import_stage(user=request.user, name=staged.name, parsed=result_rows(staged, file),
                                       data=None) if result.refused else ""
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("backoffice:customer_import"))
        return self.render_to_response(self.get_context_data(
            result=result, check=result.check, token=token, filename=staged.name))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", UploadForm())
        check = kwargs.get("check")
        if check is not None:
            errors = check.errors
            kwargs.update(errors=errors[:MAX_ERRORS_SHOWN], errors_hidden=max(len(errors) - MAX_ERRORS_SHOWN, 0),
                          disabled_attrs={"disabled": True})
        result = kwargs.get("result")
        if result is not None:
            kwargs.update(errors=result.skipped[:MAX_ERRORS_SHOWN],
                          errors_hidden=max(len(result.skipped) - MAX_ERRORS_SHOWN, 0),
                          skipped_rows=len({error.row for error in result.skipped}))
        return super().get_context_data(**kwargs)


def result_rows(staged, file):
    """The rows to stage again after a refused all-or-nothing import (read once more only if
    the staged upload was never read, which the dry run always does)."""
    return staged.parsed if staged.parsed is not None else excel.read_import_file(BytesIO(staged.data))


def enqueue_import_job(job) -> None:
    """Queue the worker's task once the job record is committed (the worker must find it)."""
    from ioudesk.customers.tasks import customer_import_job

    transaction.on_commit(partial(customer_import_job.enqueue, job.pk))


class ImportJobPage(BackofficePage):
    """One background import (dry run or import): progress while it runs, the result when done."""

    template_name = "backoffice/customers/import_job.html"
    title = _("客户导入进度")
    permission_required = ("customers.import_customer",)

    def get_job(self):
        try:
            return background.import_job(user=self.request.user, pk=self.kwargs["pk"])
        except NotFound as error:
            raise Http404(str(error.message)) from error

    def get_context_data(self, **kwargs):
        job = self.get_job()
        result = job.result or {}
        errors = [excel.RowError(*error) for error in result.get("errors", [])][:MAX_ERRORS_SHOWN]
        hidden = max(result.get("errors_total", 0) - len(errors), 0)
        confirmable = (job.state == JobState.DONE and not job.params.get("confirmed") and (
            job.kind == JobKind.CUSTOMER_IMPORT_CHECK or result.get("retry_token")))
        return super().get_context_data(**kwargs, job=job, result=result, errors=errors, errors_hidden=hidden,
                                        is_check=job.kind == JobKind.CUSTOMER_IMPORT_CHECK,
                                        confirmable=confirmable, disabled_attrs={"disabled": True})

    def post(self, request, *args, **kwargs):
        """确认导入 after a background dry run (or 只导入正确的行 after a refused import)."""
        job = self.get_job()
        mode = request.POST.get("mode", "")
        try:
            with transaction.atomic():
                new = background.import_job_confirm(user=request.user, check_job=job, mode=mode)
                enqueue_import_job(new)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("backoffice:customer_import_job", args=[job.pk]))
        return HttpResponseRedirect(reverse("backoffice:customer_import_job", args=[new.pk]))


class ImportJobProgress(ImportJobPage):
    """What the job page polls (htmx, every second): the progress bar; when the job has
    finished, ``HX-Refresh`` reloads the page to show the result. JSON when asked for it."""

    template_name = "backoffice/customers/_import_progress.html"
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"state": job.state, "state_label": str(job.get_state_display()),
                                 "phase": job.phase, "processed": job.processed, "total": job.total,
                                 "percent": job.percent, "finished": job.finished})
        response = render(request, self.template_name, {"job": job})
        if job.finished and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class ImportJobList(BackofficePage):
    """我的导入: the user's imports, with their state and results."""

    template_name = "backoffice/customers/import_jobs.html"
    title = _("我的导入")
    permission_required = ("customers.import_customer",)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, jobs=background.import_jobs(user=self.request.user))


class ImportTemplateView(BackofficePage):
    permission_required = ("customers.import_customer",)

    def get(self, request, *args, **kwargs):
        return workbook_response(excel.import_template(user=request.user), f"{_t('客户导入模板')}.xlsx")


# --- statistics -------------------------------------------------------------------------------


class StatsFilterForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("网点（含下级网点）"), queryset=None, required=False,
                                    empty_label=_("全部网点"))
    acquired_from = forms.DateField(label=_("建档日期从"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    acquired_to = forms.DateField(label=_("建档日期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = stats.statistics_branches(user)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("acquired_from"), cleaned.get("acquired_to")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return cleaned


PALETTE = ["var(--color-primary-600)", "var(--color-primary-400)", "var(--color-primary-200)",
           "var(--color-primary-800)", "var(--color-primary-300)", "var(--color-primary-500)"]
CATEGORY_COLOURS = {"normal": "#3b82f6", "important": "#16a34a", "blacklist": "#dc2626"}
GRADE_COLOURS = {"A": "#16a34a", "B": "#84cc16", "C": "#eab308", "D": "#f97316", "E": "#dc2626"}


def _chart(buckets, *, label: str, colours=None) -> str:
    colour = [colours.get(b.key, PALETTE[0]) for b in buckets] if colours else PALETTE[0]
    dataset = {"label": label, "data": [b.count for b in buckets], "backgroundColor": colour, "maxBarThickness": 48}
    if not colours:  # a line (the months) takes its colour from borderColor
        dataset["borderColor"] = PALETTE[0]
    return json.dumps({"labels": [b.label for b in buckets], "datasets": [dataset]})


BAR_OPTIONS = json.dumps({"plugins": {"legend": {"display": False}},
                          "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}})
HORIZONTAL_OPTIONS = json.dumps({"indexAxis": "y", "plugins": {"legend": {"display": False}},
                                 "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}}})
DOUGHNUT_OPTIONS = json.dumps({"plugins": {"legend": {"display": True, "position": "right"}}, "scales": {}})


class StatsPage(BackofficePage):
    template_name = "backoffice/customers/stats.html"
    title = _("客户统计")
    permission_required = ("customers.view_customer",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = StatsFilterForm(self.request.GET or None, user=user)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        branch = filters.get("branch")
        result = stats.customer_statistics(user=user, branch_id=branch.pk if branch else None,
                                           acquired_from=filters.get("acquired_from"),
                                           acquired_to=filters.get("acquired_to"))
        customers = _t("客户数")
        sections = [
            {"title": _t("按客户分类"), "buckets": result.by_category, "type": "doughnut", "options": DOUGHNUT_OPTIONS,
             "data": _chart(result.by_category, label=customers, colours=CATEGORY_COLOURS), "testid": "by-category"},
            {"title": _t("按风险等级"), "buckets": result.by_risk_grade, "type": "bar", "options": BAR_OPTIONS,
             "data": _chart(result.by_risk_grade, label=customers, colours=GRADE_COLOURS), "testid": "by-grade"},
            {"title": _t("按来源渠道"), "buckets": result.by_source, "type": "bar", "options": HORIZONTAL_OPTIONS,
             "data": _chart(result.by_source, label=customers), "testid": "by-source"},
            {"title": _t("按网点"), "buckets": result.by_branch, "type": "bar", "options": HORIZONTAL_OPTIONS,
             "data": _chart(result.by_branch, label=customers), "testid": "by-branch"},
        ]
        monthly = {"title": _t("每月新增客户（%(start)s 至 %(end)s）") % {
            "start": f"{result.months_from:%Y-%m}", "end": f"{result.months_to:%Y-%m}"},
            "buckets": result.by_month, "data": _chart(result.by_month, label=_t("新增客户")),
            "options": BAR_OPTIONS, "testid": "by-month"}
        return super().get_context_data(**kwargs, form=form, stats=result, sections=sections, monthly=monthly)


urlpatterns = [
    path("customers/import/", ImportPage.as_view(), name="customer_import"),
    path("customers/import/template/", ImportTemplateView.as_view(), name="customer_import_template"),
    path("customers/import/jobs/", ImportJobList.as_view(), name="customer_import_jobs"),
    path("customers/import/jobs/<int:pk>/", ImportJobPage.as_view(), name="customer_import_job"),
    path("customers/import/jobs/<int:pk>/progress/", ImportJobProgress.as_view(), name="customer_import_progress"),
    path("customers/statistics/", StatsPage.as_view(), name="customer_stats"),
    path("customers/search/", customer_search.SearchView.as_view(), name="customer_search"),
]
