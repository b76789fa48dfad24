"""借据 in the back office: the list (scoped, filtered, searched by number or debtor). Nothing is
added or changed through the generic form: "新建借据" opens the create pages and a row opens the
IOU page (ioudesk/backoffice/iou_pages.py), whose actions go through the services. The one bulk
action, 生成借据报告, changes nothing: it opens 报告管理 with the selected IOUs chosen."""

import copy
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.widgets import INPUT_CLASSES

from ioudesk.backoffice.mixins import ScopedAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.core.models import Branch
from ioudesk.core.scope import visible_branch_ids
from ioudesk.customers.search import search_customers
from ioudesk.ious import selectors
from ioudesk.ious.models import LIVE_STATUSES, Installment, Iou
from ioudesk.reports import generation, iou_reports, lists

BUCKETS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]


class DueThisWeekFilter(admin.SimpleListFilter):
    """Live IOUs with an unpaid installment due from the business date to seven days later."""

    title = _("近期到期")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("week", _("本周到期（营业日起7天内）"))]

    def queryset(self, request, queryset):
        if self.value() == "week":
            start, end = selectors.week_of(clock.today())
            return selectors.ious_due_between(queryset, start, end)
        return queryset


class BucketFilter(admin.SimpleListFilter):
    title = _("账龄")
    parameter_name = "bucket"

    def lookups(self, request, model_admin):
        return [(b, b) for b in BUCKETS]

    def queryset(self, request, queryset):
        return queryset.filter(bucket=self.value()) if self.value() else queryset


class LiveFilter(admin.SimpleListFilter):
    """live=1: the IOUs on the books (正常、逾期、展期), what a report's balance counts."""

    title = _("在贷")
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("1", _("在贷借据（正常、逾期、展期）"))]

    def queryset(self, request, queryset):
        return queryset.filter(status__in=LIVE_STATUSES) if self.value() == "1" else queryset


class BranchTreeFilter(admin.SimpleListFilter):
    """branch_tree=<id>: a branch with its sub-branches (a report's 网点 filter, drilled down)."""

    title = _("网点（含下级）")
    parameter_name = "branch_tree"

    def lookups(self, request, model_admin):
        ids = visible_branch_ids(request.user)
        branches = Branch.objects.all() if ids is None else Branch.objects.filter(pk__in=ids)
        return [(str(pk), name) for pk, name in branches.order_by("path").values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        path = Branch.objects.filter(pk=int(value)).values_list("path", flat=True).first() if value.isdigit() else None
        return queryset.filter(branch__path__startswith=path) if path else queryset.none()


class DaysPastDueForm(forms.Form):
    dpd_min = forms.IntegerField(label="", required=False, min_value=0, widget=forms.NumberInput(
        attrs={"placeholder": _("最少天数"), "class": " ".join(INPUT_CLASSES), "min": 0}))
    dpd_max = forms.IntegerField(label="", required=False, min_value=0, widget=forms.NumberInput(
        attrs={"placeholder": _("最多天数"), "class": " ".join(INPUT_CLASSES), "min": 0}))


class DaysPastDueFilter(admin.ListFilter):
    """dpd_min / dpd_max: days past due, both bounds included (a report's aging bucket drilled down)."""

    title = _("逾期天数")
    template = "unfold/filters/filters_numeric_range.html"
    parameters = ("dpd_min", "dpd_max")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def _form(self):
        return DaysPastDueForm(data={name: self.used_parameters.get(name) for name in self.parameters})

    def queryset(self, request, queryset):
        form = self._form()
        if not form.is_valid():
            return queryset.none()
        low, high = form.cleaned_data.get("dpd_min"), form.cleaned_data.get("dpd_max")
        if low is not None:
            queryset = queryset.filter(days_past_due__gte=low)
        if high is not None:
            queryset = queryset.filter(days_past_due__lte=high)
        return queryset

    def choices(self, changelist):
        yield {"request": None, "parameter_name": "dpd", "form": self._form()}


# Lookups of a report's drill-down through the customer (links.iou_list_url), beyond the list's filters.
CUSTOMER_LOOKUPS = {"customer__category", "customer__kind", "customer__id__exact"}
NOT_FILTERS = {"p", "all", "o", "_changelist_filters", "_popup", "_to_field"}
PARAMETER_LABELS = {
    "q": _("搜索"), "status": _("状态"), "status__exact": _("状态"), "kind__exact": _("类型"),
    "branch__id__exact": _("所属网点"), "branch_tree": _("网点（含下级）"), "officer__id__exact": _("客户经理"),
    "product__id__exact": _("产品"), "bucket": _("账龄"), "classification__exact": _("五级分类"), "due": _("近期到期"),
    "dpd_min": _("逾期天数（最少）"), "dpd_max": _("逾期天数（最多）"), "live": _("在贷"),
    "contract_date_from": _("借款日期自"), "contract_date_to": _("借款日期至"),
    "contract_date__gte": _("借款日期自"), "contract_date__lt": _("借款日期早于"),
    "disbursed_on__gte": _("放款日自"), "disbursed_on__lt": _("放款日早于"),
    "written_off_on__gte": _("核销日自"), "written_off_on__lt": _("核销日早于"),
    "customer__category": _("客户分类"), "customer__kind": _("客户类型"), "customer__id__exact": _("客户"),
}


@admin.register(Iou)
class IouAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["number_link", "debtor", "kind_short", "principal_display", "outstanding_display", "status_label",
                    "days_past_due", "bucket", "next_due", "officer", "branch"]
    list_display_links = None
    list_filter = [
        "status", "kind", ("branch", admin.RelatedOnlyFieldListFilter), ("officer", admin.RelatedOnlyFieldListFilter),
        "product", BucketFilter, "classification", DueThisWeekFilter, ("contract_date", RangeDateFilter),
        LiveFilter, BranchTreeFilter, DaysPastDueFilter,
    ]
    actions_list = ["export_excel"]
    list_filter_submit = True
    search_fields = ["number"]  # the real search: see get_search_results
    search_help_text = _("借据编号，或债务人姓名、拼音、手机号、客户编号")
    list_per_page = 50
    # no bulk delete, no bulk change (those are on the IOU page): the one bulk action reads, for 报告管理
    actions = ["generate_iou_report"]
    ordering = ["-id"]

    def get_queryset(self, request):
        next_due = Installment.objects.filter(
            schedule__iou=OuterRef("pk"), schedule__is_current=True, paid_off_on__isnull=True,
        ).order_by("due_date").values("due_date")[:1]
        return (super().get_queryset(request).select_related("customer", "branch", "officer", "product")
                .annotate(next_due_date=Subquery(next_due)))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        customers = search_customers(request.user, term).values("pk")
        number = term.upper()
        return queryset.filter(Q(number__startswith=number) | Q(customer_id__in=customers)), False

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in CUSTOMER_LOOKUPS:
            return True
        return super().lookup_allowed(lookup, value, request)

    @action(description=_("导出 Excel"), url_path="export", icon="download", permissions=["export"])
    def export_excel(self, request):
        """The list as it is filtered and searched (the query string, or the list page the user came from:
        Unfold draws the action's link without the list's query)."""
        from urllib.parse import urlsplit

        from django.http import QueryDict

        params = request.GET.copy()
        if not params:
            referer = urlsplit(request.META.get("HTTP_REFERER", ""))
            if referer.path == reverse("admin:ious_iou_changelist"):
                params = QueryDict(referer.query, mutable=True)
        for name in NOT_FILTERS:
            params.pop(name, None)
        list_request = copy.copy(request)
        list_request.GET = params
        conditions = [(str(PARAMETER_LABELS.get(key, key)), value) for key, value in params.items() if value]
        try:
            queryset = self.get_changelist_instance(list_request).get_queryset(list_request)
            content, name, _count = lists.iou_list_xlsx(queryset=queryset, user=request.user, conditions=conditions)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return HttpResponseRedirect(reverse("admin:ious_iou_changelist"))
        response = HttpResponse(content, content_type=lists.XLSX_TYPE)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response

    def has_export_permission(self, request, obj=None):
        return request.user.has_perm(lists.EXPORT_PERMISSION)

    def has_generate_report_permission(self, request, obj=None):
        return generation.may_generate(request.user)

    @action(description=_("生成借据报告"), permissions=["generate_report"])
    def generate_iou_report(self, request, queryset):
        """报告管理 with the selected IOUs chosen for a 借据对账单 (the user may pick 还款记录 or 借款情况说明
        there): drafts and other IOUs not yet in force are left out, and said so; more than an IOU report
        covers (iou_reports.MAX_IOUS) is refused."""
        try:
            numbers, skipped = iou_reports.iou_report_choice(queryset)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return None
        if skipped:
            messages.warning(request, _("已略过 %(n)d 笔尚未生效的借据（草稿、待审批、未放款或已作废）。") % {"n": skipped})
        query = urlencode({"code": "iou-statement", "numbers": "\n".join(numbers)})
        return HttpResponseRedirect(f"{reverse('backoffice:reports_generated')}?{query}")

    # --- no generic add / change / delete ------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(reverse("backoffice:iou_create"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        iou = self.get_object(request, object_id)
        if iou is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return redirect(reverse("backoffice:iou_detail", args=[iou.pk]))

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("借据"), **(extra_context or {})})

    def has_add_permission(self, request):
        return request.user.has_perm("ious.add_iou")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- columns -------------------------------------------------------------------------------

    @display(description=_("借据编号"), ordering="number")
    def number_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold whitespace-nowrap" href="{}">{}</a>',
                           reverse("backoffice:iou_detail", args=[obj.pk]), obj.number)

    @display(description=_("债务人"), ordering="customer__name")
    def debtor(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:customer_overview", args=[obj.customer_id]), obj.customer.name)

    @display(description=_("类型"), ordering="kind")
    def kind_short(self, obj):
        return _("欠条") if obj.kind == "debt" else _("借条")

    @display(description=_("本金"), ordering="principal")
    def principal_display(self, obj):
        return format_yuan(obj.principal)

    @display(description=_("未还合计"))
    def outstanding_display(self, obj):
        return format_yuan(obj.total_outstanding)

    @display(description=_("状态"), ordering="status", label=selectors.STATUS_COLOURS)
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("下期还款日"), ordering="next_due_date")
    def next_due(self, obj):
        if obj.status not in LIVE_STATUSES or not obj.next_due_date:
            return "—"
        return obj.next_due_date.isoformat()
