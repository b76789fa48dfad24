"""Back office for the organisation, branches, staff, roles and the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from ioudesk.approvals.services import submit_or_run
from ioudesk.backoffice.approval_outcome import submitted_message
from ioudesk.backoffice.mixins import AuditedAdminMixin, ScopedAdminMixin, ServiceAdminMixin, readonly_admin
from ioudesk.core import audit, services, staff
from ioudesk.core.models import AuditEvent, Branch, Organisation, User
from ioudesk.core.permissions import label_permission_field

admin.site.unregister(Group)


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdminMixin, AuditedAdminMixin, ModelAdmin):
    """The settings are saved through services.organisation_update (checked, audited); a refusal is
    shown on the form next to its field and nothing is saved. There is one organisation, created at
    setup (organisation_ensure): it is neither added nor deleted here."""

    list_display = ["name", "short_name", "interest_cap_applies", "business_date"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "logo_text", "currency_display"]}),
        (_("业务规则"), {"fields": ["interest_cap_applies", "business_date"]}),
    ]
    # The business date is changed only on its own page, through services.business_date_set (its
    # guards and audit event), never by this form.
    readonly_fields = ["business_date"]

    def has_add_permission(self, request):
        return False  # made by organisation_ensure at setup

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.organisation_update(
            organisation=obj, actor=request.user,
            **{name: data[name] for name in [*services.ORGANISATION_TEXT_FIELDS, "interest_cap_applies"] if name in data})

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the change is audited by organisation_update


@admin.register(Branch)
class BranchAdmin(AuditedAdminMixin, ScopedAdminMixin, ModelAdmin):
    scope_branch_field = "pk"
    list_display = ["indented_name", "code", "parent", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    fields = ["organisation", "parent", "code", "name", "is_active"]
    autocomplete_fields = ["parent"]

    @display(description=_("网点名称"), ordering="path")
    def indented_name(self, obj):
        return format_html("{}{}", "　" * obj.depth, obj.name)

    def save_model(self, request, obj, form, change):
        request._audit_before = audit.snapshot(Branch.objects.get(pk=obj.pk)) if change else None
        services.branch_save(branch=obj)


class StaffCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "branch"]


class PasswordStateWidget(forms.Widget):
    """The password on the staff page: whether one is set, never its hash (Django shows the hash's
    algorithm, salt and first characters), and the link to the form that sets a new one."""

    read_only = True  # the admin renders it for read-only users too (AdminReadonlyField)

    def __init__(self, change_url: str | None = None, attrs=None):
        super().__init__(attrs)
        self.change_url = change_url

    def render(self, name, value, attrs=None, renderer=None):
        usable = bool(value) and not str(value).startswith(UNUSABLE_PASSWORD_PREFIX)
        state = _("已设置密码（不显示）") if usable else _("未设置密码：不能用密码登录")
        link = format_html(' · <a href="{}" class="text-primary-600 dark:text-primary-500 underline">{}</a>',
                           self.change_url, _("修改密码") if usable else _("设置密码")) if self.change_url else ""
        return format_html(
            '<div class="readonly bg-base-50 border border-base-200 font-medium max-w-2xl px-3 py-2 rounded-default '
            'shadow-xs dark:bg-white/[.02] dark:border-base-700">{}{}</div>', state, link)

    def id_for_label(self, id_):
        return None


class StaffChangeForm(UserChangeForm):
    # Whether the page links to 修改密码: not for someone who may only look (审计).
    password_link = True

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get("password")
        if password is not None:
            url = (reverse("admin:auth_user_password_change", args=[self.instance.pk])
                   if self.password_link and self.instance.pk else None)
            password.widget = PasswordStateWidget(change_url=url)
            password.help_text = ""


class StaffPasswordForm(AdminPasswordChangeForm):
    """The administrator's 修改密码 page: the password is set by staff_set_password (validated,
    audited without the password)."""

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password", True) else None
        return staff.staff_set_password(staff=self.user, password=password)


def _take_saved(obj, saved) -> None:
    """The admin goes on with the instance it built (log entry, redirect): give it the saved record."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


# The staff form's fields that staff_update takes by the same name.
STAFF_FIELDS = ["username", "first_name", "last_name", "email", "phone", "branch", "is_active", "is_staff",
                "is_superuser"]


@admin.register(User)
class StaffAdmin(ServiceAdminMixin, AuditedAdminMixin, ScopedAdminMixin, BaseUserAdmin, ModelAdmin):
    """Staff are written only through ioudesk.core.staff (its guards: not yourself, not the last
    系统管理员, unique user names …); a refusal is shown on the form and nothing is saved. Staff are
    deactivated, never deleted: IOUs, approvals and the audit trail point at them."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    change_password_form = StaffPasswordForm
    list_display = ["username", "full_name", "branch", "role_names", "is_active", "last_login"]
    list_filter = ["branch", "groups", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]
    ordering = ["username"]
    actions = ["deactivate_selected", "activate_selected"]
    actions_detail = ["open_audit_trail", "unlock_account"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("个人信息"), {"fields": ["last_name", "first_name", "email", "phone"]}),
        (_("网点与角色"), {"fields": ["branch", "groups", "is_active", "is_staff", "is_superuser"]}),
        (_("单项权限"), {"classes": ["collapse"], "fields": ["user_permissions"]}),
        (_("重要日期"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "branch", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @display(description=_("姓名"))
    def full_name(self, obj):
        return obj.get_full_name()

    @display(description=_("角色"))
    def role_names(self, obj):
        return "、".join(group.name for group in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch").prefetch_related("groups")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return label_permission_field(field) if db_field.name == "user_permissions" else field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and not self.has_change_permission(request, obj):
            form = type(form.__name__, (form,), {"password_link": False})
        return form

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead (停用所选员工)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:  # everyone created here works in the back office (is_staff)
            saved = staff.staff_create(username=data["username"], password=data.get("password1") or None,
                                       branch=data.get("branch"), actor=request.user)
            _take_saved(obj, saved)
            return
        values = {name: data[name] for name in STAFF_FIELDS if name in data}
        if "groups" in data:
            values["roles"] = data["groups"]
        if "user_permissions" in data:
            values["permissions"] = data["user_permissions"]
        staff.staff_update(staff=obj, actor=request.user, **values)

    def save_related(self, request, form, formsets, change):
        pass  # roles and permissions are saved, and audited, by staff_update

    @action(description=_("停用所选员工"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        for member in queryset:
            staff.staff_deactivate(staff=member, actor=request.user)
        messages.success(request, _("已停用 %(count)d 位员工。") % {"count": len(queryset)})

    @action(description=_("启用所选员工"), permissions=["change"])
    def activate_selected(self, request, queryset):
        for member in queryset:
            staff.staff_activate(staff=member, actor=request.user)
        messages.success(request, _("已启用 %(count)d 位员工。") % {"count": len(queryset)})

    @action(description=_("解除登录锁定"), url_path="unlock", icon="lock_open", permissions=["change"])
    def unlock_account(self, request, object_id):
        user = self.get_object(request, object_id)
        if user is None:
            return redirect(reverse("admin:core_user_changelist"))
        staff.staff_unlock(staff=user)
        messages.success(request, _("已解除 %(name)s 的登录锁定。") % {"name": user.username})
        return redirect(reverse("admin:core_user_change", args=[user.pk]))


@admin.register(Group)
class RoleAdmin(ServiceAdminMixin, AuditedAdminMixin, BaseGroupAdmin, ModelAdmin):
    """Roles are saved and deleted through ioudesk.core.staff.role_save / role_delete: the seeded
    roles keep their names and stay; a refusal is shown on the form and nothing is saved."""

    list_display = ["name", "permission_count", "member_count"]

    def save_model(self, request, obj, form, change):
        name, permissions = form.cleaned_data["name"], list(form.cleaned_data.get("permissions", []))
        if not change:
            staff.role_save(role=obj, name=name, permissions=permissions, actor=request.user)
            return
        # changing a role: through its approval flow (role_change) when one applies (docs/domain.md §23)
        stored = Group.objects.get(pk=obj.pk)
        outcome = submit_or_run(kind=staff.ROLE_CHANGE, target=stored, user=request.user,
                                payload={"name": name, "permissions": sorted(p.pk for p in permissions)},
                                summary=_("角色权限变更：%(name)s") % {"name": stored.name})
        if outcome.request is not None:
            request._approval_submitted = outcome.request
            obj.refresh_from_db()

    def response_change(self, request, obj):
        submitted = getattr(request, "_approval_submitted", None)
        if submitted is not None:
            messages.success(request, submitted_message(submitted))
            return redirect(reverse("admin:auth_group_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def save_related(self, request, form, formsets, change):
        pass  # the permissions are saved, and audited, by role_save

    def delete_model(self, request, obj):
        staff.role_delete(role=obj, actor=request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return label_permission_field(field) if db_field.name == "permissions" else field

    def get_fields(self, request, obj=None):
        # Read only (审计): the permissions by their names in the user's language, not Django's "Can view …".
        if obj is not None and not self.has_change_permission(request, obj):
            return ["name", "permission_labels"]
        return super().get_fields(request, obj)

    @display(description=_("权限"))
    def permission_labels(self, obj):
        from ioudesk.core.permissions import permission_label

        return "；".join(permission_label(p) for p in obj.permissions.select_related("content_type"))

    @display(description=_("权限数"))
    def permission_count(self, obj):
        return obj.permissions.count()

    @display(description=_("人数"))
    def member_count(self, obj):
        return obj.user_set.count()


@admin.register(AuditEvent)
@readonly_admin
class AuditEventAdmin(ScopedAdminMixin, ModelAdmin):
    scope_branch_field = "branch_id"
    list_display = ["occurred_at", "actor_name", "ip_address", "action", "verb", "content_type", "object_repr"]
    list_filter = [("occurred_at", RangeDateTimeFilter), "action", "content_type"]
    list_filter_submit = True
    search_fields = ["actor_name", "object_repr", "verb", "reason", "ip_address", "object_id"]
    date_hierarchy = None
    list_per_page = 50
    fields = [
        "occurred_at", "actor_name", "actor_id", "ip_address", "action", "verb", "content_type",
        "object_id", "object_repr", "changes_table", "reason", "branch_id",
    ]
    readonly_fields = fields

    @display(description=_("变更内容"))
    def changes_table(self, obj):
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "", "<tr><td class='pr-4 font-medium'>{}</td><td class='pr-4'>{}</td><td>{}</td></tr>",
            ((_change_label(obj, field), *_before_after(values)) for field, values in obj.changes.items()),
        )
        return format_html(
            "<table><thead><tr><th class='pr-4 text-left'>{}</th><th class='pr-4 text-left'>{}</th>"
            "<th class='text-left'>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("字段"), _("修改前"), _("修改后"), rows,
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditevent")


# What the trail records besides model fields (an export's row count, cleared login failures …).
CHANGE_LABELS = {"rows": _("行数"), "full_sensitive_data": _("含完整证件号、手机号"), "attempts": _("登录失败次数"),
                 "follow_ups": _("跟进记录"),
                 # reports: an export's report, format, parameters and file; a list export's filters; a provision
                 "report": _("报表"), "format": _("格式"), "params": _("参数"), "file": _("文件名"),
                 "conditions": _("筛选条件"), "required": _("应计提"), "booked": _("已计提")}


def _change_label(event, key: str) -> str:
    """A changed field by its name on the page (姓名), not its name in the code (name)."""
    model = event.content_type.model_class() if event.content_type_id else None
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except Exception:  # noqa: BLE001  (FieldDoesNotExist, or a reverse relation without a verbose name)
            pass
    return str(CHANGE_LABELS.get(key, key))


def _before_after(values) -> tuple[str, str]:
    """A change is recorded as [before, after]; a fact (e.g. an export's row count) as its value."""
    if isinstance(values, (list, tuple)) and len(values) == 2:
        return _show(values[0]), _show(values[1])
    return "—", _show(values)


def _show(value):
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)
