"""对账单 (AccountStatement) in the admin: read only, scoped to the user's branches. A statement is
issued, printed and answered on its own page (backoffice:receivables_statement), where the admin's
detail view leads; nothing is added, changed or deleted here."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from ioudesk.backoffice.mixins import ScopedAdminMixin, readonly_admin
from ioudesk.calc.money import format_yuan
from ioudesk.receivables.models import AccountStatement


@admin.register(AccountStatement)
@readonly_admin
class AccountStatementAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["number_link", "customer", "direction", "period_from", "period_to", "opening_label",
                    "closing_label", "status", "issued_by", "issued_at"]
    list_display_links = None
    list_filter = ["status", "direction", ("branch", admin.RelatedOnlyFieldListFilter)]
    list_filter_submit = True
    search_fields = ["number", "customer__name", "customer__number"]
    list_select_related = ["customer", "issued_by"]
    ordering = ["-issued_at", "-pk"]
    fields = ["number", "customer", "direction", "period_from", "period_to", "opening", "billed", "credited",
              "received", "closing", "status", "reply_on", "reply_note", "issued_by", "issued_at"]

    @admin.display(description=_("对账单号"), ordering="number")
    def number_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:receivables_statement", args=[obj.pk]), obj.number)

    @admin.display(description=_("期初余额"), ordering="opening")
    def opening_label(self, obj):
        return format_yuan(obj.opening)

    @admin.display(description=_("期末余额"), ordering="closing")
    def closing_label(self, obj):
        return format_yuan(obj.closing)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("receivables.view_accountstatement")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if str(object_id).isdigit():
            return redirect("backoffice:receivables_statement", pk=object_id)
        return super().change_view(request, object_id, form_url, extra_context)
