"""Placeholder: being built (see the helper brief); replaced by the real pages."""

from django.http import Http404
from django.urls import path


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("customers/<int:pk>/files/upload/", _not_yet, name="customer_file_upload"),
    path("customers/files/<int:pk>/download/", _not_yet, name="customer_file_download"),
]
