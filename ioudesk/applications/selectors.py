"""Reads for loan applications, always through the data scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ioudesk.applications.models import Application
from ioudesk.core import scope


def applications_for(user) -> QuerySet[Application]:
    """The applications a user may see: their branches' (scope), and any whose approval request
    has a task for them (an approver of another branch deciding it)."""
    base = Application.objects.select_related("product", "branch", "account_manager", "customer", "iou")
    if not user.has_perm("applications.view_application"):
        return base.filter(approval_request__tasks__assignee=user).distinct()
    visible = scope.visible_branch_ids(user)
    if visible is None:
        return base
    return base.filter(Q(branch_id__in=visible) | Q(approval_request__tasks__assignee=user)).distinct()


def application_get(*, user, pk) -> Application | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return applications_for(user).filter(pk=pk).first()


def screening_rows(application: Application) -> dict:
    """The stored screening result as the application page shows it."""
    result = application.screening_result or {}
    return {"outcomes": result.get("outcomes") or [], "points": result.get("points") or [],
            "reasons": result.get("reasons") or [], "score": result.get("score"), "band": result.get("band"),
            "band_label": result.get("band_label"), "band_action": result.get("band_action"),
            "base_points": result.get("base_points"), "version": result.get("scorecard_version"),
            "screened_on": result.get("screened_on")}
