"""Finding customers from one search box (placeholder: the indexed search lands with the search work)."""

from django.db.models import Q

from ioudesk.core import scope
from ioudesk.customers.models import Customer


def search_customers(user, query: str, queryset=None):
    queryset = scope.scope_queryset(user, queryset if queryset is not None else Customer.objects.all())
    query = (query or "").strip()
    if not query:
        return queryset
    return queryset.filter(Q(name__startswith=query) | Q(number=query) | Q(name_initials__startswith=query.lower())
                           | Q(name_pinyin__startswith=query.lower()))
