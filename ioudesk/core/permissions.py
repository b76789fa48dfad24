"""Permission names in the user's language.

Django stores a permission's name ("Can add 员工") in English in the database when it migrates, so
the pickers on the staff and role pages label permissions from the model's verbose name instead,
translated when the page is drawn.
"""

from django.utils.translation import gettext as _

ACTIONS = {
    "add": lambda model: _("可以新增%(model)s") % {"model": model},
    "change": lambda model: _("可以修改%(model)s") % {"model": model},
    "delete": lambda model: _("可以删除%(model)s") % {"model": model},
    "view": lambda model: _("可以查看%(model)s") % {"model": model},
}


def permission_label(permission) -> str:
    model = permission.content_type.model_class()
    app = model._meta.app_config.verbose_name if model else permission.content_type.app_label
    action = permission.codename.split("_", 1)[0]
    if model is not None and action in ACTIONS and permission.codename == f"{action}_{model._meta.model_name}":
        name = ACTIONS[action](model._meta.verbose_name)
    else:
        name = _(permission.name)  # custom permissions are declared with Chinese names marked for translation
    return f"{app} | {name}"


def label_permission_field(field):
    """Give a permissions form field translated labels (and keep its queries to one)."""
    if field is not None:
        field.queryset = field.queryset.select_related("content_type")
        field.label_from_instance = permission_label
    return field
