"""The home dashboard, management's first screen: who and where you are, the business date, and —
for those who see IOUs — the key figures of the portfolio they can see (balance, money lent and
collected this month, overdue and NPL rates, promises due today, approvals waiting) with 12-month
trends, each a link to the report or list behind it. The figures come from the close's daily
aggregates (ioudesk.reports.dashboard.dashboard_figures), not from a sum over every IOU per view."""

import json
from datetime import timedelta
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import pgettext_lazy

from ioudesk.core import clock, roles, scope, services
from ioudesk.core.models import AuditEvent
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers.followups import follow_ups_due
from ioudesk.customers.models import Customer
from ioudesk.reports.dashboard import dashboard_figures
from ioudesk.reports.registry import report_get

# Signing in and out is not something the user did to the business: 我最近的操作 leaves it out
# (the audit log keeps it).
SESSION_ACTIONS = (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT)
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706"]
# The seeded roles' names (groups, stored in Chinese) as the user's language says them; a role someone
# added shows its own name.
ROLE_LABELS = {
    roles.ADMINISTRATOR: pgettext_lazy("角色", "系统管理员"), roles.ACCOUNT_MANAGER: pgettext_lazy("角色", "客户经理"),
    roles.APPROVER: pgettext_lazy("角色", "审批员"), roles.FINANCE: pgettext_lazy("角色", "财务"),
    roles.COLLECTOR: pgettext_lazy("角色", "催收员"), roles.COLLECTION_MANAGER: pgettext_lazy("角色", "催收主管"),
    roles.AUDITOR: pgettext_lazy("角色", "审计"),
}


def roles_text(user) -> str:
    """财务、审计 (Finance, Auditor): the user's roles in their language."""
    names = [str(ROLE_LABELS.get(group.name, group.name)) for group in user.groups.order_by("name")]
    if names:
        return _t("、").join(names)
    return _t("超级管理员") if user.is_superuser else "—"


def recent_business_events(user, limit: int = 8):
    return AuditEvent.objects.filter(actor_id=user.pk).exclude(action__in=SESSION_ACTIONS)[:limit]


def report_url(user, code: str, fallback: str = "") -> str:
    """The report page of `code` when it exists and the user may open it; else `fallback`."""
    spec = report_get(code)
    if spec is None or not user.has_perm(spec.permission):
        return fallback
    try:
        return reverse("backoffice:report", args=[code])
    except NoReverseMatch:
        return fallback


def iou_list(**filters) -> str:
    return reverse("admin:ious_iou_changelist") + ("?" + urlencode(filters) if filters else "")


def chart_json(chart) -> dict:
    """A reports.registry.Chart as the Unfold chart component's data and options (Chart.js JSON)."""
    datasets = []
    for index, (label, values) in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        dataset = {"label": str(label), "data": [str(v) if v is not None else None for v in values],
                   "backgroundColor": colour, "borderColor": colour}
        if chart.kind == "line":
            dataset["fill"] = False
            dataset["spanGaps"] = True
        datasets.append(dataset)
    data = {"labels": [str(label) for label in chart.labels], "datasets": datasets}
    # No animation: the figures are drawn at once (and a screenshot or print never catches them moving).
    options = {"plugins": {"legend": {"display": True}}, "maintainAspectRatio": False, "animation": False}
    return {"data": json.dumps(data, ensure_ascii=False), "options": json.dumps(options), "kind": chart.kind}


def _figures(user) -> dict:
    figures = dashboard_figures(user)
    today = figures["today"]
    ious = iou_list()
    overdue_list = iou_list(status__exact="overdue")
    figures["links"] = {
        "balance": report_url(user, "loan-balance-summary", iou_list(live=1)),
        "disbursed": report_url(user, "applications", iou_list(disbursed_on__gte=today.replace(day=1).isoformat())),
        "collected": report_url(user, "repayments", ious),
        "overdue_rate": report_url(user, "aging", overdue_list),
        "overdue_list": overdue_list,
        "npl_rate": report_url(user, "five-tier", ious),
        "trend": report_url(user, "npl-trend", ""),
        "pending_ious": iou_list(status__exact="pending_approval"),
        "promises": (reverse("admin:collections_promise_changelist") + "?" + urlencode({
            "status__exact": "pending", "promised_on__gte": today.isoformat(),
            "promised_on__lt": (today + timedelta(days=1)).isoformat()})),
        "approvals": reverse("backoffice:approvals_inbox"),
    }
    figures["chart_json"] = {key: chart_json(chart) for key, chart in figures["charts"].items()}
    return figures


def dashboard_callback(request, context):
    user = request.user
    context.update(
        {
            "organisation": services.organisation_current(),
            "business_date": clock.today(),
            "user_branch": user.branch,
            "user_roles": roles_text(user),
            "customer_count": scope.scope_queryset(user, Customer.objects.all()).count(),
            "figures": _figures(user) if user.has_perm("ious.view_iou") else None,
            "follow_ups_due": follow_ups_due(user=user).count(),
            "recent_events": recent_business_events(user),
        }
    )
    return context
