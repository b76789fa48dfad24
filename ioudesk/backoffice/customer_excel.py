"""Placeholder: being built (see the helper brief); replaced by the real pages."""

from django.http import Http404
from django.urls import path


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("customers/import/", _not_yet, name="customer_import"),
    path("customers/import/template/", _not_yet, name="customer_import_template"),
    path("customers/statistics/", _not_yet, name="customer_stats"),
]
