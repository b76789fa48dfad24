"""Every form field in the back office looks like a form field.

Unfold draws an input box only for widgets that carry its classes. It gives them to the fields a
ModelAdmin builds from model fields, but not to fields a form declares itself (the customer form's
身份证号, 手机号 and 银行账号, which never re-display the stored value), nor to the forms of our own
pages: their widgets are plain Django ones, and Unfold's Tailwind base style leaves a plain
``<input>`` without border or background, so the user sees a label and no box (issue 9, defect 2).

:func:`style_form` gives each plain Django widget of a form Unfold's classes (or swaps it for its
Unfold twin where the look needs Unfold's template), keeping its attributes and choices; widgets that
are styled already (Unfold's, autocomplete, ours) are left alone. ``ioudesk.backoffice.mixins.UnfoldWidgetsMixin`` applies it to every ModelAdmin form and
inline, :class:`ioudesk.backoffice.pages.BackofficePage` to every form its pages render.
"""

from __future__ import annotations

import copy

from django import forms
from unfold import widgets as unfold

# Exact classes only: subclasses (Django admin's own widgets, Unfold's, ours) are left as they are,
# and so is a widget that already has a class attribute (someone styled it on purpose).
# Inputs keep their own template and get Unfold's classes ...
_CLASSES: dict[type[forms.Widget], list[str]] = {
    **dict.fromkeys([forms.TextInput, forms.EmailInput, forms.URLInput, forms.NumberInput, forms.PasswordInput,
                     forms.DateInput, forms.DateTimeInput, forms.TimeInput], unfold.INPUT_CLASSES),
    forms.Textarea: unfold.TEXTAREA_CLASSES,
    forms.CheckboxInput: unfold.CHECKBOX_CLASSES,
}
# ... widgets whose look needs Unfold's template (the select's chevron, the file box, the radio and
# checkbox lists) are swapped for their Unfold twin.
_TWINS: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.Select: unfold.UnfoldAdminSelectWidget,
    forms.SelectMultiple: unfold.UnfoldAdminSelectMultipleWidget,
    forms.NullBooleanSelect: unfold.UnfoldAdminNullBooleanSelectWidget,
    forms.RadioSelect: unfold.UnfoldAdminRadioSelectWidget,
    forms.CheckboxSelectMultiple: unfold.UnfoldAdminCheckboxSelectMultiple,
    forms.ClearableFileInput: unfold.UnfoldAdminFileFieldWidget,
    forms.FileInput: unfold.UnfoldAdminFileFieldWidget,
}


def styled_widget(widget: forms.Widget) -> forms.Widget:
    """A styled copy of a plain Django widget (same attributes and choices), or the widget itself
    when it is styled already or not one of the plain ones."""
    kind = type(widget)
    if widget.attrs.get("class") or (kind not in _CLASSES and kind not in _TWINS):
        return widget
    if kind in _CLASSES:
        new = copy.deepcopy(widget)
        new.attrs["class"] = " ".join(_CLASSES[kind])
        return new
    new = _TWINS[kind](attrs=dict(widget.attrs))
    if hasattr(widget, "choices"):
        new.choices = copy.copy(widget.choices)
    new.is_required = widget.is_required
    return new


def style_fields(fields) -> None:
    """Style the fields of a form instance in place (an instance's fields are its own copies)."""
    for field in fields.values():
        widget = styled_widget(field.widget)
        if widget is not field.widget:
            field.widget = widget


def style_form(form):
    """A form instance with Unfold-styled widgets, or for a form class a subclass whose instances
    are styled (a subclass made from it later, like the customer admin's, inherits that)."""
    if not isinstance(form, type):
        style_fields(form.fields)
        return form
    if getattr(form, "_unfold_styled", False):
        return form

    def __init__(self, *args, **kwargs):
        super(styled, self).__init__(*args, **kwargs)
        style_fields(self.fields)

    styled = type(form)(form.__name__, (form,), {"__init__": __init__, "__module__": form.__module__,
                                                  "_unfold_styled": True})
    return styled


class AutocompleteSelect(unfold.UnfoldAdminAutocompleteModelChoiceFieldWidget):
    """Unfold's autocomplete box for our own pages, speaking the user's language.

    Unfold's widget loads select2 without its translation, so the box said "Searching…" and "No
    results found" on a Chinese page (issue 9, defect 8). Like Django's admin autocomplete, this
    one adds select2's i18n file for the active language and tells select2 to use it (``lang``)."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        from django.contrib.admin.widgets import get_select2_language

        attrs = super().build_attrs(base_attrs, extra_attrs)
        language = get_select2_language()
        if language:
            attrs.setdefault("lang", language)
        return attrs

    @property
    def media(self):
        from django.contrib.admin.widgets import get_select2_language

        media = super().media
        language = get_select2_language()
        if not language:
            return media
        js = []
        for path in media._js:
            js.append(path)
            if path.startswith("admin/js/vendor/select2/select2.full"):
                js.append(f"admin/js/vendor/select2/i18n/{language}.js")
        return forms.Media(js=js, css=media._css)
