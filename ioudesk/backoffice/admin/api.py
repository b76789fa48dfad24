from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from ioudesk.api.models import ApiToken
from ioudesk.api.services import api_token_issue, api_token_revoke
from ioudesk.backoffice.mixins import ScopedAdminMixin, ServiceAdminMixin
from ioudesk.core import scope
from ioudesk.core.errors import ApplicationError


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdminMixin, ScopedAdminMixin, ModelAdmin):
    """Tokens are issued by api_token_issue (which stores only the hash and audits it); a refusal
    is shown on the form and nothing is saved (ServiceAdminMixin)."""

    form = ApiTokenForm
    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    actions_detail = ["revoke"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    @display(description=_("状态"), label={_("有效"): "success", _("已吊销"): "danger"})
    def state(self, obj):
        return _("已吊销") if obj.revoked_at else _("有效")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "expires_at"]
        return ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "name", "expires_at", *self.readonly_fields] if obj else []

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            from ioudesk.core.models import User

            kwargs["queryset"] = scope.scope_queryset(request.user, User.objects.filter(is_active=True, is_staff=True))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        record, token = api_token_issue(user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                                        expires_at=form.cleaned_data["expires_at"])
        # The admin goes on with the instance it built (log entry, redirect): give it the saved record.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(record, field.attname))
        obj._state.adding, obj._state.db = False, record._state.db
        request._issued_token = token

    def save_related(self, request, form, formsets, change):
        pass  # no relations: the service wrote the token and its audit event

    def response_add(self, request, obj, post_url_continue=None):
        messages.warning(request, _("令牌只显示这一次，请立即复制保存：%(token)s") % {"token": request._issued_token})
        return redirect(reverse("admin:api_apitoken_change", args=[obj.pk]))

    @action(description=_("吊销令牌"), url_path="revoke", icon="block", permissions=["view"])
    def revoke(self, request, object_id):
        token = self.get_object(request, object_id)
        if token is None:
            return redirect(reverse("admin:api_apitoken_changelist"))
        try:
            api_token_revoke(token=token)
            messages.success(request, _("令牌已吊销，使用它的请求将被拒绝。"))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect(reverse("admin:api_apitoken_change", args=[token.pk]))
