"""The periodic ``approvals.deadlines`` (every 15 minutes): a pending task whose time limit is 80 %
gone reminds its assignee once (in-app); one past its limit is escalated to the step's escalation
role or person (``services.task_escalate``). docs/domain.md §23."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from ioudesk.approvals import services
from ioudesk.approvals.models import ApprovalTask, RequestStatus, TaskState

REMIND_SHARE = 0.8  # of the step's time limit


def _open_with_limit():
    return (ApprovalTask.objects.filter(state=TaskState.PENDING, due_at__isnull=False,
                                        request__status=RequestStatus.PENDING, step_order=F("request__current_step"))
            .select_related("step"))


def deadlines_run(now=None) -> dict:
    now = now or timezone.now()
    reminded = escalated = 0
    for task in _open_with_limit().filter(escalated_at__isnull=True, due_at__lte=now):
        services.task_escalate(task=task, now=now)
        escalated += 1
    for task in _open_with_limit().filter(reminded_at__isnull=True, due_at__gt=now):
        hours = task.step.time_limit_hours if task.step is not None and task.step.time_limit_hours else None
        if hours is None:
            continue
        if now >= task.due_at - timedelta(hours=hours) * (1 - REMIND_SHARE) and services.task_remind(task=task, now=now):
            reminded += 1
    return {"reminded": reminded, "escalated": escalated}


def run(slot: str) -> None:
    deadlines_run()
