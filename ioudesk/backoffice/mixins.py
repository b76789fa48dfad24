"""What every back-office page of a record gets: the data scope, the audit trail, and form fields
that look like form fields."""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from ioudesk.backoffice.widgets import style_form
from ioudesk.core import audit, scope
from ioudesk.core.errors import ApplicationError
from ioudesk.core.fields import EncryptedTextField


class UnfoldWidgetsMixin:
    """Every field of the add/change form and its inlines gets Unfold's input styling, declared
    fields included (see :mod:`ioudesk.backoffice.widgets`); an encrypted field (身份证号, 手机号,
    银行账号 …) is a one-line input, not the textarea of the TextField it is stored as."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, EncryptedTextField) and "widget" not in kwargs:
            from unfold.widgets import UnfoldAdminTextInputWidget

            kwargs["widget"] = UnfoldAdminTextInputWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return style_form(super().get_form(request, obj, change=change, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = style_form(formset.form)
            yield formset, inline


class ScopedAdminMixin(UnfoldWidgetsMixin):
    """Lists, detail pages and actions only ever see the records of the user's branches.

    Django admin looks every object up through `get_queryset`, so an id from another branch typed
    into the URL is answered as "does not exist", exactly like an id that was never there."""

    scope_branch_field: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return scope.scope_queryset(request.user, queryset, self.scope_branch_field)


class AuditedAdminMixin(UnfoldWidgetsMixin):
    """Every create, update and delete through the back office lands in the audit trail, with the
    fields before and after (many-to-many included). Detail pages get a link to the record's trail."""

    actions_detail = ["open_audit_trail"]

    def save_model(self, request, obj, form, change):
        request._audit_before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit.record_change(
            obj=obj,
            before=getattr(request, "_audit_before", None),
            after=audit.snapshot(obj),
            verb=self.audit_verb(getattr(request, "_audit_before", None), audit.snapshot(obj)),
        )

    def save_formset(self, request, form, formset, change):
        """Inline rows (contacts …) are recorded one by one, like the record they belong to."""
        model = formset.model
        before = {
            f.instance.pk: audit.snapshot(model._default_manager.get(pk=f.instance.pk))
            for f in formset.forms
            if f.instance.pk is not None and (f.has_changed() or f in formset.deleted_forms)
        }
        deleted = [(f.instance, before.get(f.instance.pk)) for f in formset.deleted_forms if f.instance.pk]
        super().save_formset(request, form, formset, change)
        for instance, snapshot in deleted:
            audit.record_change(obj=instance, before=snapshot, after=None)
        for instance in formset.new_objects:
            audit.record_change(obj=instance, before=None, after=audit.snapshot(instance))
        for instance, _fields in formset.changed_objects:
            audit.record_change(obj=instance, before=before.get(instance.pk), after=audit.snapshot(instance))

    def audit_verb(self, before, after) -> str:
        return ""

    def delete_model(self, request, obj):
        before, pk = audit.snapshot(obj), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        audit.record_change(obj=obj, before=before, after=None)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def has_audit_trail_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditevent")

    @action(description=_("审计记录"), url_path="audit-trail", icon="history", permissions=["audit_trail"])
    def open_audit_trail(self, request, object_id):
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        url = reverse("admin:core_auditevent_changelist")
        return redirect(f"{url}?{urlencode({'content_type__id__exact': content_type.pk, 'object_id': object_id})}")


class ServiceAdminMixin:
    """For admins whose save_model / save_related / save_formset / delete_model call services.

    A service that refuses raises an ApplicationError. The admin runs the save inside one database
    transaction, so the exception undoes everything written so far (nothing saved, nothing
    audited); the form is then shown again with the service's message next to the field it names
    (``extra={"field": …}``), or above the form when the form has no such field. A refused delete
    returns to the record's page with the message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            if request.method != "POST" or getattr(request, "_service_error", None) is not None:
                raise
            request._service_error = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_error", None)
        if error is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                add_service_error(self, error)
                return cleaned

        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            messages.error(request, error.message)
            opts = self.model._meta
            return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_action(self, request, queryset):
        # A bulk action (删除所选) is all or nothing: one refusal undoes it and says why.
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())


def add_service_error(form, error: ApplicationError) -> None:
    """A service's refusal on the form: next to the field it names, else above the form. A refusal
    that lists its problems (``extra={"details": [{"field", "message"}, …]}``) puts each next to its
    own field."""
    details = [d for d in error.extra.get("details") or [] if isinstance(d, dict) and d.get("message")]
    if len(details) < 2:
        field = error.extra.get("field")
        form.add_error(field if field in form.fields else None, ValidationError(str(error.message)))
        return
    for detail in details:
        field = detail.get("field")
        form.add_error(field if field in form.fields else None, ValidationError(str(detail["message"])))


def readonly_admin(cls):
    """A model admin through which nothing can be added, changed or deleted."""

    cls.has_add_permission = lambda self, request: False
    cls.has_change_permission = lambda self, request, obj=None: False
    cls.has_delete_permission = lambda self, request, obj=None: False
    return cls


__all__ = ["AuditedAdminMixin", "ScopedAdminMixin", "ServiceAdminMixin", "add_service_error", "readonly_admin",
           "admin"]
