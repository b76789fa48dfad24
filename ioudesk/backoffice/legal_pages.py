"""Legal pages (H3): 时效预警 — the debts whose limitation period ends soon or has ended, with the
reasoning and the interruptions on record — and 转诉讼, opening a legal case from a collection
case. The legal cases and the defaulter list themselves are admin pages (admin/legal.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.calc import aging
from ioudesk.collections import predicates as collection_predicates
from ioudesk.collections import selectors as collection_selectors
from ioudesk.core import clock, scope
from ioudesk.core.errors import ApplicationError
from ioudesk.core.models import Branch
from ioudesk.legal import predicates, selectors, services

PAGE_SIZE = 50
WINDOWS = ((30, _("30天内")), (90, _("90天内")), (180, _("180天内")), (365, _("一年内")))


class WatchFilters(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[
        ("", _("临近届满及已届满")), ("near", _("临近届满")), ("expired", _("已届满"))])
    within = forms.TypedChoiceField(label=_("届满期限"), required=False, coerce=int, empty_value=90,
                                    choices=WINDOWS, initial=90)
    branch = forms.TypedChoiceField(label=_("网点"), required=False, coerce=int, empty_value=None)
    bucket = forms.ChoiceField(label=_("账龄"), required=False)
    q = forms.CharField(label=_("搜索"), required=False, max_length=60,
                        widget=forms.TextInput(attrs={"placeholder": _("借据号、客户名")}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = scope.scope_queryset(user, Branch.objects.filter(is_active=True), "pk").order_by("path")
        self.fields["branch"].choices = [("", _("全部网点"))] + [(b.pk, str(b)) for b in branches]
        self.fields["bucket"].choices = [("", _("全部账龄"))] + [(b, b) for b in BUCKETS]


# M0 … M6 and the last "M7+", as calc.aging names them
BUCKETS = [aging.loan_bucket(0)] + [aging.loan_bucket(bound) for bound in aging.LOAN_BUCKET_BOUNDS] + [
    aging.loan_bucket(aging.LOAN_BUCKET_BOUNDS[-1] + 1)]


class LimitationWatchPage(BackofficePage):
    """时效预警: soonest first; each row says why (the articles) and lists its interruptions."""

    template_name = "backoffice/legal/limitation.html"
    title = _("时效预警")
    permission_required = ("ious.view_iou",)

    def get_context_data(self, **kwargs):
        user, today = self.request.user, clock.today()
        filters = WatchFilters(self.request.GET or None, user=user)
        values = filters.cleaned_data if filters.is_valid() else {}
        within = values.get("within") or 90
        queryset = selectors.limitation_watch(
            user, day=today, state=values.get("state", ""), within=within, branch_id=values.get("branch"),
            bucket=values.get("bucket", ""), q=values.get("q", ""))
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = selectors.watch_rows(page.object_list, day=today)
        query = urlencode({k: v for k, v in self.request.GET.items() if k != "page" and v})
        return super().get_context_data(
            **kwargs, filters=filters, rows=rows, page=page, today=today, within=within, query=query,
            counts=selectors.watch_counts(user, day=today, within=within),
            filtered=any(v for k, v in self.request.GET.items() if k != "page"))


class LegalCaseOpenForm(forms.Form):
    lawyer = forms.CharField(label=_("承办律师"), required=False, max_length=50)
    law_firm = forms.CharField(label=_("律师事务所"), required=False, max_length=100)
    claim_amount = forms.CharField(label=_("诉讼请求金额（元）"), required=False, max_length=20,
                                   help_text=_("留空则按借据当前欠款"))
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LegalCaseOpenPage(BackofficePage):
    """转诉讼: a legal case from a collection case (the case is then marked as in legal)."""

    template_name = "backoffice/legal/case_open.html"
    permission_required = ("legal.add_legalcase",)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            case = collection_selectors.cases_for(request.user).filter(pk=kwargs["pk"]).first()
            if case is None or not collection_predicates.can_view_case(case, request.user):
                raise Http404(_t("催收案件不存在，或您无权查看。"))
            self.case = case
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        self.title = _("转诉讼：%(number)s") % {"number": self.case.number}
        kwargs.setdefault("form", LegalCaseOpenForm(initial={
            "claim_amount": f"{self.case.debt_outstanding:.2f}"}))
        return super().get_context_data(**kwargs, case=self.case,
                                        allowed=predicates.can_open_legal_case(self.case, self.request.user),
                                        existing=self.case.legal_cases.order_by("-id").first())

    def post(self, request, *args, **kwargs):
        form = LegalCaseOpenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            legal_case = services.legal_case_open(self.case, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("已转诉讼：%(number)s。请在诉讼页面登记立案、开庭、判决和费用。") % {
            "number": legal_case.number})
        return redirect(reverse("admin:legal_legalcase_change", args=[legal_case.pk]))


urlpatterns = [
    path("legal/limitation/", LimitationWatchPage.as_view(), name="legal_limitation"),
    path("legal/open/<int:pk>/", LegalCaseOpenPage.as_view(), name="legal_case_open"),
]
