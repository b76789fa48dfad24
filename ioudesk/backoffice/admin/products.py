"""贷款产品 in the back office: list, create and edit through products.services.product_save (its
refusals shown in the form), the terms grouped as the product sheet reads; a product is taken off
sale (停售) rather than deleted, since IOUs keep pointing at it. Changing a product (its terms, 停售,
上架) goes through ``approvals.services.submit_or_run`` (kind ``product_change``): done at once when no
approval flow applies, else submitted and carried out by its last approval (docs/domain.md §23)."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.approvals.services import submit_or_run
from ioudesk.backoffice.approval_outcome import submitted_message
from ioudesk.backoffice.mixins import AuditedAdminMixin, ServiceAdminMixin
from ioudesk.calc.money import format_yuan
from ioudesk.core.errors import ApplicationError
from ioudesk.products.approval_kinds import changed_fields
from ioudesk.products.models import Product
from ioudesk.products.services import PRODUCT_CHANGE, product_save, product_validate


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
class ProductAdmin(ServiceAdminMixin, AuditedAdminMixin, ModelAdmin):
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
        if not change:
            product_save(product=obj)  # validates again and records the change in the audit trail
            return
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        outcome = self._change(request, obj, changed_fields(obj, fields))
        if outcome.request is not None:
            request._approval_submitted = outcome.request
            obj.refresh_from_db()  # nothing changed yet: the page shows the product as it is

    def _change(self, request, product: Product, fields: dict, reason: str = ""):
        return submit_or_run(
            kind=PRODUCT_CHANGE, target=Product.objects.get(pk=product.pk), user=request.user,
            payload={"fields": fields, "reason": str(reason)}, reason=str(reason), product=product,
            branch=getattr(request.user, "branch", None),  # a product is the organisation's: the maker's branch
            summary=_("产品变更 %(code)s %(name)s：%(fields)s") % {
                "code": product.code, "name": product.name,
                "fields": "、".join(str(Product._meta.get_field(n).verbose_name) for n in fields) or _("无")})

    def response_change(self, request, obj):
        submitted = getattr(request, "_approval_submitted", None)
        if submitted is not None:
            messages.success(request, submitted_message(submitted))
            return redirect(reverse("admin:products_product_change", args=[obj.pk]))
        return super().response_change(request, obj)

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
        """停售/上架 each product (a change: through its approval flow when one applies); the requests
        submitted are said here, and the number done at once is returned."""
        count = 0
        for product in products:
            if product.is_active != on_sale:
                try:
                    outcome = self._change(request, product, {"is_active": on_sale},
                                           reason=_("上架") if on_sale else _("停售"))
                except ApplicationError as error:
                    messages.error(request, f"{product.name}：{error.message}")
                    continue
                if outcome.request is not None:
                    messages.success(request, submitted_message(outcome.request))
                else:
                    count += 1
        return count

    @action(description=_("停售所选产品"), permissions=["change"])
    def take_off_sale(self, request, queryset):
        count = self._set_on_sale(request, queryset, False)
        if count:
            messages.success(request, _("已停售 %(count)d 个产品；已有借据不受影响。") % {"count": count})

    @action(description=_("恢复在售"), permissions=["change"])
    def put_on_sale(self, request, queryset):
        count = self._set_on_sale(request, queryset, True)
        if count:
            messages.success(request, _("已恢复在售 %(count)d 个产品。") % {"count": count})

    @action(description=_("停售"), url_path="off-sale", icon="block", permissions=["change"])
    def take_off_sale_detail(self, request, object_id):
        product = self.get_object(request, object_id)
        if product is not None and self._set_on_sale(request, [product], False):
            messages.success(request, _("产品“%(name)s”已停售；已有借据不受影响。") % {"name": product.name})
        return redirect(reverse("admin:products_product_change", args=[object_id]))
