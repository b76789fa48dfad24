"""The customer list's search without personal data in the URL (defect 26 of issue 9).

A search term is often an ID number or a phone number, and a URL ends up in the access log, the
browser history and the Referer header. The search box on 客户管理 therefore POSTs the term
(admin/customers/customer/search_form.html); the term is kept in the session under a random token
and the list is opened as ``?qt=<token>``: its pagination, filter and export links carry the token,
never the term. ``?q=`` still works for links typed by hand.
"""

from __future__ import annotations

import copy
import secrets

from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.urls import reverse

from ioudesk.backoffice.pages import BackofficePage

TOKEN_VAR = "qt"
SESSION_KEY = "customer_search_terms"
KEPT = 20  # tokens remembered per session (the latest searches)
MAX_TERM = 100


def search_remember(request, term: str) -> str:
    """A token for the term, kept in the user's session."""
    terms = dict(request.session.get(SESSION_KEY) or {})
    token = secrets.token_urlsafe(12)
    terms[token] = term[:MAX_TERM]
    request.session[SESSION_KEY] = dict(list(terms.items())[-KEPT:])
    return token


def search_recall(request, token: str) -> str:
    """The term behind a token ("" if it is unknown or expired with the session)."""
    return (request.session.get(SESSION_KEY) or {}).get(token, "")


class SearchView(BackofficePage):
    """POST: remember the term and open the list with its token and the filters that were set."""

    permission_required = ("customers.view_customer",)

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        params = QueryDict(mutable=True)
        for name, values in request.POST.lists():
            if name not in (SEARCH_VAR, TOKEN_VAR, "csrfmiddlewaretoken", "p"):
                params.setlist(name, values)
        term = (request.POST.get(SEARCH_VAR) or "").strip()
        if term:
            params[TOKEN_VAR] = search_remember(request, term)
        query = params.urlencode()
        return HttpResponseRedirect(reverse("admin:customers_customer_changelist") + (f"?{query}" if query else ""))


class TokenChangeList(ChangeList):
    """The admin changelist that reads the term from ``?qt=`` and writes the token, not the term,
    into every link it builds."""

    def __init__(self, request, *args, **kwargs):
        self.search_token = request.GET.get(TOKEN_VAR) or ""
        original = request
        if self.search_token:
            params = request.GET.copy()
            params.pop(TOKEN_VAR)
            params[SEARCH_VAR] = search_recall(request, self.search_token)
            request = copy.copy(request)
            request.GET = params
        super().__init__(request, *args, **kwargs)
        # the change links' "back to the list" filters: the token, as the URL had it
        self.preserved_filters = self.model_admin.get_preserved_filters(original)

    def get_query_string(self, new_params=None, remove=None):
        query = super().get_query_string(new_params, remove)
        if not self.search_token:
            return query
        params = QueryDict(query.lstrip("?"), mutable=True)
        if params.pop(SEARCH_VAR, None):
            params[TOKEN_VAR] = self.search_token
        return f"?{params.urlencode()}"
