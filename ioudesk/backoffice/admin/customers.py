"""客户 in the back office: list, filters, bulk tags, the form (through the services), 360 page link."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display

from ioudesk.backoffice.customer_excel import export_changelist
from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin
from ioudesk.core import scope
from ioudesk.core.errors import ApplicationError
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.core.paginator import CappedPaginator
from ioudesk.customers import catalogue, contacts, services
from ioudesk.customers.models import Contact, Customer, SourceChannel, Tag
from ioudesk.customers.search import search_customers

SENSITIVE_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_bank_account}


class CustomerForm(forms.ModelForm):
    """Personal data is never put back into the form: the fields show the masked value as a
    placeholder, and an empty field keeps what is stored."""

    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=30)
    phone = forms.CharField(label=_("手机号"), required=False, max_length=30)
    bank_account = forms.CharField(label=_("银行账号"), required=False, max_length=40)

    class Meta:
        model = Customer
        fields = [
            "kind", "name", "branch", "owner", "category", "risk_grade", "source", "tags",
            "id_number", "phone", "address", "employer", "monthly_income", "marital_status",
            "credit_code", "legal_representative", "registered_capital", "industry",
            "bank_name", "bank_account", "notes", "acquired_on",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "acquired_on" in self.fields:  # a read-only form (view permission only) has no fields
            self.fields["acquired_on"].required = False
        for name, mask in SENSITIVE_MASKS.items():
            stored = getattr(self.instance, name, "") if self.instance.pk else ""
            self.initial[name] = ""
            if stored and name in self.fields:
                self.fields[name].widget.attrs["placeholder"] = mask(stored)
                self.fields[name].help_text = _("已登记：%(masked)s。留空表示不修改。") % {"masked": mask(stored)}

    def _post_clean(self):
        # The model form copies the typed fields onto the instance here; blank sensitive fields
        # mean "keep what is stored". Then the service checks the whole record.
        kept = {name: getattr(self.instance, name) for name in SENSITIVE_MASKS}
        super()._post_clean()
        for name, value in kept.items():
            typed = self.cleaned_data.get(name)
            setattr(self.instance, name, typed if typed else value)
        if self.errors:
            return
        try:
            services.customer_validate(customer=self.instance, user=self.user)
        except services.DuplicateCustomer as error:
            links = [d for d in error.extra.get("duplicates", []) if d["url"]]
            self.add_error(None, format_html("{} {}", error.message, format_html_join(
                " ", '<a class="underline" href="{}">{}</a>', ((d["url"], d["number"]) for d in links))))
        except ApplicationError as error:
            self.add_error(None, error.message)


class ContactInline(TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "relation", "phone", "is_emergency", "notes"]
    tab = True


class TagForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("标签"), queryset=Tag.objects.all(),
                                          widget=forms.CheckboxSelectMultiple)
    remove = forms.BooleanField(label=_("移除这些标签（不勾选则添加）"), required=False)


@admin.register(Customer)
class CustomerAdmin(ServiceAdminMixin, AuditedAdminMixin, ScopedAdminMixin, ModelAdmin):
    form = CustomerForm
    inlines = [ContactInline]
    list_display = ["number", "name", "kind", "masked_phone", "masked_id", "category_label", "risk_grade",
                    "tag_labels", "branch", "owner", "acquired_on"]
    list_display_links = ["number", "name"]
    list_filter = ["kind", "category", "risk_grade", "source", "tags", "branch", "owner",
                   ("acquired_on", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["name"]  # the real search is search_customers (see get_search_results)
    search_help_text = _("姓名、拼音或首字母、手机号、身份证后4位、客户编号、统一社会信用代码")
    list_per_page = 50
    paginator = CappedPaginator  # broad searches at a million customers stay fast (docs/benchmarks.md)
    show_full_result_count = False
    actions = ["tag_selected"]
    actions_list = [{"title": _("导出 Excel"), "icon": "download", "items": ["export_excel", "export_excel_full"]}]
    actions_detail = ["open_overview", "reveal_sensitive", "open_audit_trail"]
    autocomplete_fields = ["owner", "tags"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "branch", "owner", "acquired_on"]}),
        (_("分类"), {"fields": ["category", "risk_grade", "source", "tags"]}),
        (_("个人信息（个人客户填写）"), {"fields": ["id_number", "phone", "address", "employer", "monthly_income", "marital_status"]}),
        (_("企业信息（企业客户填写）"), {"fields": ["credit_code", "legal_representative", "registered_capital", "industry"]}),
        (_("银行账户与备注"), {"fields": ["bank_name", "bank_account", "notes"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "owner", "source").prefetch_related("tags")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class BoundCustomerForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=user, **inner)

        return BoundCustomerForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "branch":
            from ioudesk.core.models import Branch

            kwargs["queryset"] = scope.scope_queryset(request.user, Branch.objects.filter(is_active=True), "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        from ioudesk.core import clock

        return {"branch": request.user.branch_id, "owner": request.user.pk, "acquired_on": clock.today(),
                **super().get_changeform_initial_data(request)}

    def get_changelist(self, request, **kwargs):
        from ioudesk.backoffice.customer_search import TokenChangeList

        return TokenChangeList  # the search term travels as ?qt=<token>, never in the URL

    def get_search_results(self, request, queryset, search_term):
        return search_customers(request.user, search_term, queryset), False

    def save_model(self, request, obj, form, change):
        # The tags are saved by the service too, and audited with the customer's other fields.
        tags = form.cleaned_data.get("tags")
        if change:
            services.customer_update(customer=obj, user=request.user, tags=tags)
        else:
            services.customer_create(customer=obj, user=request.user, tags=tags or ())

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the contacts
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Contacts are saved row by row through contact_save / contact_delete (validated, scoped
        to the customer's branch, audited). A refusal names the contact and is shown above the form;
        nothing of the customer is saved (ServiceAdminMixin)."""
        if formset.model is not Contact:  # an inline added later needs its service first
            raise NotImplementedError(f"no service saves {formset.model.__name__} rows")
        # What the admin's change message reads (formset.save() would have set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            for row in formset.deleted_forms:
                if row.instance.pk is not None:
                    contacts.contact_delete(contact=row.instance, user=request.user)
                    formset.deleted_objects.append(row.instance)
            for row in formset.forms:
                if row in formset.deleted_forms or not row.has_changed():
                    continue
                data, is_new = row.cleaned_data, row.instance.pk is None
                saved = contacts.contact_save(
                    customer=form.instance, contact=row.instance, name=data.get("name", ""),
                    relation=data.get("relation", ""), phone=data.get("phone", ""),
                    is_emergency=data.get("is_emergency", False), notes=data.get("notes", ""), user=request.user)
                if is_new:
                    formset.new_objects.append(saved)
                else:
                    formset.changed_objects.append((saved, row.changed_data))
        except ApplicationError as error:
            # Not next to the customer's own 手机号: above the form, naming the contact.
            raise type(error)(error.message, code=error.code, extra={**error.extra, "field": "contacts"}) from error

    def has_delete_permission(self, request, obj=None):
        # A customer with IOUs, files … cannot be deleted: the page does not offer it (delete_view says why).
        if obj is not None and services.customer_delete_blockers(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.customer_delete(customer=obj)

    def delete_view(self, request, object_id, extra_context=None):
        customer = self.get_object(request, object_id)
        if customer is not None:
            blockers = services.customer_delete_blockers(customer)
            if blockers:
                messages.error(request, _("客户 %(number)s 不能删除：%(why)s。") % {
                    "number": customer.number, "why": "；".join(blockers)})
                return redirect(reverse("admin:customers_customer_change", args=[customer.pk]))
        return super().delete_view(request, object_id, extra_context)

    @display(description=_("手机号"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @display(description=_("证件号"))
    def masked_id(self, obj):
        return mask_id_number(obj.id_number) if obj.id_number else obj.credit_code

    @display(description=_("分类"), label={"普通客户": "info", "重要客户": "success", "黑名单": "danger",
                                         "Regular": "info", "Important": "success", "Blacklist": "danger"})
    def category_label(self, obj):
        return obj.get_category_display()

    @display(description=_("标签"))
    def tag_labels(self, obj):
        return format_html_join(" ", '<span class="ioudesk-tag ioudesk-tag-{}">{}</span>',
                                ((t.colour, t.name) for t in obj.tags.all()))

    @action(description=_("导出 Excel"), url_path="export", icon="download", permissions=["export"])
    def export_excel(self, request):
        return export_changelist(self, request)

    @action(description=_("导出 Excel（含完整证件号、手机号）"), url_path="export-full", icon="download",
            permissions=["export", "view_sensitive"])
    def export_excel_full(self, request):
        return export_changelist(self, request, full=True)

    def has_export_permission(self, request, obj=None):
        return request.user.has_perm("customers.export_customer")

    @action(description=_("添加/移除标签"), permissions=["change"])
    def tag_selected(self, request, queryset):
        if "apply" in request.POST:
            form = TagForm(request.POST)
            if form.is_valid():
                count = services.customers_tag(customers=queryset, tags=list(form.cleaned_data["tags"]),
                                               remove=form.cleaned_data["remove"])
                messages.success(request, _("已更新 %(count)d 位客户的标签。") % {"count": count})
                return None
        else:
            form = TagForm()
        return render(request, "backoffice/customers/tag_selected.html", {
            **self.admin_site.each_context(request), "title": _("添加/移除标签"), "form": form,
            "queryset": queryset, "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @action(description=_("客户全景"), url_path="overview", icon="person_search")
    def open_overview(self, request, object_id):
        return redirect(reverse("backoffice:customer_overview", args=[object_id]))

    def has_view_sensitive_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_sensitive_customer")

    @action(description=_("查看完整信息"), url_path="reveal", icon="visibility",
            permissions=["view_sensitive"])
    def reveal_sensitive(self, request, object_id):
        customer = self.get_object(request, object_id)
        if customer is None:
            return redirect(reverse("admin:customers_customer_changelist"))
        shown = []
        for field in ("id_number", "phone", "bank_account"):
            if getattr(customer, field):
                value = services.customer_reveal(customer=customer, field=field, user=request.user)
                shown.append(f"{Customer._meta.get_field(field).verbose_name}：{value}")
        messages.info(request, "；".join(shown) if shown else _("没有登记敏感信息。"))
        return redirect(reverse("admin:customers_customer_change", args=[customer.pk]))


@admin.register(Tag)
class TagAdmin(ServiceAdminMixin, AuditedAdminMixin, ModelAdmin):
    """Saved and deleted through ioudesk.customers.catalogue: a tag in use is not deleted."""

    list_display = ["name", "colour", "customer_count"]
    search_fields = ["name"]

    @display(description=_("客户数"))
    def customer_count(self, obj):
        return obj.customers.count()

    def save_model(self, request, obj, form, change):
        catalogue.tag_save(tag=obj, name=obj.name, colour=obj.colour)  # obj carries the form's values

    def save_related(self, request, form, formsets, change):
        pass  # no relations: tag_save wrote the tag and its audit event

    def delete_model(self, request, obj):
        catalogue.tag_delete(tag=obj)


@admin.register(SourceChannel)
class SourceChannelAdmin(ServiceAdminMixin, AuditedAdminMixin, ModelAdmin):
    """Saved and deleted through ioudesk.customers.catalogue: a channel in use is switched off, not
    deleted."""

    list_display = ["name", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]

    def save_model(self, request, obj, form, change):
        # obj carries the form's values (the change form's, or one row of the list's 启用/排序)
        catalogue.source_channel_save(channel=obj, name=obj.name, is_active=obj.is_active, sort_order=obj.sort_order)

    def save_related(self, request, form, formsets, change):
        pass  # no relations: source_channel_save wrote the channel and its audit event

    def delete_model(self, request, obj):
        catalogue.source_channel_delete(channel=obj)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ApplicationError as error:  # a refused list edit: the rows are saved in one transaction, so none is
            messages.error(request, error.message)
            return redirect(request.get_full_path())


__all__ = ["CustomerAdmin", "path"]
