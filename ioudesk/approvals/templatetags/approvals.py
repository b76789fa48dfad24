"""Template helpers of the approvals include (``backoffice/approvals/_pending_card.html``): whether the
viewing user may decide a pending request (the same predicate the service refuses with)."""

from django import template

from ioudesk.approvals import predicates

register = template.Library()


@register.simple_tag
def approval_can_decide(approval_request, user) -> bool:
    return predicates.can_decide(approval_request, user)


@register.simple_tag
def approval_can_cancel(approval_request, user) -> bool:
    return predicates.can_cancel(approval_request, user)
