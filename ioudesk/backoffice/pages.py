"""Base for the back office's own pages, drawn in Unfold's layout with its sidebar."""

from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.views.generic import TemplateView


class BackofficePage(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    title = ""
    permission_required: tuple[str, ...] = ()
    login_url = "admin:login"

    def has_permission(self):
        user = self.request.user
        return user.is_active and user.is_staff and super().has_permission()

    def get_context_data(self, **kwargs):
        self.request.current_app = admin.site.name
        return super().get_context_data(**kwargs, **admin.site.each_context(self.request), title=self.title)
