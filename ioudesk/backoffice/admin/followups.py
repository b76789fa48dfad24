"""潜在客户 and 跟进记录 in the back office. Every write goes through ioudesk.customers.followups;
the forms call the same checks first so that errors appear next to the field they are about."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter, RangeDateTimeFilter
from unfold.decorators import action, display

from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin
from ioudesk.core import clock, scope
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import ApplicationError
from ioudesk.core.masking import mask_phone
from ioudesk.core.models import Branch
from ioudesk.customers import followups, permissions, services
from ioudesk.customers.models import Customer, CustomerKind, FollowUp, Prospect, ProspectStatus

STATUS_COLOURS = {ProspectStatus.NEW: "info", ProspectStatus.FOLLOWING: "warning",
                  ProspectStatus.CONVERTED: "success", ProspectStatus.LOST: "danger"}


def error_message(error: ApplicationError):
    """The error's message, with links to the customers it names when the user may open them."""
    links = [d for d in error.extra.get("duplicates", []) if d.get("url")]
    if not links:
        return error.message
    return format_html("{} {}", error.message, format_html_join(
        " ", '<a class="underline" href="{}">{}</a>', ((d["url"], d["number"]) for d in links)))


def add_service_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a service error next to its field when the form has that field, else above the form."""
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, ValidationError(error_message(error)))


# ---------------------------------------------------------------- prospects


class ProspectForm(forms.ModelForm):
    """Like the customer form, the phone is never put back into the page: the stored number shows
    masked as a placeholder, and an empty field keeps it."""

    phone = forms.CharField(label=_("手机号"), required=False, max_length=30)

    class Meta:
        model = Prospect
        fields = ["kind", "name", "phone", "company_name", "source", "branch", "owner", "expected_amount", "notes"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        stored = self.instance.phone if self.instance.pk else ""
        self.initial["phone"] = ""
        if stored:
            self.fields["phone"].widget.attrs["placeholder"] = mask_phone(stored)
            self.fields["phone"].help_text = _("已登记：%(masked)s。留空表示不修改。") % {"masked": mask_phone(stored)}

    def _post_clean(self):
        kept = self.instance.phone
        super()._post_clean()  # copies the fields onto the instance
        if not self.cleaned_data.get("phone"):
            self.instance.phone = kept
        if not self.errors:
            try:
                followups.prospect_validate(prospect=self.instance, user=self.user)
            except ApplicationError as error:
                add_service_error(self, error)


class ConvertForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=30,
                                help_text=_("可稍后在客户档案中补充。"))
    credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=30,
                                  help_text=_("可稍后在客户档案中补充。"))
    legal_representative = forms.CharField(label=_("法定代表人"), required=False, max_length=50)
    address = forms.CharField(label=_("地址"), required=False, max_length=200)

    def __init__(self, *args, kind=CustomerKind.INDIVIDUAL, **kwargs):
        super().__init__(*args, **kwargs)
        drop = ["credit_code", "legal_representative"] if kind == CustomerKind.INDIVIDUAL else ["id_number"]
        for name in drop:
            del self.fields[name]


class MarkLostForm(forms.Form):
    reason = forms.CharField(label=_("放弃原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("请填写放弃的原因，例如：客户已在其他机构借款。")})


class FollowUpInline(TabularInline):
    """A prospect's follow-ups, read only: new ones are recorded through the follow-up form."""

    model = FollowUp
    fk_name = "prospect"
    fields = ["happened_at", "channel", "content", "next_action", "next_action_on", "next_action_done", "owner"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    tab = True
    verbose_name_plural = _("跟进记录")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Prospect)
class ProspectAdmin(ServiceAdminMixin, AuditedAdminMixin, ScopedAdminMixin, ModelAdmin):
    form = ProspectForm
    inlines = [FollowUpInline]
    list_display = ["name", "masked_phone", "company_name", "source", "status_label", "owner", "branch", "created_at"]
    list_filter = ["status", "kind", "source", "branch", "owner", ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["name", "company_name"]
    search_help_text = _("姓名、单位或完整手机号")
    list_per_page = 50
    readonly_fields = ["status", "converted_customer_link", "created_at"]
    autocomplete_fields = ["owner"]
    actions_detail = ["convert", "mark_lost", "add_follow_up", "open_audit_trail"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "phone", "company_name", "source", "expected_amount"]}),
        (_("归属"), {"fields": ["branch", "owner"]}),
        (_("状态与备注"), {"fields": ["status", "converted_customer_link", "notes", "created_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "owner", "source", "converted_customer")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class BoundProspectForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=user, **inner)

        return BoundProspectForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "branch":
            kwargs["queryset"] = scope.scope_queryset(request.user, Branch.objects.filter(is_active=True), "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"branch": request.user.branch_id, "owner": request.user.pk,
                **super().get_changeform_initial_data(request)}

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        digits = services.phone_normalised(search_term)
        if len(digits) >= 7:
            found = found | queryset.filter(phone_index=blind_index(digits, followups.PROSPECT_PHONE_PURPOSE))
        if request.GET.get("model_name") == "followup":  # the follow-up form's picker: only open prospects
            found = found.exclude(status__in=[ProspectStatus.CONVERTED, ProspectStatus.LOST])
        return found, duplicates

    def has_change_permission(self, request, obj=None):
        if isinstance(obj, Prospect) and obj.status == ProspectStatus.CONVERTED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Prospects are given up (标记放弃), not deleted: deleting would take their follow-ups along.
        return False

    def has_convert_permission(self, request, obj=None):
        return request.user.has_perm("customers.change_prospect") and request.user.has_perm("customers.add_customer")

    def save_model(self, request, obj, form, change):
        if change:
            followups.prospect_update(prospect=obj, user=request.user)
        else:
            followups.prospect_create(prospect=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        # prospect_create / prospect_update saved and recorded everything (a prospect has no
        # many-to-many fields). The follow-up inline is read only: nothing to save, but the admin's
        # change message reads what a formset saved.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @display(description=_("手机号"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @display(description=_("状态"), label={status.value: colour for status, colour in STATUS_COLOURS.items()})
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("转化后的客户"))
    def converted_customer_link(self, obj):
        customer = obj.converted_customer
        if customer is None:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("backoffice:customer_overview", args=[customer.pk]), customer)

    def _action_page(self, request, prospect, *, title, form, submit, intro):
        return TemplateResponse(request, "backoffice/followups/prospect_action.html", {
            **self.admin_site.each_context(request), "title": title, "form": form, "submit_label": submit,
            "intro": intro, "prospect": prospect, "opts": self.model._meta,
            "masked_phone": mask_phone(prospect.phone),
            "back": reverse("admin:customers_prospect_change", args=[prospect.pk]),
        })

    @action(description=_("转为客户"), url_path="convert", icon="how_to_reg", permissions=["convert"])
    def convert(self, request, object_id):
        prospect = self.get_object(request, object_id)
        if prospect is None:
            return redirect(reverse("admin:customers_prospect_changelist"))
        form = ConvertForm(request.POST or None, kind=prospect.kind)
        if request.method == "POST" and form.is_valid():
            try:
                customer = followups.prospect_convert(prospect=prospect, user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("已转为客户 %(number)s，跟进记录已一并转入。") % {"number": customer.number})
                return redirect(reverse("backoffice:customer_overview", args=[customer.pk]))
        return self._action_page(
            request, prospect, title=_("转为客户：%(name)s") % {"name": prospect.name}, form=form,
            submit=_("确认转为客户"),
            intro=_("将以下信息建档为正式客户（生成客户编号），此潜在客户的跟进记录转到客户名下。"),
        )

    @action(description=_("标记放弃"), url_path="mark-lost", icon="block", permissions=["change"])
    def mark_lost(self, request, object_id):
        prospect = self.get_object(request, object_id)
        if prospect is None:
            return redirect(reverse("admin:customers_prospect_changelist"))
        form = MarkLostForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                followups.prospect_mark_lost(prospect=prospect, user=request.user, reason=form.cleaned_data["reason"])
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("已将 %(name)s 标记为放弃。") % {"name": prospect.name})
                return redirect(reverse("admin:customers_prospect_change", args=[prospect.pk]))
        return self._action_page(
            request, prospect, title=_("标记放弃：%(name)s") % {"name": prospect.name}, form=form,
            submit=_("确认放弃"), intro=_("放弃后不再出现在跟进提醒中，也不能再转为客户。"),
        )

    @action(description=_("添加跟进"), url_path="add-follow-up", icon="add_comment")
    def add_follow_up(self, request, object_id):
        return redirect(f"{reverse('admin:customers_followup_add')}?{urlencode({'prospect': object_id})}")


# ---------------------------------------------------------------- follow-ups


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["customer", "prospect", "owner", "channel", "happened_at", "content", "material_sent",
                  "next_action", "next_action_on"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            followups.follow_up_check(
                user=self.user, **{name: cleaned.get(name) for name in
                                   ["customer", "prospect", "owner", "channel", "happened_at", "content",
                                    "next_action", "next_action_on"]})
        except ApplicationError as error:
            add_service_error(self, error)
        return cleaned

    def _post_clean(self):
        # The model's check constraint would be reported in English ("Constraint … is violated");
        # follow_up_check has already said it in words the user can act on.
        exclude = self._get_validation_exclusions()
        try:
            self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields, exclude)
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            self._update_errors(error)


class DoneFilter(admin.SimpleListFilter):
    title = _("下一步")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("open", _("待完成")), ("overdue", _("已逾期")), ("done", _("已完成")), ("none", _("未约定"))]

    def queryset(self, request, queryset):
        today = clock.today()
        match self.value():
            case "open":
                return queryset.filter(next_action_done=False).exclude(next_action="", next_action_on=None)
            case "overdue":
                return queryset.filter(next_action_done=False, next_action_on__lt=today)
            case "done":
                return queryset.filter(next_action_done=True)
            case "none":
                return queryset.filter(next_action="", next_action_on=None)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(ServiceAdminMixin, AuditedAdminMixin, ScopedAdminMixin, ModelAdmin):
    """Follow-ups are a record of what happened: entered once (through follow_up_record), then only
    their next action is marked done. A mistake is deleted (audited) and entered again."""

    form = FollowUpForm
    list_display = ["happened_at", "target", "channel", "excerpt", "next_action", "due_on", "done", "owner"]
    list_display_links = ["happened_at"]
    list_filter = ["channel", "owner", DoneFilter, "next_action_done", ("happened_at", RangeDateTimeFilter),
                   ("next_action_on", RangeDateFilter), "branch"]
    list_filter_submit = True
    search_fields = ["content", "next_action", "customer__name", "prospect__name"]
    list_per_page = 50
    autocomplete_fields = ["customer", "prospect", "owner"]
    actions = ["complete_selected"]
    fieldsets = [
        (_("跟进对象"), {"fields": ["customer", "prospect"],
                          "description": _("选择一位客户或一位潜在客户。")}),
        (None, {"fields": ["owner", "channel", "happened_at", "content", "material_sent"]}),
        (_("下一步"), {"fields": ["next_action", "next_action_on"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "prospect", "owner", "branch")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class BoundFollowUpForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=user, **inner)

        return BoundFollowUpForm

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            if permissions.records_follow_ups_for_debtors_only(request.user):  # 催收员: customers only
                return [(_("跟进对象"), {"fields": ["customer"]}), *self.fieldsets[1:]]
            return self.fieldsets
        return [*self.fieldsets, (_("记录"), {"fields": ["next_action_done", "branch", "created_at"]})]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "customer":
            kwargs["queryset"] = scope.scope_queryset(request.user, Customer.objects.all())
        elif db_field.name == "prospect":
            kwargs["queryset"] = scope.scope_queryset(
                request.user, Prospect.objects.exclude(status__in=[ProspectStatus.CONVERTED, ProspectStatus.LOST]))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)  # ?customer=<pk> / ?prospect=<pk>
        now = timezone.localtime(clock.now()).replace(second=0, microsecond=0)
        return {"owner": request.user.pk, "happened_at": now, **initial}

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_complete_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_followup")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = followups.follow_up_record(
            customer=data.get("customer"), prospect=data.get("prospect"), owner=data["owner"], user=request.user,
            channel=data["channel"], happened_at=data["happened_at"], content=data["content"],
            material_sent=data.get("material_sent", ""), next_action=data.get("next_action", ""),
            next_action_on=data.get("next_action_on"),
        )
        # The admin goes on with the instance it built (message, redirect): give it the saved record.
        for field in FollowUp._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_related(self, request, form, formsets, change):
        pass  # follow_up_record has recorded the follow-up in the audit trail

    def delete_model(self, request, obj):
        followups.follow_up_delete(follow_up=obj, user=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" not in request.POST and "_addanother" not in request.POST:
            self.message_user(request, _("跟进已记录。"), messages.SUCCESS)
            if obj.customer_id:
                return redirect(reverse("backoffice:customer_overview", args=[obj.customer_id]))
            return redirect(reverse("admin:customers_prospect_change", args=[obj.prospect_id]))
        return super().response_add(request, obj, post_url_continue)

    @display(description=_("跟进对象"))
    def target(self, obj):
        if obj.customer_id:
            return format_html('<a class="text-primary-600" href="{}">{}</a>',
                               reverse("backoffice:customer_overview", args=[obj.customer_id]), obj.customer.name)
        return format_html('<a class="text-primary-600" href="{}">{}</a> <span class="text-xs">{}</span>',
                           reverse("admin:customers_prospect_change", args=[obj.prospect_id]), obj.prospect.name,
                           _("潜在客户"))

    @display(description=_("内容"))
    def excerpt(self, obj):
        return Truncator(obj.content).chars(40)

    @display(description=_("下次跟进"), ordering="next_action_on")
    def due_on(self, obj):
        if obj.next_action_on is None:
            return "—"
        if not obj.next_action_done and obj.next_action_on < clock.today():
            return format_html('<span class="text-red-600 font-semibold">{}</span>', obj.next_action_on.isoformat())
        return obj.next_action_on.isoformat()

    @display(description=_("已完成"), boolean=True)
    def done(self, obj):
        return obj.next_action_done

    @action(description=_("标记完成"), permissions=["complete"], icon="task_alt")
    def complete_selected(self, request, queryset):
        done, refused = 0, []
        for follow_up in queryset:
            try:
                followups.follow_up_complete(follow_up=follow_up, user=request.user)
                done += 1
            except ApplicationError as error:
                refused.append(f"{follow_up}：{error.message}")
        if done:
            messages.success(request, _("已将 %(count)d 条跟进的下一步标记为完成。") % {"count": done})
        for line in refused:
            messages.warning(request, line)


__all__ = ["FollowUpAdmin", "ProspectAdmin"]
