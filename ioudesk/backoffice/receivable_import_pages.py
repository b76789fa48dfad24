"""银行流水导入 pages: the upload (bank detected or chosen, funding account, the column mapping
form when the layout is unknown), the batch page (progress while the worker imports, then the
counts, % matched automatically and the lines with their receipts). The work is
``ioudesk.receivables.bankimport``'s."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import scope
from ioudesk.core.errors import ApplicationError, NotFound
from ioudesk.core.models import Branch
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.selectors import funding_accounts
from ioudesk.receivables import bankimport, tasks
from ioudesk.receivables.bankfiles import header_of
from ioudesk.receivables.bankfiles.mapping import FIELDS as MAPPING_FIELDS
from ioudesk.receivables.models import Bank, ColumnMapping, ImportStatus

LINES_PER_PAGE = 100
RECENT = 20
MAPPING_CODES = ("statement_unknown_layout", "mapping_required", "statement_layout_mismatch")


def _account_choices():
    return [(a.code, f"{a.code} {a.name}") for a in funding_accounts()]


def _branch_choices(user):
    visible = scope.visible_branch_ids(user)
    branches = Branch.objects.filter(is_active=True).order_by("path")
    if visible is not None:
        branches = branches.filter(pk__in=visible)
    return [(b.pk, b.name) for b in branches]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("流水文件（.xlsx 或 .csv）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
                           help_text=_("网银或支付宝、微信导出的账户明细/账单原文件，不必删去标题行和合计行；不超过 50 MB。"))
    bank = forms.ChoiceField(label=_("银行/渠道"), required=False,
                             help_text=_("留空时按表头自动识别；其他银行的流水请选“自定义列对应”。"))
    mapping = forms.ModelChoiceField(label=_("已保存的列对应"), required=False, queryset=ColumnMapping.objects.none(),
                                     help_text=_("选择“自定义列对应”时使用；第一次导入某家银行的流水时留空，上传后按表头逐列指定。"))
    account_code = forms.ChoiceField(label=_("资金账户（入账科目）"),
                                     help_text=_("这份流水所属的银行存款（或库存现金）明细科目：收款记入该科目借方。"))
    branch = forms.TypedChoiceField(label=_("所属网点"), coerce=int)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", _("自动识别"))] + list(Bank.choices)
        self.fields["mapping"].queryset = ColumnMapping.objects.order_by("name")
        self.fields["mapping"].empty_label = _("（不使用）")
        self.fields["account_code"].choices = _account_choices()
        self.fields["account_code"].initial = AccountCode.BANK_BASIC
        self.fields["branch"].choices = _branch_choices(user)
        self.fields["branch"].initial = user.branch_id


class MappingForm(forms.Form):
    """Which of the file's columns is which: one select per field, over the header's cells."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    account_code = forms.CharField(widget=forms.HiddenInput)
    branch = forms.IntegerField(widget=forms.HiddenInput)
    mapping_name = forms.CharField(label=_("列对应名称"), max_length=60,
                                   help_text=_("如“杭州联合银行”；保存后，下次导入同一银行的流水时直接选用。"))
    date_format = forms.CharField(label=_("日期格式（可选）"), max_length=20, required=False,
                                  help_text=_("日期写法特殊时填写，如 %Y%m%d、%d/%m/%Y；一般留空，系统自动识别。"))

    def __init__(self, *args, header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("（无）"))] + [(name, name) for name in header if name]
        for key, label, required in MAPPING_FIELDS:
            self.fields[f"col_{key}"] = forms.ChoiceField(label=label, choices=choices, required=required)
        self.fields["col_memo"] = forms.MultipleChoiceField(
            label=_("摘要 / 用途 / 附言"), choices=choices[1:], required=False, widget=forms.CheckboxSelectMultiple,
            help_text=_("可选多列：付款人写的附言常在“用途”或“附言”列，单号在其中时可自动核销。"))

    def columns(self) -> dict:
        data = self.cleaned_data
        columns = {key: data.get(f"col_{key}") or "" for key, _label, _required in MAPPING_FIELDS}
        columns["memo"] = "|".join(data.get("col_memo") or [])
        return columns


def _guess(header: list[str]) -> dict:
    """Pre-select the columns whose names say what they are."""
    words = {
        "day": ("交易日期", "记账日期", "日期", "交易时间", "时间"), "time": ("时间",),
        "credit": ("收入", "贷方", "存入"), "debit": ("支出", "借方", "支取"), "amount": ("交易金额", "金额", "发生额"),
        "flag": ("借贷", "收支", "方向"), "name": ("对方户名", "对方名称", "对方单位", "户名", "对方"),
        "account": ("对方账号", "对方帐号", "账号"), "bank": ("开户行", "开户机构", "行名"),
        "reference": ("流水号", "交易号", "序号"), "balance": ("余额",),
    }
    initial, used = {}, set()
    for key in ("day", "credit", "debit", "balance", "name", "account", "bank", "reference", "flag", "amount", "time"):
        for name in header:
            if name and name not in used and any(w in name for w in words[key]):
                if key == "amount" and (initial.get("col_credit") or initial.get("col_debit")):
                    break
                initial[f"col_{key}"] = name
                used.add(name)
                break
    initial["col_memo"] = [n for n in header if n and n not in used and any(w in n for w in ("摘要", "用途", "附言", "备注"))]
    return initial


class ImportPage(BackofficePage):
    template_name = "backoffice/receivables/import_upload.html"
    title = _("银行流水导入")
    permission_required = ("receivables.import_bankstatement",)

    def post(self, request, *args, **kwargs):
        if "token" in request.POST:
            return self.mapped(request)
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        upload = data["file"]
        branch = Branch.objects.filter(pk=data["branch"]).first()
        try:
            statement = bankimport.statement_import_start(
                upload=upload, account_code=data["account_code"], branch=branch, user=request.user,
                bank=data["bank"] or None, mapping=data["mapping"])
        except ApplicationError as error:
            if getattr(error, "code", "") in MAPPING_CODES and not data["mapping"]:
                return self.mapping_form(request, upload, data, error)
            field = (getattr(error, "extra", None) or {}).get("field")
            form.add_error(field if field in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(form=form))
        tasks.statement_enqueue(statement)
        return HttpResponseRedirect(reverse("backoffice:receivables_statement_import", args=[statement.pk]))

    def mapping_form(self, request, upload, data, error):
        """An unknown layout: keep the upload and ask which column is which."""
        upload.seek(0)
        content = upload.read()
        try:
            header_row, header = header_of(content, filename=upload.name)
            token = bankimport.statement_stage(user=request.user, name=upload.name, data=content)
        except ApplicationError as refused:
            form = UploadForm(request.POST, request.FILES, user=request.user)
            form.is_valid()
            form.add_error("file", refused.message)
            return self.render_to_response(self.get_context_data(form=form))
        if not header:
            form = UploadForm(request.POST, request.FILES, user=request.user)
            form.is_valid()
            form.add_error("file", error.message)
            return self.render_to_response(self.get_context_data(form=form))
        mapping = MappingForm(header=header, initial={
            "token": token, "account_code": data["account_code"], "branch": data["branch"], **_guess(header)})
        return self.render_to_response(self.get_context_data(
            mapping_form=mapping, refusal=error.message, header=header, header_row=header_row, filename=upload.name))

    def mapped(self, request):
        """The mapping form sent: save the mapping by its name, import the kept upload with it."""
        token = request.POST.get("token", "")
        try:
            name, content = bankimport.statement_staged(user=request.user, token=token)
            header_row, header = header_of(content, filename=name)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("backoffice:receivables_import"))
        form = MappingForm(request.POST, header=header)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(mapping_form=form, header=header,
                                                                 header_row=header_row, filename=name))
        data = form.cleaned_data
        branch = Branch.objects.filter(pk=data["branch"]).first()
        try:
            mapping = bankimport.column_mapping_save(name=data["mapping_name"], columns=form.columns(),
                                                     header_row=header_row or 1, date_format=data["date_format"],
                                                     user=request.user)
            statement = bankimport.statement_import_start(
                upload=SimpleUploadedFile(name, content), account_code=data["account_code"], branch=branch,
                user=request.user, bank=Bank.MAPPED, mapping=mapping)
        except ApplicationError as error:
            field = (getattr(error, "extra", None) or {}).get("field") or ""
            target = f"col_{field}" if f"col_{field}" in form.fields else field
            form.add_error(target if target in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(mapping_form=form, header=header,
                                                                 header_row=header_row, filename=name))
        bankimport.statement_unstage(user=request.user, token=token)
        tasks.statement_enqueue(statement)
        messages.success(request, _t("列对应“%(name)s”已保存，下次导入同一银行的流水时可直接选用。") % {"name": mapping.name})
        return HttpResponseRedirect(reverse("backoffice:receivables_statement_import", args=[statement.pk]))

    def get_context_data(self, **kwargs):
        if "form" not in kwargs and "mapping_form" not in kwargs:
            kwargs["form"] = UploadForm(user=self.request.user)
        recent = list(bankimport.statements_for(self.request.user).order_by("-uploaded_at", "-id")[:RECENT]) \
            if self.request.user.has_perm("receivables.view_bankstatement") else []
        for statement in recent:
            statement.percent = bankimport.matched_percent(statement)
        return super().get_context_data(**kwargs, recent=recent, layouts=_layouts())


def _layouts():
    from ioudesk.receivables.bankfiles import LAYOUTS

    return [(layout.label, layout.description) for layout in LAYOUTS]


class StatementImportPage(BackofficePage):
    """One batch: progress while the worker imports it, then its counts and lines."""

    template_name = "backoffice/receivables/import_statement.html"
    title = _("流水导入批次")
    permission_required = ("receivables.view_bankstatement",)

    def get_statement(self):
        try:
            return bankimport.statement_get(user=self.request.user, pk=self.kwargs["pk"])
        except NotFound as error:
            raise Http404(str(error.message)) from error

    def get_context_data(self, **kwargs):
        statement = self.get_statement()
        running = statement.status == ImportStatus.RUNNING and statement.job_id is not None
        context = {"statement": statement, "job": statement.job, "running": running,
                   "percent": bankimport.matched_percent(statement)}
        if not running:
            paginator = Paginator(bankimport.statement_lines(statement), LINES_PER_PAGE)
            page = paginator.get_page(self.request.GET.get("page"))
            context.update(page=page, lines=page.object_list, counts=bankimport.statement_counts(statement))
        self.title = _t("流水导入批次 %(number)s") % {"number": statement.number}
        return super().get_context_data(**kwargs, **context)


class StatementImportProgress(StatementImportPage):
    """What the batch page polls (htmx, every second) while the worker imports; when the job has
    finished, ``HX-Refresh`` reloads the page to show the result. JSON when asked for it."""

    template_name = "backoffice/receivables/import_progress.html"
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        statement = self.get_statement()
        job = statement.job
        finished = job is None or job.finished or statement.status != ImportStatus.RUNNING
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"status": statement.status, "percent": job.percent if job else 100,
                                 "phase": job.phase if job else "", "processed": job.processed if job else 0,
                                 "total": job.total if job else 0, "finished": finished})
        response = render(request, self.template_name, {"statement": statement, "job": job, "finished": finished})
        if finished and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


urlpatterns = [
    path("receivables/import/", ImportPage.as_view(), name="receivables_import"),
    path("receivables/import/<int:pk>/", StatementImportPage.as_view(), name="receivables_statement_import"),
    path("receivables/import/<int:pk>/progress/", StatementImportProgress.as_view(),
         name="receivables_statement_import_progress"),
]
