"""Links and pickers on admin forms follow the user's permissions.

* A read-only foreign key (the branch or manager shown on a customer a 财务 may only view) is drawn
  by Unfold as a link to the related record's change page, whatever the user may see; a user who
  may not view that record gets its name as plain text instead of a link that answers 403.
* An autocomplete picker (客户经理, 跟进人) searches the related model's admin, and Django allows it
  only to who may view that model: an account manager may not open the staff list, so the owner
  picker of the customer form answered 403. Here a picker is also allowed to whoever may add or
  change the model whose form it is on; what it finds stays the related admin's (scoped) queryset.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.html import format_html
from unfold.fields import UnfoldAdminReadonlyField

from ioudesk.core.context import current_actor

_plain_admin_url = UnfoldAdminReadonlyField.get_admin_url


def _acting_user():
    from ioudesk.core.models import User

    actor = current_actor()
    return User.objects.filter(pk=actor.user_id).first() if actor.user_id else None


def _admin_url_if_allowed(self, remote_field, remote_obj):
    target = self.model_admin.admin_site._registry.get(remote_field.model)
    user = _acting_user()
    if target is None or user is None or not target.has_view_or_change_permission(SimpleNamespace(user=user),
                                                                                   remote_obj):
        return format_html("{}", remote_obj)
    return _plain_admin_url(self, remote_field, remote_obj)


UnfoldAdminReadonlyField.get_admin_url = _admin_url_if_allowed


class FormAutocompleteView(AutocompleteJsonView):
    def has_perm(self, request, obj=None):
        if super().has_perm(request, obj):
            return True
        source = admin.site._registry.get(self.source_field.model)
        return source is not None and (source.has_add_permission(request) or source.has_change_permission(request))


def autocomplete_view(request):
    return FormAutocompleteView.as_view(admin_site=admin.site)(request)


admin.site.autocomplete_view = autocomplete_view


# The delete confirmation lists, besides the records, the rows of many-to-many link tables
# ("User-group关系: User_groups object (12)", in English, one per permission of a role): they are
# not records a user knows; deleting the record removes them. They are left out of the list and the
# counts.
_plain_deleted_objects = admin.ModelAdmin.get_deleted_objects


def _link_tables():
    from django.apps import apps

    opts = [model._meta for model in apps.get_models(include_auto_created=True) if model._meta.auto_created]
    return {str(o.verbose_name) for o in opts}, {str(o.verbose_name_plural) for o in opts}


def _without_link_rows(items, names):
    kept = []
    for item in items:
        if isinstance(item, list):
            inner = _without_link_rows(item, names)
            if inner:
                kept.append(inner)
        elif not any(str(item).lower().startswith(f"{name.lower()}: ") for name in names):
            kept.append(item)
    return kept


def _deleted_objects_without_link_rows(self, objs, request):
    to_delete, model_count, perms_needed, protected = _plain_deleted_objects(self, objs, request)
    names, plurals = _link_tables()
    model_count = {key: count for key, count in model_count.items() if str(key) not in plurals}
    return _without_link_rows(to_delete, names), model_count, perms_needed, protected


admin.ModelAdmin.get_deleted_objects = _deleted_objects_without_link_rows
