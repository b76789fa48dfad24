"""借据 in the back office: the list (scoped, filtered, searched by number or debtor). Nothing is
added or changed through the generic form: "新建借据" opens the create pages and a row opens the
IOU page (ioudesk/backoffice/iou_pages.py), whose actions go through the services."""

from django.contrib import admin
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.customers.search import search_customers
from ioudesk.ious import selectors
from ioudesk.ious.models import LIVE_STATUSES, Installment, Iou

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


@admin.register(Iou)
class IouAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["number_link", "debtor", "kind_short", "principal_display", "outstanding_display", "status_label",
                    "days_past_due", "bucket", "next_due", "officer", "branch"]
    list_display_links = None
    list_filter = [
        "status", "kind", ("branch", admin.RelatedOnlyFieldListFilter), ("officer", admin.RelatedOnlyFieldListFilter),
        "product", BucketFilter, "classification", DueThisWeekFilter, ("contract_date", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["number"]  # the real search: see get_search_results
    search_help_text = _("借据编号，或债务人姓名、拼音、手机号、客户编号")
    list_per_page = 50
    actions = None  # no bulk delete, no bulk anything: actions are on the IOU page
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
