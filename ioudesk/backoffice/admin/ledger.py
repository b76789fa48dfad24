"""The ledger in the back office, read-only: the chart of accounts (only the name and 启用 can be
changed, through ioudesk.ledger.services.account_update) and journal entries with their postings.
Entries are never added, changed or deleted here: money is posted by the services of the IOU app,
and a correction is a reversing entry."""

from django.contrib import admin
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from ioudesk.backoffice.mixins import ServiceAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.ledger.models import Account, JournalEntry, Posting
from ioudesk.ledger.services import account_update


@admin.register(Account)
class AccountAdmin(ServiceAdminMixin, ModelAdmin):
    list_display = ["code", "name", "type", "normal_side", "parent", "is_active", "ledger_link"]
    list_filter = ["type", "is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "type", "normal_side", "parent", "is_active", "created_at"]
    readonly_fields = ["code", "type", "normal_side", "parent", "created_at"]
    list_per_page = 100

    @display(description=_("明细账"))
    def ledger_link(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:ledger_account", args=[obj.pk]), _("查看"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A refusal is shown on the form and nothing is saved (ServiceAdminMixin).
        account_update(account=obj, name=form.cleaned_data["name"], is_active=form.cleaned_data["is_active"],
                       user=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # no relations to save: the service wrote the account


class PostingInline(TabularInline):
    model = Posting
    fields = ["account", "debit", "credit", "component", "iou_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ModelAdmin):
    list_display = ["number", "day", "kind", "amount", "iou_id", "memo", "reverses", "created_by", "created_at"]
    list_filter = ["kind", "day"]
    search_fields = ["number", "memo", "idempotency_key", "=iou_id"]
    date_hierarchy = "day"
    fields = ["number", "day", "kind", "amount", "memo", "iou_id", "reverses", "reversal", "idempotency_key",
              "created_by", "created_at"]
    readonly_fields = fields
    inlines = [PostingInline]
    list_select_related = ["reverses", "created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total_debit=Sum("postings__debit"))

    @display(description=_("金额"), ordering="total_debit")
    def amount(self, obj):
        total = getattr(obj, "total_debit", None)
        if total is None:
            total = obj.postings.aggregate(total=Sum("debit"))["total"]
        return format_yuan(total) if total is not None else "—"

    @display(description=_("冲正凭证"))
    def reversal(self, obj):
        reversal = JournalEntry.objects.filter(reverses=obj).first()
        if reversal is None:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("admin:ledger_journalentry_change", args=[reversal.pk]), reversal.number)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
