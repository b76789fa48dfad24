"""审批 in the back office (Unfold): flows (审批流设置), approver groups (审批组), delegations (审批委派)
and the requests (审批单, read only, scoped by branch). docs/domain.md §23.

A flow's steps belong to a published version and are never edited in place: the flow's page
(``backoffice:approval_flow_edit``) edits the current version's steps and submits them as a request of
the kind ``approval_flow_change`` (through ``submit_or_run``: published at once when no flow applies
to flow changes, else after approval), and lists the earlier versions read only. A new flow is created
switched off and without steps (``flow_create``). Groups and delegations save through the approvals
services; a request is decided on its own page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget

from ioudesk.approvals import selectors
from ioudesk.approvals.models import ApprovalFlow, ApprovalRequest, ApproverGroup, Delegation, RequestStatus
from ioudesk.approvals.registry import kind_choices, kind_for
from ioudesk.backoffice.mixins import ServiceAdminMixin, readonly_admin
from ioudesk.calc.money import format_yuan

STATUS_COLOURS = {RequestStatus.PENDING: "info", RequestStatus.RETURNED: "warning", RequestStatus.APPROVED: "success",
                  RequestStatus.REJECTED: "danger", RequestStatus.CANCELLED: "warning"}


def _services():
    from ioudesk.approvals import services

    return services


def _flows():
    from ioudesk.approvals import flows

    return flows


def _kind_label(code) -> str:
    found = kind_for(code)
    return str(found.label) if found else code


class KindFilter(admin.SimpleListFilter):
    """审批事项 by its name (the codes are for the API)."""

    title = _("审批事项")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(code, str(label)) for code, label in kind_choices()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class FlowCreateForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("审批事项"), widget=UnfoldAdminSelectWidget)

    class Meta:
        model = ApprovalFlow
        fields = ["name", "kind", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(c, str(label)) for c, label in kind_choices()]


@admin.register(ApprovalFlow)
class ApprovalFlowAdmin(ServiceAdminMixin, ModelAdmin):
    list_display = ["name", "kind_label", "priority", "is_active", "conditions", "version_label", "steps_label"]
    list_display_links = ["name"]
    list_filter = ["is_active", KindFilter]
    search_fields = ["name"]
    ordering = ["kind", "priority", "pk"]
    form = FlowCreateForm

    def has_delete_permission(self, request, obj=None):
        return False  # a flow is switched off (启用): requests keep their version

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(reverse("backoffice:approval_flow_edit", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        off = _flows().flows_off_for_one_administrator()
        if off and request.method == "GET":
            messages.warning(request, _(
                "%(flows)s 由系统管理员审批，目前只有一位系统管理员，所以这些审批流未启用（不能自己审批自己）。"
                "增加第二位系统管理员后，请在这里启用它们。") % {"flows": "、".join(f.name for f in off)})
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        flow = _services().flow_create(name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                                       priority=form.cleaned_data.get("priority") or 100, user=request.user)
        obj.pk = flow.pk

    def save_related(self, request, form, formsets, change):
        pass  # flow_create saved everything

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("backoffice:approval_flow_edit", args=[obj.pk]))

    @display(description=_("审批事项"))
    def kind_label(self, obj):
        return _kind_label(obj.kind)

    @display(description=_("适用条件"))
    def conditions(self, obj):
        parts = []
        if obj.min_amount is not None:
            parts.append(_("%(amount)s 起") % {"amount": format_yuan(obj.min_amount)})
        if obj.max_amount is not None:
            parts.append(_("至 %(amount)s") % {"amount": format_yuan(obj.max_amount)})
        products = ", ".join(str(p) for p in obj.products.all())
        if products:
            parts.append(products)
        branches = ", ".join(str(b) for b in obj.branches.all())
        if branches:
            parts.append(branches)
        return "，".join(str(p) for p in parts) or _("全部")

    @display(description=_("当前版本"))
    def version_label(self, obj):
        return f"v{obj.current_version.number}" if obj.current_version_id else _("未发布")

    @display(description=_("步骤"))
    def steps_label(self, obj):
        if not obj.current_version_id:
            return "—"
        return " → ".join(s.name for s in obj.current_version.steps.order_by("order")) or "—"


class ApproverGroupForm(forms.ModelForm):
    class Meta:
        model = ApproverGroup
        fields = ["name", "members", "is_active"]


@admin.register(ApproverGroup)
class ApproverGroupAdmin(ServiceAdminMixin, ModelAdmin):
    form = ApproverGroupForm
    list_display = ["name", "members_label", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def has_delete_permission(self, request, obj=None):
        return False  # a group is switched off (启用): flow versions name it

    def save_model(self, request, obj, form, change):
        stored = ApproverGroup.objects.get(pk=obj.pk) if change else None
        saved = _services().approver_group_save(group=stored, name=form.cleaned_data["name"],
                                                members=form.cleaned_data["members"],
                                                is_active=form.cleaned_data["is_active"], user=request.user)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # approver_group_save set the members

    @display(description=_("成员"))
    def members_label(self, obj):
        return "、".join(str(u) for u in obj.members.order_by("username")) or "—"


class DelegationForm(forms.ModelForm):
    class Meta:
        model = Delegation
        fields = ["from_user", "to_user", "starts_on", "ends_on", "reason", "is_active"]


@admin.register(Delegation)
class DelegationAdmin(ServiceAdminMixin, ModelAdmin):
    form = DelegationForm
    list_display = ["from_user", "to_user", "starts_on", "ends_on", "reason", "is_active"]
    list_filter = ["is_active"]
    ordering = ["-starts_on", "-pk"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("from_user", "to_user")
        if request.user.has_perm("approvals.change_delegation"):
            return queryset
        return queryset.filter(from_user=request.user)

    def get_changeform_initial_data(self, request):
        return {"from_user": request.user.pk, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False  # a delegation is ended (有效 off), its tasks name it

    def save_model(self, request, obj, form, change):
        stored = Delegation.objects.get(pk=obj.pk) if change else None
        data = form.cleaned_data
        saved = _services().delegation_save(delegation=stored, from_user=data["from_user"], to_user=data["to_user"],
                                            starts_on=data["starts_on"], ends_on=data["ends_on"],
                                            reason=data.get("reason") or "", is_active=data["is_active"],
                                            user=request.user)
        obj.pk = saved.pk


@admin.register(ApprovalRequest)
@readonly_admin
class ApprovalRequestAdmin(ModelAdmin):
    list_display = ["number_link", "kind_label", "summary", "amount_label", "status_label", "maker", "created_at",
                    "decided_at"]
    list_filter = ["status", KindFilter, "created_at"]
    search_fields = ["number", "summary"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request):
        return selectors.requests_visible(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(reverse("backoffice:approval_request", args=[object_id]))

    @display(description=_("审批单号"), ordering="number")
    def number_link(self, obj):
        return format_html('<a class="text-primary-600 font-semibold" href="{}">{}</a>',
                           reverse("backoffice:approval_request", args=[obj.pk]), obj.number)

    @display(description=_("审批事项"), ordering="kind")
    def kind_label(self, obj):
        return _kind_label(obj.kind)

    @display(description=_("金额"), ordering="amount")
    def amount_label(self, obj):
        return format_yuan(obj.amount) if obj.amount is not None else "—"

    @display(description=_("状态"), ordering="status")
    def status_label(self, obj):
        return format_html('<span class="ioudesk-tag ioudesk-tag-{}">{}</span>', STATUS_COLOURS.get(obj.status, "info"),
                           obj.get_status_display())
