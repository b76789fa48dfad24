"""Placeholder: being built (see the helper brief); replaced by the real pages."""

from django.http import Http404
from django.urls import path


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("follow-ups/mine/", _not_yet, name="my_follow_ups"),
]
