"""The home dashboard: who and where you are, the business date, and the portfolio you can see —
customers, what is lent and owed, what is overdue, your follow-ups due. Everything through the
data scope."""

from decimal import Decimal

from django.db.models import F

from ioudesk.calc.rates import percent
from ioudesk.core import clock, scope, services
from ioudesk.core.fields import MoneySum
from ioudesk.core.models import AuditEvent
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers.followups import follow_ups_due
from ioudesk.customers.models import Customer
from ioudesk.ious.models import LIVE_STATUSES, Iou, Status


def portfolio(user) -> dict:
    live = scope.scope_queryset(user, Iou.objects.filter(status__in=LIVE_STATUSES))
    outstanding = F("principal_outstanding") + F("interest_outstanding") + F("penalty_outstanding") + F("fee_outstanding")
    totals = live.aggregate(outstanding=MoneySum(outstanding), principal=MoneySum("principal_outstanding"))
    overdue = live.filter(status=Status.OVERDUE).aggregate(amount=MoneySum(outstanding))["amount"]
    rate = percent(overdue / totals["outstanding"]) if totals["outstanding"] else Decimal("0.00")
    return {
        "overdue_rate": rate,
        "live_count": live.count(),
        "outstanding": totals["outstanding"],
        "principal": totals["principal"],
        "overdue": overdue,
        "overdue_count": live.filter(status=Status.OVERDUE).count(),
        "pending_approval": scope.scope_queryset(user, Iou.objects.filter(status=Status.PENDING_APPROVAL)).count(),
    }


# Signing in and out is not something the user did to the business: 我最近的操作 leaves it out
# (the audit log keeps it).
SESSION_ACTIONS = (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT)


def recent_business_events(user, limit: int = 8):
    return AuditEvent.objects.filter(actor_id=user.pk).exclude(action__in=SESSION_ACTIONS)[:limit]


def dashboard_callback(request, context):
    user = request.user
    context.update(
        {
            "organisation": services.organisation_current(),
            "business_date": clock.today(),
            "user_branch": user.branch,
            "user_roles": "、".join(group.name for group in user.groups.all()) or ("超级管理员" if user.is_superuser else "—"),
            "customer_count": scope.scope_queryset(user, Customer.objects.all()).count(),
            "portfolio": portfolio(user) if user.has_perm("ious.view_iou") else None,
            "follow_ups_due": follow_ups_due(user=user).count(),
            "recent_events": recent_business_events(user),
        }
    )
    return context
