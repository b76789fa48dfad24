"""Base for the back office's own pages, drawn in Unfold's layout with its sidebar."""

from django import forms
from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.views.generic import TemplateView

from ioudesk.backoffice.widgets import style_form


class BackofficePage(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    title = ""
    permission_required: tuple[str, ...] = ()
    login_url = "admin:login"

    def has_permission(self):
        user = self.request.user
        return user.is_active and user.is_staff and super().has_permission()

    def get_context_data(self, **kwargs):
        self.request.current_app = admin.site.name
        context = super().get_context_data(**kwargs, **admin.site.each_context(self.request), title=self.title)
        for value in context.values():  # every form the page shows has visible input boxes
            if isinstance(value, forms.BaseForm):
                style_form(value)
        return context
