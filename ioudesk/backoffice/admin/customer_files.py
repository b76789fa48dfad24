"""客户资料 list: read-only, scoped to the user's branches; files are added from the customer's page
and deleted only through ioudesk.customers.files (which audits and removes the stored file)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin
from ioudesk.customers import files
from ioudesk.customers.models import CustomerFile


@admin.register(CustomerFile)
class CustomerFileAdmin(ScopedAdminMixin, ModelAdmin):
    list_display = ["kind", "original_name", "customer_link", "size_display", "uploaded_by", "uploaded_at",
                    "download_link"]
    list_display_links = None
    list_filter = ["kind", "customer__branch", ("uploaded_at", admin.DateFieldListFilter)]
    search_fields = ["original_name", "customer__name", "customer__number", "sha256"]
    list_select_related = ["customer", "uploaded_by"]
    list_per_page = 50
    # `file` is left out on purpose: the private storage has no URL; the download link is the way.
    fields = ["customer", "kind", "original_name", "content_type", "size_display", "sha256", "note",
              "uploaded_by", "uploaded_at", "download_link"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        files.customer_file_delete(customer_file=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("customer"):
            files.customer_file_delete(customer_file=obj, user=request.user)

    @display(description=_("客户"), ordering="customer__name")
    def customer_link(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:customer_overview", args=[obj.customer_id]), obj.customer)

    @display(description=_("大小"), ordering="size")
    def size_display(self, obj):
        return files.size_text(obj.size)

    @display(description=_("下载"))
    def download_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:customer_file_download", args=[obj.pk]), _("下载"))
