"""The home dashboard. A placeholder for now: who and where you are, the business date, and your
latest activity; later features add their cards here."""

from ioudesk.core import clock, scope, services
from ioudesk.core.models import AuditEvent, User


def dashboard_callback(request, context):
    user = request.user
    organisation = services.organisation_current()
    context.update(
        {
            "organisation": organisation,
            "business_date": clock.today(),
            "user_branch": user.branch,
            "user_roles": "、".join(group.name for group in user.groups.all()) or ("超级管理员" if user.is_superuser else "—"),
            "staff_count": scope.scope_queryset(user, User.objects.filter(is_active=True)).count(),
            "recent_events": AuditEvent.objects.filter(actor_id=user.pk)[:8],
        }
    )
    return context
