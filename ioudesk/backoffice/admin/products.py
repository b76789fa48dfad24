"""贷款产品 in the back office: list, create and edit through products.services.product_save (its
refusals shown in the form), the terms grouped as the product sheet reads; a product is taken off
sale (停售) rather than deleted, since IOUs keep pointing at it."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.backoffice.mixins import AuditedAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.core.errors import ApplicationError
from ioudesk.products.models import Product
from ioudesk.products.services import product_save, product_validate


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "code", "name", "description", "is_active", "method", "frequency", "day_count", "rate_text",
            "last_installment", "min_amount", "max_amount", "min_term", "max_term", "penalty_basis", "penalty_markup",
            "penalty_daily_rate", "grace_days", "allocation_order", "allocation_direction", "upfront_fee_rate",
            "installment_fee", "prepayment_fee_rate", "interest_cap_applies",
        ]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            product_validate(product=self.instance)
        except ApplicationError as error:
            self.add_error(None, error.message)


@admin.register(Product)
class ProductAdmin(AuditedAdminMixin, ModelAdmin):
    form = ProductForm
    list_display = ["code", "name", "method", "rate_text", "annual_rate_display", "amount_range", "term_range",
                    "on_sale"]
    list_display_links = ["code", "name"]
    list_filter = ["is_active", "method", "interest_cap_applies"]
    search_fields = ["code", "name"]
    actions = ["take_off_sale", "put_on_sale"]
    actions_detail = ["take_off_sale_detail", "open_audit_trail"]
    readonly_fields = ["annual_rate_display"]
    fieldsets = [
        (_("基本"), {"fields": ["code", "name", "description", "is_active"]}),
        (_("还款方式与利率"), {"fields": ["method", "frequency", "day_count", "rate_text", "annual_rate_display",
                                      "last_installment"]}),
        (_("期限与金额"), {"fields": ["min_amount", "max_amount", "min_term", "max_term"]}),
        (_("罚息"), {"fields": ["penalty_basis", "penalty_markup", "penalty_daily_rate", "grace_days"]}),
        (_("还款冲抵"), {"fields": ["allocation_order", "allocation_direction"]}),
        (_("费用"), {"fields": ["upfront_fee_rate", "installment_fee", "prepayment_fee_rate"]}),
        (_("利率上限"), {"fields": ["interest_cap_applies"]}),
    ]

    def save_model(self, request, obj, form, change):
        product_save(product=obj)  # validates again and records the change in the audit trail

    def save_related(self, request, form, formsets, change):
        pass  # no relations; the service recorded the audit event

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("年利率"))
    def annual_rate_display(self, obj):
        if obj is None or obj.pk is None:
            return _("保存后按“利率”换算")
        return f"{obj.annual_rate * 100:.4f}".rstrip("0").rstrip(".") + "%"

    @display(description=_("金额范围"))
    def amount_range(self, obj):
        return f"{format_yuan(obj.min_amount)} – {format_yuan(obj.max_amount)}"

    @display(description=_("期数范围"))
    def term_range(self, obj):
        return f"{obj.min_term} – {obj.max_term}"

    @display(description=_("在售"), label={True: "success", False: "danger"})
    def on_sale(self, obj):
        return obj.is_active, _("在售") if obj.is_active else _("已停售")

    def _set_on_sale(self, request, products, on_sale: bool) -> int:
        count = 0
        for product in products:
            if product.is_active != on_sale:
                product.is_active = on_sale
                product_save(product=product, reason=_("上架") if on_sale else _("停售"))
                count += 1
        return count

    @action(description=_("停售所选产品"), permissions=["change"])
    def take_off_sale(self, request, queryset):
        count = self._set_on_sale(request, queryset, False)
        messages.success(request, _("已停售 %(count)d 个产品；已有借据不受影响。") % {"count": count})

    @action(description=_("恢复在售"), permissions=["change"])
    def put_on_sale(self, request, queryset):
        count = self._set_on_sale(request, queryset, True)
        messages.success(request, _("已恢复在售 %(count)d 个产品。") % {"count": count})

    @action(description=_("停售"), url_path="off-sale", icon="block", permissions=["change"])
    def take_off_sale_detail(self, request, object_id):
        product = self.get_object(request, object_id)
        if product is not None:
            self._set_on_sale(request, [product], False)
            messages.success(request, _("产品“%(name)s”已停售；已有借据不受影响。") % {"name": product.name})
        return redirect(reverse("admin:products_product_change", args=[object_id]))
