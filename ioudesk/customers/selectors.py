"""Reads about customers, always through the data scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404

from ioudesk.core import scope
from ioudesk.core.models import AuditEvent
from ioudesk.customers.models import Contact, Customer, CustomerFile, FollowUp

# Later features (IOUs, applications) register a function here that returns their part of the
# 360 view for a customer: {"title", "rows", "owed", "overdue"}.
OVERVIEW_SECTIONS: list = []


def customer_get(*, user, pk) -> Customer:
    customer = scope.scope_queryset(user, Customer.objects.select_related("branch", "owner", "source")).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


@dataclass
class CustomerOverview:
    customer: Customer
    contacts: list
    files: list
    follow_ups: list
    timeline: list
    sections: list = field(default_factory=list)
    total_owed: Decimal = Decimal("0.00")
    total_overdue: Decimal = Decimal("0.00")


def customer_timeline(customer: Customer, limit: int = 100):
    """Everything the audit trail says about this customer and the records that belong to it."""
    types = ContentType.objects.get_for_models(Customer, Contact, CustomerFile, FollowUp)
    ids = {
        Customer: [customer.pk],
        Contact: list(customer.contacts.values_list("pk", flat=True)),
        CustomerFile: list(customer.files.values_list("pk", flat=True)),
        FollowUp: list(customer.follow_ups.values_list("pk", flat=True)),
    }
    condition = Q()
    for model, pks in ids.items():
        if pks:
            condition |= Q(content_type=types[model], object_id__in=[str(pk) for pk in pks])
    return list(AuditEvent.objects.filter(condition).select_related("content_type")[:limit])


def customer_overview(*, user, pk) -> CustomerOverview:
    customer = customer_get(user=user, pk=pk)
    overview = CustomerOverview(
        customer=customer,
        contacts=list(customer.contacts.all()),
        files=list(customer.files.select_related("uploaded_by")),
        follow_ups=list(customer.follow_ups.select_related("owner")[:20]),
        timeline=customer_timeline(customer),
    )
    for section in OVERVIEW_SECTIONS:
        part = section(customer)
        overview.sections.append(part)
        overview.total_owed += part.get("owed", Decimal("0.00"))
        overview.total_overdue += part.get("overdue", Decimal("0.00"))
    return overview
